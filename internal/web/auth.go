package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mailsync/mailsync/internal/store"
)

const (
	sessionCookie = "mailsync_session"
	loginCSRF     = "mailsync_login_csrf" // double-submit token of the login form
)

type sessionKey struct{}

// sessionOf returns the session the middleware attached to the request.
func sessionOf(r *http.Request) *store.Session {
	s, _ := r.Context().Value(sessionKey{}).(*store.Session)
	return s
}

// session looks up the request's session cookie; nil when there is none
// or it expired.
func (s *server) session(r *http.Request) (*store.Session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	sess, err := s.cfg.Store.SessionByToken(r.Context(), c.Value)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return sess, err
}

// uiHandler answers a logged-in UI request.
type uiHandler func(w http.ResponseWriter, r *http.Request, sess *store.Session) error

// ui registers a UI route that needs a login; GET without one redirects
// to the login page, and every other method must carry the session's
// CSRF token in the form field "csrf".
func (s *server) ui(pattern string, h uiHandler) { s.uiLimit(pattern, 1<<20, h) }

// uiLimit is ui with its own bound on the request body (a form with
// attachments needs more than the default 1 MiB).
func (s *server) uiLimit(pattern string, maxBody int64, h uiHandler) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.session(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if sess == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "Your session has ended: log in again.", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
			if !sameToken(r.PostFormValue("csrf"), sess.CSRFToken) {
				http.Error(w, "This form has expired or did not come from mailsync: reload the page and try again.", http.StatusForbidden)
				return
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess))
		if err := h(w, r, sess); err != nil {
			s.fail(w, r, err)
		}
	}))
}

func sameToken(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// secureCookies tells whether cookies must be Secure: the request came
// over TLS, directly or through a proxy that says so.
func secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteLaxMode})
}

// loginPage is the login form's data.
type loginPage struct {
	Email, Next, Error, CSRF string
}

func (s *server) getLogin(w http.ResponseWriter, r *http.Request) {
	if sess, err := s.session(r); err == nil && sess != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, http.StatusOK, loginPage{Next: r.URL.Query().Get("next")})
}

func (s *server) renderLogin(w http.ResponseWriter, r *http.Request, status int, p loginPage) {
	p.CSRF = randomToken()
	setCookie(w, r, loginCSRF, p.CSRF, time.Hour)
	s.render(w, r, status, "login", page{Title: "Log in", Data: p})
}

func (s *server) postLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	email := strings.TrimSpace(r.PostFormValue("email"))
	next := r.PostFormValue("next")
	c, err := r.Cookie(loginCSRF)
	if err != nil || !sameToken(r.PostFormValue("csrf"), c.Value) {
		s.renderLogin(w, r, http.StatusForbidden, loginPage{Email: email, Next: next,
			Error: "The login form expired. Please try again."})
		return
	}
	ip := clientIP(r)
	wait, err := s.logins.retryAfter(r.Context(), email, ip)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if wait > 0 {
		minutes := int((wait + time.Minute - 1) / time.Minute)
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		s.renderLogin(w, r, http.StatusTooManyRequests, loginPage{Email: email, Next: next,
			Error: fmt.Sprintf("Too many failed attempts: try again in %d %s.", minutes, plural(minutes, "minute"))})
		return
	}
	m, err := s.authenticate(r.Context(), email, r.PostFormValue("password"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if m == nil {
		if err := s.logins.failed(r.Context(), email, ip); err != nil {
			s.log.Error("record failed login", "err", err)
		}
		s.log.Warn("failed login", "email", email, "ip", ip)
		s.renderLogin(w, r, http.StatusUnauthorized, loginPage{Email: email, Next: next,
			Error: "Wrong email or password."})
		return
	}
	if err := s.logins.succeeded(r.Context(), email); err != nil {
		s.log.Error("clear failed logins", "err", err)
	}
	token, _, err := s.cfg.Store.CreateSession(r.Context(), m.ID, s.cfg.SessionTTL)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.cfg.Store.DeleteExpiredSessions(r.Context()); err != nil {
		s.log.Warn("delete expired sessions", "err", err)
	}
	setCookie(w, r, loginCSRF, "", -time.Second)
	setCookie(w, r, sessionCookie, token, s.cfg.SessionTTL)
	s.log.Info("login", "member", m.ID)
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

// dummyHash is compared against when no member has the email, so that a
// wrong email takes as long as a wrong password.
// It is made on first use: bcrypt is slow on purpose, and every CLI
// command links this package.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("mailsync timing equalizer"), bcrypt.DefaultCost)
	return h
})

// authenticate returns the member whose email and password match, or nil.
// A login email may exist in several workspaces: the password picks one.
func (s *server) authenticate(ctx context.Context, email, password string) (*store.Member, error) {
	if email == "" || password == "" {
		return nil, nil
	}
	members, err := s.cfg.Store.MembersByLoginEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	checked := false
	for _, m := range members {
		if m.PasswordHash == "" {
			continue
		}
		checked = true
		if bcrypt.CompareHashAndPassword([]byte(m.PasswordHash), []byte(password)) == nil {
			return m, nil
		}
	}
	if !checked {
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
	}
	return nil, nil
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/people"
	}
	return next
}

func (s *server) postLogout(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.cfg.Store.DeleteSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	setCookie(w, r, sessionCookie, "", -time.Second)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// plural is word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
