package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/mailsync/mailsync/internal/accounts"
	"github.com/mailsync/mailsync/internal/oauth"
	"github.com/mailsync/mailsync/internal/store"
)

// oauthCookie carries the browser flow's state and PKCE verifier from
// start to callback, sealed, so that no server state is needed and a
// callback from another browser or another member is refused.
const oauthCookie = "mailsync_oauth"

// oauthFlowTTL bounds the time between Connect and the provider's answer.
const oauthFlowTTL = 15 * time.Minute

type oauthFlow struct {
	Provider string    `json:"p"` // URL name: google | microsoft
	State    string    `json:"s"`
	Verifier string    `json:"v"`
	MemberID string    `json:"m"`
	Expires  time.Time `json:"e"`
}

// oauthButton is a "Connect Google/Microsoft" button of Settings > Accounts.
type oauthButton struct {
	Name, Label string
	Configured  bool
}

func (s *server) oauthButtons() []oauthButton {
	return []oauthButton{
		{"google", "Google", s.cfg.Providers.OAuth.Google.Configured()},
		{"microsoft", "Microsoft", s.cfg.Providers.OAuth.Microsoft.Configured()},
	}
}

func (s *server) routeOAuth() {
	s.ui("GET /oauth/{provider}/start", s.oauthStart)
	s.ui("GET /oauth/{provider}/callback", s.oauthCallback)
}

func (s *server) oauthApp(r *http.Request) (oauth.App, error) {
	name := r.PathValue("provider")
	app, ok := s.cfg.Providers.OAuth.App(name)
	if !ok || name == oauth.Google {
		return app, errorf(http.StatusNotFound, "unknown provider")
	}
	if !app.Configured() {
		return app, errorf(http.StatusServiceUnavailable, "Connecting %s mailboxes is not set up on this server: %s.",
			app.Label(), app.SetupHint())
	}
	return app, nil
}

// redirectURL is where the provider sends the user back: under the
// public URL when the operator set one, else under the address the
// browser used.
func (s *server) redirectURL(r *http.Request, name string) string {
	base := s.cfg.Providers.OAuth.PublicURL
	if base == "" {
		scheme := "http"
		if secureCookies(r) {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + "/oauth/" + name + "/callback"
}

// oauthStart sends the member to the provider's consent page.
func (s *server) oauthStart(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	app, err := s.oauthApp(r)
	if err != nil {
		return err
	}
	name := r.PathValue("provider")
	flow := oauthFlow{Provider: name, State: randomToken(), Verifier: oauth2.GenerateVerifier(),
		MemberID: sess.Member.ID, Expires: time.Now().Add(oauthFlowTTL)}
	b, _ := json.Marshal(flow)
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: s.cfg.Box.Seal(string(b)), Path: "/oauth/",
		MaxAge: int(oauthFlowTTL / time.Second), HttpOnly: true, Secure: secureCookies(r),
		// Lax: the cookie must come back on the provider's top-level redirect.
		SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, app.AuthCodeURL(flow.State, flow.Verifier, s.redirectURL(r, name), r.URL.Query().Get("login_hint")), http.StatusSeeOther)
	return nil
}

// oauthCallback completes the flow: it checks state, trades the code for
// a token with the PKCE verifier and connects (or reconnects) the mailbox.
func (s *server) oauthCallback(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	app, err := s.oauthApp(r)
	if err != nil {
		return err
	}
	name := r.PathValue("provider")
	flow, err := s.readFlow(r)
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: "", Path: "/oauth/", MaxAge: -1, HttpOnly: true, Secure: secureCookies(r)})
	q := r.URL.Query()
	switch {
	case err != nil:
		return s.renderAccounts(w, r, sess, http.StatusBadRequest, accountForm{}, capitalize(err.Error())+".")
	case flow.Provider != name || flow.MemberID != sess.Member.ID || !sameToken(q.Get("state"), flow.State):
		return s.renderAccounts(w, r, sess, http.StatusBadRequest, accountForm{},
			"This sign-in did not start here (its state does not match): click Connect again.")
	case q.Get("error") != "":
		msg := app.Label() + " did not grant access"
		if d := q.Get("error_description"); d != "" {
			msg += " (" + d + ")"
		} else {
			msg += " (" + q.Get("error") + ")"
		}
		return s.renderAccounts(w, r, sess, http.StatusBadRequest, accountForm{}, msg+". Nothing was connected.")
	}
	tok, err := app.Exchange(r.Context(), q.Get("code"), flow.Verifier, s.redirectURL(r, name))
	if err != nil {
		return s.renderAccounts(w, r, sess, http.StatusBadGateway, accountForm{}, capitalize(err.Error())+". Nothing was connected.")
	}
	res, err := accounts.Adder{Store: s.cfg.Store, Box: s.cfg.Box, Queue: s.cfg.Queue}.AddOAuth(r.Context(), s.cfg.Providers, sess.Member,
		accounts.OAuth{Provider: app.Provider, Token: tok})
	var loginErr *accounts.LoginError
	switch {
	case errors.As(err, &loginErr):
		return s.renderAccounts(w, r, sess, http.StatusUnprocessableEntity, accountForm{}, capitalize(loginErr.Msg))
	case errors.Is(err, store.ErrConflict):
		return s.renderAccounts(w, r, sess, http.StatusConflict, accountForm{}, capitalize(err.Error()))
	case res != nil && err != nil:
		s.log.Error("queue import", "account", res.Account.ID, "err", err) // saved; the scheduler imports it
	case err != nil:
		return err
	}
	param, action := "added", store.AuditAccountAdd
	if res.Reconnected {
		param, action = "reconnected", store.AuditAccountReconnect
	}
	s.audit(r, sess.Member, action, res.Account.ID, accountAddDetails(res.Account))
	http.Redirect(w, r, "/settings/accounts?"+param+"="+url.QueryEscape(res.Account.Handle), http.StatusSeeOther)
	return nil
}

func (s *server) readFlow(r *http.Request) (oauthFlow, error) {
	var flow oauthFlow
	c, err := r.Cookie(oauthCookie)
	if err != nil {
		return flow, errors.New("this sign-in has expired or was started in another browser: click Connect again")
	}
	plain, err := s.cfg.Box.Open(c.Value)
	if err != nil || json.Unmarshal([]byte(plain), &flow) != nil {
		return flow, errors.New("this sign-in could not be read: click Connect again")
	}
	if time.Now().After(flow.Expires) {
		return flow, errors.New("this sign-in took too long and expired: click Connect again")
	}
	return flow, nil
}
