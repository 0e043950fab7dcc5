// Package connect opens a provider session for a connected account: it
// maps an account's provider name to the package that speaks it (IMAP,
// Gmail API, Microsoft Graph) and, for the OAuth providers, builds the
// HTTP client that carries a fresh access token and retries throttling.
package connect

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/mailsync/mailsync/internal/gmailsync"
	"github.com/mailsync/mailsync/internal/graphsync"
	"github.com/mailsync/mailsync/internal/httpretry"
	"github.com/mailsync/mailsync/internal/imapsync"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/oauth"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

// graphInFlight is Graph's documented limit of concurrent requests per
// mailbox; more are answered 429.
const graphInFlight = 4

// apiTransport carries Gmail and Graph requests: timeouts on dialling,
// handshakes and response headers (oauth's client bounds whole requests).
var apiTransport http.RoundTripper = netguard.Guard{AllowPrivate: true}.Transport()

// Connector opens sessions.
type Connector struct {
	// Guard checks the IMAP servers users type: its zero value refuses
	// internal addresses (MAILSYNC_ALLOW_PRIVATE_HOSTS lifts that).
	Guard netguard.Guard
	// TLSConfig, when set, replaces the system defaults for IMAP over TLS
	// (tests trust their own CA with it).
	TLSConfig *tls.Config
	// OAuth holds the Google and Microsoft applications and API URLs.
	OAuth oauth.Settings
	// Store and Box, when set, store the tokens a provider rotates during
	// a session, sealed, as soon as they are issued.
	Store *store.Store
	Box   *secrets.Box
	// Transport is the HTTP transport under the API providers (nil: one
	// with dial, handshake and response timeouts; the API hosts are the
	// operator's, not the user's, so the guard does not apply to them).
	Transport http.RoundTripper
	Log       *slog.Logger
}

// APIMailbox is a Gmail or Graph session: a mailbox that also lists ids,
// tells its addresses, and holds the account's current secret (its token
// after any refresh or rotation).
type APIMailbox interface {
	apiSession
	Secret() string
}

// apiSession is what gmailsync and graphsync mailboxes offer.
type apiSession interface {
	provider.Mailbox
	provider.Lister
	provider.Identity
	provider.Sender
}

// Connect opens a session for a with its decrypted secret.
func (c Connector) Connect(ctx context.Context, a *store.Account, secret string) (provider.Mailbox, error) {
	switch a.Provider {
	case "imap":
		return imapsync.Dial(ctx, imapsync.Config{
			Host: a.Host, Port: a.Port, Security: a.Security,
			Username: a.Username, Password: secret, TLSConfig: c.TLSConfig,
			Dial: c.Guard.DialContext,
		})
	case oauth.Google, oauth.Microsoft:
		return c.ConnectAPI(ctx, a, secret)
	}
	return nil, fmt.Errorf("provider %q is not supported", a.Provider)
}

// ConnectAPI opens a Gmail or Graph session.
func (c Connector) ConnectAPI(ctx context.Context, a *store.Account, secret string) (APIMailbox, error) {
	app, ok := c.OAuth.App(a.Provider)
	if !ok {
		return nil, fmt.Errorf("provider %q does not use OAuth", a.Provider)
	}
	if !app.Configured() {
		return nil, fmt.Errorf("%s mailboxes are not set up on this server: %s", app.Label(), app.SetupHint())
	}
	tok, err := oauth.ParseToken(secret)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", a.Handle, err)
	}
	session := app.NewSession(ctx, tok, c.saver(a))
	base := c.Transport
	if base == nil {
		base = apiTransport
	}
	var mb apiSession
	if a.Provider == oauth.Google {
		client := session.Client(httpretry.New(base, 0))
		mb, err = gmailsync.Open(ctx, gmailsync.Config{BaseURL: app.APIURL, HTTPClient: client})
	} else {
		client := session.Client(httpretry.New(base, graphInFlight))
		mb, err = graphsync.Open(ctx, graphsync.Config{BaseURL: app.APIURL, HTTPClient: client})
	}
	if err != nil {
		return nil, err
	}
	return &apiMailbox{mb, session}, nil
}

// saver stores the tokens an account's session rotates.
func (c Connector) saver(a *store.Account) func(oauth.Token) {
	if c.Store == nil || c.Box == nil || a.ID == "" {
		return nil
	}
	return func(tok oauth.Token) {
		// Not the sync's context: a token issued must be kept even when
		// the sync that asked for it is being cancelled.
		ctx := context.Background()
		if err := c.Store.UpdateAccountSecret(ctx, a.ID, c.Box.Seal(tok.Encode())); err != nil {
			log := c.Log
			if log == nil {
				log = slog.Default()
			}
			log.Error("store a refreshed OAuth token", "account", a.ID, "err", err)
		}
	}
}

type apiMailbox struct {
	apiSession
	session *oauth.Session
}

func (m *apiMailbox) Secret() string { return m.session.Token().Encode() }
