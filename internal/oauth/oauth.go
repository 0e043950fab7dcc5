// Package oauth holds the OAuth2 side of Gmail and Microsoft 365
// mailboxes: the providers' endpoints and scopes from the environment,
// the token sealed as an account's secret, and an HTTP client that keeps
// its access token fresh and stores rotated refresh tokens. It does not
// speak either mail API (gmailsync, graphsync) nor serve pages (web).
package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/mailsync/mailsync/internal/provider"
)

// Provider names, as accounts store them.
const (
	Google    = "gmail"
	Microsoft = "microsoft"
)

// Default endpoints; each has an environment override (CONTRACT.md).
const (
	defaultGoogleAuthURL     = "https://accounts.google.com/o/oauth2/v2/auth"
	defaultGoogleTokenURL    = "https://oauth2.googleapis.com/token"
	defaultGmailAPIURL       = "https://gmail.googleapis.com/"
	defaultMicrosoftAuthURL  = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize"
	defaultMicrosoftTokenURL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
	defaultGraphAPIURL       = "https://graph.microsoft.com/v1.0"
)

// Scopes: reading and sending mail (sending is the next feature), and for
// Microsoft the profile and a refresh token.
var (
	googleScopes    = []string{"https://www.googleapis.com/auth/gmail.readonly", "https://www.googleapis.com/auth/gmail.send"}
	microsoftScopes = []string{"https://graph.microsoft.com/Mail.ReadWrite", "https://graph.microsoft.com/Mail.Send",
		"https://graph.microsoft.com/User.Read", "offline_access"}
)

// App is one provider's registered OAuth application.
type App struct {
	Provider string // Google or Microsoft
	Config   oauth2.Config
	// APIURL is the mail API's base: the gmail/v1 client's base path, or
	// Graph's versioned root.
	APIURL string
}

// Configured reports whether the operator registered the application.
func (a App) Configured() bool { return a.Config.ClientID != "" }

// Label is the provider's name for people.
func (a App) Label() string {
	if a.Provider == Google {
		return "Google"
	}
	return "Microsoft"
}

// Settings are both applications and the public URL users reach.
type Settings struct {
	PublicURL string
	Google    App
	Microsoft App
}

// FromEnv reads the MAILSYNC_* variables of CONTRACT.md.
func FromEnv(getenv func(string) string) Settings {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	tenant := get("MAILSYNC_MICROSOFT_TENANT", "common")
	withTenant := func(u string) string { return strings.ReplaceAll(u, "{tenant}", tenant) }
	return Settings{
		PublicURL: strings.TrimRight(get("MAILSYNC_PUBLIC_URL", ""), "/"),
		Google: App{Provider: Google, APIURL: get("MAILSYNC_GMAIL_API_URL", defaultGmailAPIURL),
			Config: oauth2.Config{
				ClientID:     get("MAILSYNC_GOOGLE_CLIENT_ID", ""),
				ClientSecret: get("MAILSYNC_GOOGLE_CLIENT_SECRET", ""),
				Scopes:       googleScopes,
				Endpoint: oauth2.Endpoint{
					AuthURL:   get("MAILSYNC_GOOGLE_AUTH_URL", defaultGoogleAuthURL),
					TokenURL:  get("MAILSYNC_GOOGLE_TOKEN_URL", defaultGoogleTokenURL),
					AuthStyle: oauth2.AuthStyleInParams,
				},
			}},
		Microsoft: App{Provider: Microsoft, APIURL: strings.TrimRight(get("MAILSYNC_GRAPH_API_URL", defaultGraphAPIURL), "/"),
			Config: oauth2.Config{
				ClientID:     get("MAILSYNC_MICROSOFT_CLIENT_ID", ""),
				ClientSecret: get("MAILSYNC_MICROSOFT_CLIENT_SECRET", ""),
				Scopes:       microsoftScopes,
				Endpoint: oauth2.Endpoint{
					AuthURL:   withTenant(get("MAILSYNC_MICROSOFT_AUTH_URL", defaultMicrosoftAuthURL)),
					TokenURL:  withTenant(get("MAILSYNC_MICROSOFT_TOKEN_URL", defaultMicrosoftTokenURL)),
					AuthStyle: oauth2.AuthStyleInParams,
				},
			}},
	}
}

// App returns the application of a provider name ("gmail", "microsoft";
// "google" is accepted for the former, as the URLs say).
func (s Settings) App(name string) (App, bool) {
	switch name {
	case Google, "google":
		return s.Google, true
	case Microsoft:
		return s.Microsoft, true
	}
	return App{}, false
}

// Token is what an OAuth account seals as its secret: the refresh token,
// and the access token while it lasts (so that every sync need not
// refresh one).
type Token struct {
	RefreshToken string    `json:"refreshToken"`
	AccessToken  string    `json:"accessToken,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
}

// ParseToken reads a sealed-and-opened secret.
func ParseToken(secret string) (Token, error) {
	var t Token
	if err := json.Unmarshal([]byte(secret), &t); err != nil || t.RefreshToken == "" {
		return Token{}, errors.New("the stored OAuth grant is unreadable: reconnect the mailbox")
	}
	return t, nil
}

// Encode is the secret to seal.
func (t Token) Encode() string {
	b, _ := json.Marshal(t)
	return string(b)
}

// tokenHTTP is the client token requests use: bounded in time, whatever
// the provider does.
var tokenHTTP = &http.Client{Timeout: 30 * time.Second}

func tokenContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, tokenHTTP)
}

// Exchange trades an authorization code (with its PKCE verifier) for a
// token, for the browser flow's callback.
func (a App) Exchange(ctx context.Context, code, verifier, redirectURL string) (Token, error) {
	cfg := a.Config
	cfg.RedirectURL = redirectURL
	t, err := cfg.Exchange(tokenContext(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Token{}, describe(a, err)
	}
	if t.RefreshToken == "" {
		return Token{}, fmt.Errorf("%s granted access without a refresh token: remove mailsync's access in your account's security settings and connect again", a.Label())
	}
	return Token{RefreshToken: t.RefreshToken, AccessToken: t.AccessToken, Expiry: t.Expiry}, nil
}

// AuthCodeURL is where the browser flow sends the user: with state, the
// PKCE challenge (S256) and what makes each provider issue a refresh
// token (Google: access_type=offline and consent; Microsoft: the
// offline_access scope).
func (a App) AuthCodeURL(state, verifier, redirectURL, loginHint string) string {
	cfg := a.Config
	cfg.RedirectURL = redirectURL
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if a.Provider == Google {
		opts = append(opts, oauth2.AccessTypeOffline, oauth2.SetAuthURLParam("prompt", "consent"))
	}
	if loginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", loginHint))
	}
	return cfg.AuthCodeURL(state, opts...)
}

// describe turns a token endpoint's refusal into words; a revoked or
// expired grant wraps provider.ErrAuth, so the account shows failed_auth.
func describe(a App, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		why := re.ErrorDescription
		if why == "" {
			why = re.ErrorCode
		}
		switch re.ErrorCode {
		case "invalid_grant":
			return fmt.Errorf("%s refused the grant (%s): it was revoked or has expired; reconnect the mailbox: %w", a.Label(), why, provider.ErrAuth)
		case "invalid_client", "unauthorized_client":
			return fmt.Errorf("%s refused mailsync's application (%s): check the client id and secret: %w", a.Label(), why, provider.ErrAuth)
		}
		if re.Response != nil && re.Response.StatusCode >= 500 {
			return fmt.Errorf("%s token endpoint answered HTTP %d: %w", a.Label(), re.Response.StatusCode, provider.ErrUnreachable)
		}
		return fmt.Errorf("%s token endpoint: %s", a.Label(), why)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%s token endpoint unreachable: %v: %w", a.Label(), err, provider.ErrUnreachable)
}

// SetupHint says what the operator does to enable the provider.
func (a App) SetupHint() string {
	up := strings.ToUpper(a.Label())
	return fmt.Sprintf("the operator sets MAILSYNC_%s_CLIENT_ID and MAILSYNC_%s_CLIENT_SECRET (see docs/oauth.md)", up, up)
}
