package web

import (
	"errors"
	"net/http"
	"net/mail"
	"strconv"
	"strings"

	"github.com/mailsync/mailsync/internal/compose"
	"github.com/mailsync/mailsync/internal/smtpsend"
	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

// composeForm is what the compose page shows (and shows again with the
// error when a send fails).
type composeForm struct {
	Accounts                      []*store.Account
	Account, ReplyTo, Back, Error string
	To, Cc, Bcc, Subject, Text    string
}

// uiCompose opens a new message (?to=… from a Person or Company page) or
// a reply (?replyTo=MESSAGE_ID, &all=1 for Reply all).
func (s *server) uiCompose(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	q := r.URL.Query()
	form := composeForm{To: strings.Join(q["to"], ", "), ReplyTo: q.Get("replyTo"), Back: safePath(q.Get("back"))}
	if form.ReplyTo != "" {
		if err := s.prefillReply(r, sess.Member, &form, q.Get("all") == "1"); err != nil {
			return err
		}
	}
	return s.renderCompose(w, r, sess.Member, http.StatusOK, form)
}

func (s *server) renderCompose(w http.ResponseWriter, r *http.Request, m *store.Member, status int, form composeForm) error {
	all, err := s.cfg.Store.Accounts(r.Context(), m.WorkspaceID)
	if err != nil {
		return err
	}
	for _, a := range all {
		if a.MemberID == m.ID {
			form.Accounts = append(form.Accounts, a)
		}
	}
	if form.Back == "" && form.ReplyTo != "" {
		if msg, err := s.cfg.Store.Message(r.Context(), m.WorkspaceID, form.ReplyTo); err == nil {
			form.Back = "/threads/" + msg.ThreadID
		}
	}
	s.render(w, r, status, "compose", page{Title: "Compose", Nav: "people", Data: form})
	return nil
}

// prefillReply fills the recipients and subject of a reply: the sender
// (or, replying to one's own message, its recipients); Reply all adds
// the other recipients and copies, less the member's own addresses.
func (s *server) prefillReply(r *http.Request, m *store.Member, form *composeForm, all bool) error {
	msg, err := s.cfg.Store.Message(r.Context(), m.WorkspaceID, form.ReplyTo)
	if err != nil {
		return err
	}
	v := visibility.Message(m.ID, msg)
	if v.Subject != nil {
		form.Subject = compose.ReplySubject(*v.Subject)
	}
	own := map[string]bool{strings.ToLower(m.Email): true}
	accounts, err := s.cfg.Store.Accounts(r.Context(), m.WorkspaceID)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		if a.MemberID == m.ID {
			own[a.Handle] = true
			for _, al := range a.Aliases {
				own[al] = true
			}
			if form.Account == "" {
				form.Account = a.ID
			}
		}
	}
	by := map[string][]string{}
	for _, p := range v.Participants {
		addr := (&mail.Address{Name: p.Name, Address: p.Email}).String()
		by[p.Role] = append(by[p.Role], addr)
		if own[strings.ToLower(p.Email)] {
			by[p.Role+"-own"] = append(by[p.Role+"-own"], addr)
		}
	}
	to := by["reply-to"]
	if len(to) == 0 {
		to = by["from"]
	}
	if len(by["from-own"]) > 0 { // replying to one's own message: to its recipients
		to = by["to"]
	}
	var cc []string
	if all {
		to = append(to, by["to"]...)
		cc = by["cc"]
	}
	form.To, form.Cc = joinOthers(to, own), joinOthers(cc, own)
	return nil
}

// joinOthers lists addresses once each, without the member's own.
func joinOthers(addrs []string, own map[string]bool) string {
	var out []string
	seen := map[string]bool{}
	for _, a := range addrs {
		p, err := mail.ParseAddress(a)
		if err != nil || own[strings.ToLower(p.Address)] || seen[strings.ToLower(p.Address)] {
			continue
		}
		seen[strings.ToLower(p.Address)] = true
		out = append(out, a)
	}
	return strings.Join(out, ", ")
}

// uiSend sends the compose form and opens the message's thread.
func (s *server) uiSend(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	req, err := readSendRequest(w, r, r.FormValue("account"))
	if err != nil {
		return err
	}
	form := composeForm{Account: req.AccountID, ReplyTo: req.ReplyTo, Back: safePath(r.FormValue("back")),
		To: r.FormValue("to"), Cc: r.FormValue("cc"), Bcc: r.FormValue("bcc"), Subject: r.FormValue("subject"), Text: req.Text}
	if strings.TrimSpace(form.Subject) == "" && req.ReplyTo != "" {
		req.Subject = nil // the reply's default
	}
	res, err := s.sender().Send(r.Context(), sess.Member, req)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) && req.ReplyTo == "" {
			return err
		}
		status, _ := statusOf(sendError(err))
		form.Error = sendError(err).Error()
		return s.renderCompose(w, r, sess.Member, status, form)
	}
	if res.ThreadID == "" {
		http.Redirect(w, r, "/people", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/threads/"+res.ThreadID, http.StatusSeeOther)
	return nil
}

// safePath keeps a same-site path for a Back link.
func safePath(p string) string {
	if strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") {
		return p
	}
	return ""
}

// uiSaveSMTP saves an IMAP mailbox's sending settings (its owner only);
// a preset fills in the server, port and security.
func (s *server) uiSaveSMTP(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	a, err := s.mailboxAccount(r, sess.Member)
	if err != nil {
		return err
	}
	if a.Provider != "imap" {
		return errorf(http.StatusBadRequest, "%s sends through its provider's API: it has no SMTP settings", a.Handle)
	}
	host, security, username := strings.TrimSpace(r.PostFormValue("host")), r.PostFormValue("security"), strings.TrimSpace(r.PostFormValue("username"))
	port, _ := strconv.Atoi(r.PostFormValue("port"))
	for _, p := range smtpsend.Presets {
		if p.Name == r.PostFormValue("preset") {
			host, port, security = p.Host, p.Port, p.Security
		}
	}
	switch security {
	case smtpsend.SecurityTLS, smtpsend.SecurityStartTLS, smtpsend.SecurityNone:
	default:
		return s.renderMailbox(w, r, sess, a, http.StatusBadRequest, "", "Security must be TLS, STARTTLS or none.")
	}
	if port < 1 || port > 65535 {
		return s.renderMailbox(w, r, sess, a, http.StatusBadRequest, "", "The SMTP port must be between 1 and 65535.")
	}
	if err := s.cfg.Providers.Guard.CheckHost(r.Context(), host); err != nil {
		return s.renderMailbox(w, r, sess, a, http.StatusBadRequest, "", "SMTP server "+host+": "+err.Error())
	}
	var secret *string
	if pw := r.PostFormValue("password"); pw != "" {
		sealed := s.cfg.Box.Seal(pw)
		secret = &sealed
	}
	if err := s.cfg.Store.SetSMTP(r.Context(), a.WorkspaceID, a.ID, &host, &security, &username, secret, &port); err != nil {
		return err
	}
	if err := s.cfg.Store.Audit(r.Context(), a.WorkspaceID, actor(r, sess.Member), store.AuditAccountUpdate, a.ID,
		map[string]any{"smtpHost": host, "smtpPort": port, "smtpSecurity": security, "smtpUsername": username, "smtpPassword": secret != nil}); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/emails/"+a.ID+"?saved=1", http.StatusSeeOther)
	return nil
}
