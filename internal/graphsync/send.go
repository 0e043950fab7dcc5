package graphsync

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mailsync/mailsync/internal/provider"
)

var _ provider.Sender = (*Mailbox)(nil)

// Send sends raw with POST /me/sendMail, the MIME message base64-encoded
// in a text/plain body. Graph takes the recipients from the To, Cc and
// Bcc headers and saves a copy to Sent Items, whose folder name (as
// Folders names it) is returned.
func (m *Mailbox) Send(ctx context.Context, _ provider.Envelope, raw []byte) (provider.Sent, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url("/me/sendMail"),
		strings.NewReader(base64.StdEncoding.EncodeToString(raw)))
	if err != nil {
		return provider.Sent{}, err
	}
	req.Header.Set("Content-Type", "text/plain")
	resp, err := m.cfg.HTTPClient.Do(req)
	if err != nil {
		return provider.Sent{}, fmt.Errorf("graph sendMail: %w", classify(ctx, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
		apiErr := &Error{Status: resp.StatusCode}
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) == nil {
			apiErr.Code, apiErr.Message = body.Error.Code, body.Error.Message
		}
		switch {
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			return provider.Sent{}, fmt.Errorf("graph sendMail: %w: %w", provider.ErrAuth, apiErr)
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			return provider.Sent{}, fmt.Errorf("graph sendMail: %w: %w", provider.ErrRejected, apiErr)
		}
		return provider.Sent{}, fmt.Errorf("graph sendMail: %w: %w", provider.ErrUnreachable, apiErr)
	}
	sent := provider.Sent{}
	folders, err := m.Folders(ctx)
	if err != nil {
		sent.CopyErr = err
		return sent, nil
	}
	for _, f := range folders {
		if f.Role == provider.RoleSent {
			sent.Folder = f.Name
		}
	}
	return sent, nil
}
