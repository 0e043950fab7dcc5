package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/mailsync/mailsync/internal/compose"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/send"
	"github.com/mailsync/mailsync/internal/store"
)

// maxSendBytes bounds a send request: the message and its attachments.
const maxSendBytes = 25 << 20

// sendJSON is the JSON body of POST /accounts/{id}/messages.
type sendJSON struct {
	To          []string `json:"to"`
	Cc          []string `json:"cc"`
	Bcc         []string `json:"bcc"`
	Subject     *string  `json:"subject"`
	Text        string   `json:"text"`
	HTML        string   `json:"html"`
	ReplyTo     string   `json:"replyTo"`
	Attachments []fileIn `json:"attachments"`
}

// fileIn is an attachment in a JSON send: its bytes base64-encoded.
type fileIn struct {
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Content     []byte `json:"content"`
}

func (s *server) sender() *send.Service {
	sender := s.cfg.Sender
	if sender == nil {
		sender = s.cfg.Providers.Sender
	}
	return &send.Service{Store: s.cfg.Store, Box: s.cfg.Box, Sender: sender,
		Syncer: &ingest.Syncer{Store: s.cfg.Store, Box: s.cfg.Box, Log: s.log}}
}

// sendError maps a send failure to its status.
func sendError(err error) error {
	switch {
	case errors.Is(err, send.ErrNotOwner):
		return errorf(http.StatusForbidden, "%s", err.Error())
	case errors.Is(err, send.ErrInvalid):
		return errorf(http.StatusBadRequest, "%s", err.Error())
	case errors.Is(err, send.ErrInProgress):
		return errorf(http.StatusConflict, "%s", err.Error())
	case errors.Is(err, send.ErrFailed):
		return errorf(http.StatusBadGateway, "%s", err.Error())
	}
	return err
}

// readSendRequest reads a send from JSON or a form, multipart or not
// (fields to, cc, bcc — repeatable, each an address or a comma-separated
// list — subject, text, html, replyTo, and files in "attachment" parts).
func readSendRequest(w http.ResponseWriter, r *http.Request, accountID string) (send.Request, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSendBytes)
	req := send.Request{AccountID: accountID, IdempotencyKey: r.Header.Get("Idempotency-Key")}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" || ct == "application/x-www-form-urlencoded" {
		var err error
		if ct == "multipart/form-data" {
			err = r.ParseMultipartForm(8 << 20)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			return req, errorf(http.StatusBadRequest, "cannot read the form (at most 25 MB with attachments): %v", err)
		}
		v := r.PostForm
		req.To, req.Cc, req.Bcc = v["to"], v["cc"], v["bcc"]
		if subj, ok := v["subject"]; ok && len(subj) > 0 {
			req.Subject = &subj[0]
		}
		req.Text, req.HTML, req.ReplyTo = v.Get("text"), v.Get("html"), v.Get("replyTo")
		var files []*multipart.FileHeader
		if r.MultipartForm != nil {
			files = r.MultipartForm.File["attachment"]
		}
		for _, fh := range files {
			if fh.Filename == "" && fh.Size == 0 {
				continue // an empty file input
			}
			file, err := fh.Open()
			if err != nil {
				return req, err
			}
			data, err := io.ReadAll(file)
			file.Close()
			if err != nil {
				return req, err
			}
			req.Files = append(req.Files, compose.File{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Data: data})
		}
	} else {
		var body sendJSON
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return req, errorf(http.StatusBadRequest, "body must be JSON (or multipart/form-data): %v", err)
		}
		req.To, req.Cc, req.Bcc, req.Subject, req.Text, req.HTML, req.ReplyTo =
			body.To, body.Cc, body.Bcc, body.Subject, body.Text, body.HTML, body.ReplyTo
		for _, a := range body.Attachments {
			req.Files = append(req.Files, compose.File{Name: a.Filename, ContentType: a.ContentType, Data: a.Content})
		}
	}
	if req.HTML != "" {
		req.HTML = compose.SafeHTML(req.HTML)
	}
	return req, nil
}

func (s *server) apiSend(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	// The mailbox first: another workspace's id is a 404 whatever the body.
	if _, err := s.cfg.Store.Account(r.Context(), m.WorkspaceID, r.PathValue("id")); err != nil {
		return err
	}
	req, err := readSendRequest(w, r, r.PathValue("id"))
	if err != nil {
		return err
	}
	res, err := s.sender().Send(r.Context(), m, req)
	if err != nil {
		return sendError(err)
	}
	return writeJSON(w, http.StatusCreated, res)
}
