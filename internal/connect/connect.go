// Package connect opens a provider session for a connected account: it
// maps an account's provider name to the package that speaks it (IMAP
// today; Gmail API and Microsoft Graph plug in here).
package connect

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/mailsync/mailsync/internal/imapsync"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/store"
)

// Connector opens sessions. TLSConfig, when set, replaces the system
// defaults for IMAP over TLS (tests trust their own CA with it).
type Connector struct {
	TLSConfig *tls.Config
}

// Connect opens a session for a with its decrypted secret.
func (c Connector) Connect(ctx context.Context, a *store.Account, secret string) (provider.Mailbox, error) {
	switch a.Provider {
	case "imap":
		return imapsync.Dial(ctx, imapsync.Config{
			Host: a.Host, Port: a.Port, Security: a.Security,
			Username: a.Username, Password: secret, TLSConfig: c.TLSConfig,
		})
	}
	return nil, fmt.Errorf("provider %q is not supported yet", a.Provider)
}
