package web

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailsync/mailsync/internal/accounts"
	"github.com/mailsync/mailsync/internal/policy"
	"github.com/mailsync/mailsync/internal/preview"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/rules"
	"github.com/mailsync/mailsync/internal/smtpsend"
	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

// pageSize is the number of threads on one page of an Emails tab.
const pageSize = 25

// routeUI registers the web UI.
func (s *server) routeUI() {
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles()))
	s.mux.HandleFunc("GET /{$}", s.home)
	s.mux.HandleFunc("GET /login", s.getLogin)
	s.mux.HandleFunc("POST /login", s.postLogin)
	s.ui("POST /logout", s.postLogout)
	s.ui("GET /people", s.uiPeople)
	s.ui("GET /people/{id}", s.uiPerson)
	s.ui("GET /companies", s.uiCompanies)
	s.ui("GET /companies/{id}", s.uiCompany)
	s.ui("GET /threads/{id}", s.uiThread)
	s.ui("GET /search", s.uiSearch)
	s.ui("GET /messages/{id}/attachments/{index}", s.uiAttachment)
	s.ui("POST /threads/{id}/access-requests", s.uiRequestAccess)
	s.ui("GET /access", s.uiAccess)
	s.ui("GET /compose", s.uiCompose)
	s.uiLimit("POST /compose", maxSendBytes, s.uiSend)
	s.ui("POST /access/{id}/{action}", s.uiDecideAccess)
	s.ui("GET /settings", func(w http.ResponseWriter, r *http.Request, _ *store.Session) error {
		http.Redirect(w, r, "/settings/accounts", http.StatusSeeOther)
		return nil
	})
	s.ui("GET /settings/accounts", s.uiAccounts)
	s.ui("POST /settings/accounts", s.uiAddAccount)
	s.ui("POST /settings/accounts/preview", s.uiPreviewAccount)
	s.ui("GET /settings/accounts/status", s.uiAccountStatus)
	s.ui("POST /settings/accounts/{id}/remove", s.uiRemoveAccount)
	s.ui("POST /settings/accounts/{id}/pause", s.uiPauseAccount)
	s.ui("POST /settings/accounts/{id}/resume", s.uiResumeAccount)
	s.ui("GET /settings/emails", s.uiEmails)
	s.ui("GET /settings/emails/{id}", s.uiMailbox)
	s.ui("POST /settings/emails/{id}", s.uiSaveMailbox)
	s.ui("POST /settings/emails/{id}/smtp", s.uiSaveSMTP)
	s.ui("GET /settings/blocklist", s.uiBlocklist)
	s.ui("POST /settings/blocklist", s.uiAddBlocklist)
	s.ui("POST /settings/blocklist/remove", s.uiRemoveBlocklist)
	s.ui("GET /settings/workspace", s.uiWorkspace)
	s.ui("POST /settings/workspace", s.uiSaveWorkspace)
	s.ui("GET /settings/audit", s.uiAudit)
	s.ui("GET /settings/webhooks", s.uiWebhooks)
	s.ui("POST /settings/webhooks", s.uiAddWebhook)
	s.ui("POST /settings/webhooks/{id}/remove", s.uiRemoveWebhook)
}

// home is the login page for visitors and the People list for members.
func (s *server) home(w http.ResponseWriter, r *http.Request) {
	sess, err := s.session(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if sess != nil {
		http.Redirect(w, r, "/people", http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, http.StatusOK, loginPage{})
}

// fail shows an error page: 404 for unknown (or other workspaces') ids,
// the message of a client error, and a bare 500 for the rest.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := statusOf(err)
	if status == http.StatusInternalServerError {
		s.log.Error("ui", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "Something went wrong on our side. Try again in a moment."
	}
	if status == http.StatusNotFound {
		msg = "This page does not exist, or it is not shared with you."
	}
	s.render(w, r, status, "error", page{Title: http.StatusText(status), Data: msg})
}

// personRow is a row of the People list.
type personRow struct {
	ID, Name, Email, Company, CompanyID string
}

func personName(p *store.Person) string {
	if n := strings.TrimSpace(p.FirstName + " " + p.LastName); n != "" {
		return n
	}
	return p.PrimaryEmail
}

func (s *server) uiPeople(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	ctx, ws := r.Context(), sess.Member.WorkspaceID
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	people, err := s.cfg.Store.SearchPeople(ctx, ws, q, 500)
	if err != nil {
		return err
	}
	companies, err := s.cfg.Store.Companies(ctx, ws)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, c := range companies {
		names[c.ID] = c.Name
	}
	rows := make([]personRow, 0, len(people))
	for _, p := range people {
		row := personRow{ID: p.ID, Name: personName(p), Email: p.PrimaryEmail}
		if p.CompanyID != nil {
			row.CompanyID, row.Company = *p.CompanyID, names[*p.CompanyID]
		}
		rows = append(rows, row)
	}
	s.render(w, r, http.StatusOK, "people", page{Title: "People", Nav: "people",
		Data: map[string]any{"Q": q, "People": rows}})
	return nil
}

func (s *server) uiCompanies(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	companies, err := s.cfg.Store.SearchCompanies(r.Context(), sess.Member.WorkspaceID, q, 500)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "companies", page{Title: "Companies", Nav: "companies",
		Data: map[string]any{"Q": q, "Companies": companies}})
	return nil
}

// rowView is an Emails tab row ready to show.
type rowView struct {
	visibility.ThreadRow
	Names []string // participants, senders first
	More  int      // participants not named
	Lock  string   // what is withheld, in words; "" when nothing is
}

func levelLabel(level string) string {
	for _, l := range visibility.Levels {
		if l.Value == level {
			return l.Label
		}
	}
	return level
}

// lockText says what a viewer does not see at a level.
func lockText(level string) string {
	switch {
	case !visibility.ShowsSubject(level):
		return "Subject hidden: shared as " + levelLabel(level)
	case !visibility.ShowsBody(level):
		return "Content hidden: shared as " + levelLabel(level)
	}
	return ""
}

func toRowView(t visibility.ThreadRow) rowView {
	v := rowView{ThreadRow: t, Lock: lockText(t.Visibility)}
	for i, p := range t.Participants {
		if i == 3 {
			v.More = len(t.Participants) - 3
			break
		}
		name := p.Name
		if name == "" {
			name = p.Email
		}
		v.Names = append(v.Names, name)
	}
	return v
}

// searchRow is a search result ready to show: it links to its thread.
type searchRow struct {
	visibility.MessageView
	Names   []string
	More    int
	Snippet string // the start of the body, when the viewer sees it
	Lock    string
}

func toSearchRow(m visibility.MessageView) searchRow {
	v := searchRow{MessageView: m, Lock: lockText(m.Visibility)}
	for i, p := range m.Participants {
		if i == 3 {
			v.More = len(m.Participants) - 3
			break
		}
		v.Names = append(v.Names, cmp.Or(p.Name, p.Email))
	}
	if m.Text != nil {
		v.Snippet = snippet(*m.Text, 160)
	}
	return v
}

// snippet is the start of a text on one line, at most n runes.
func snippet(text string, n int) string {
	s := []rune(strings.Join(strings.Fields(text), " "))
	if len(s) <= n {
		return string(s)
	}
	return string(s[:n]) + "…"
}

// uiSearch is the mail search page: the API's search, a page at a time.
func (s *server) uiSearch(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	data := map[string]any{"Q": q}
	if q != "" {
		pageNo, _ := strconv.Atoi(r.URL.Query().Get("page"))
		pageNo = max(pageNo, 1)
		res, err := s.search(r.Context(), sess.Member, q, pageSize, (pageNo-1)*pageSize)
		if err != nil {
			return err
		}
		rows := make([]searchRow, 0, len(res.Messages))
		for _, m := range res.Messages {
			rows = append(rows, toSearchRow(m))
		}
		pageURL := func(n int) string { return "/search?" + url.Values{"q": {q}, "page": {strconv.Itoa(n)}}.Encode() }
		if pageNo > 1 {
			data["PrevURL"] = pageURL(pageNo - 1)
		}
		if (pageNo-1)*pageSize+len(rows) < res.Total {
			data["NextURL"] = pageURL(pageNo + 1)
		}
		data["Rows"], data["Total"] = rows, res.Total
		data["From"], data["To"] = (pageNo-1)*pageSize+1, (pageNo-1)*pageSize+len(rows)
	}
	s.render(w, r, http.StatusOK, "search", page{Title: "Search mail", Nav: "search", Data: data})
	return nil
}

// emailsTab is the Emails tab of a Person or Company page.
type emailsTab struct {
	Rows             []rowView
	Total            int
	From, To         int
	PrevURL, NextURL string
}

func (s *server) emailsTab(r *http.Request, sess *store.Session, kind, id string) (*emailsTab, error) {
	pageNo, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pageNo = max(pageNo, 1)
	tp, err := s.threadsOf(r, sess.Member, kind, id, pageSize, (pageNo-1)*pageSize)
	if err != nil {
		return nil, err
	}
	tab := &emailsTab{Total: tp.Total, From: tp.Offset + 1, To: tp.Offset + len(tp.Threads)}
	for _, t := range tp.Threads {
		tab.Rows = append(tab.Rows, toRowView(t))
	}
	pageURL := func(n int) string { return fmt.Sprintf("%s?page=%d", r.URL.Path, n) }
	if pageNo > 1 {
		tab.PrevURL = pageURL(pageNo - 1)
	}
	if tp.Offset+len(tp.Threads) < tp.Total {
		tab.NextURL = pageURL(pageNo + 1)
	}
	return tab, nil
}

func (s *server) uiPerson(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	ctx, ws := r.Context(), sess.Member.WorkspaceID
	p, err := s.cfg.Store.Person(ctx, ws, r.PathValue("id"))
	if err != nil {
		return err
	}
	var company *store.Company
	if p.CompanyID != nil {
		if company, err = s.cfg.Store.Company(ctx, ws, *p.CompanyID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	tab, err := s.emailsTab(r, sess, "person", p.ID)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "person", page{Title: personName(p), Nav: "people",
		Data: map[string]any{"Person": p, "Name": personName(p), "Company": company, "Emails": tab}})
	return nil
}

func (s *server) uiCompany(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	ctx, ws := r.Context(), sess.Member.WorkspaceID
	c, err := s.cfg.Store.Company(ctx, ws, r.PathValue("id"))
	if err != nil {
		return err
	}
	people, err := s.cfg.Store.PeopleOfCompany(ctx, ws, c.ID)
	if err != nil {
		return err
	}
	rows := make([]personRow, 0, len(people))
	for _, p := range people {
		rows = append(rows, personRow{ID: p.ID, Name: personName(p), Email: p.PrimaryEmail})
	}
	tab, err := s.emailsTab(r, sess, "company", c.ID)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "company", page{Title: c.Name, Nav: "companies",
		Data: map[string]any{"Company": c, "People": rows, "Emails": tab}})
	return nil
}

// messageView is an opened message ready to show.
type messageView struct {
	visibility.MessageView
	From, To, Cc []visibility.ParticipantView
	Lock         string
	Body         template.HTML // sanitized HTML body
	Plain        string        // plain text body when there is no HTML
	HeldImages   int
	Files        []fileView
	Why          []whyJSON // the viewer's own mailboxes only: "Why is this email here?"
}

// fileView is an attachment link in the thread view.
type fileView struct {
	visibility.AttachmentView
	URL     string
	Preview bool // a raster image, shown inline
}

func toMessageView(m visibility.MessageView, showImages bool) messageView {
	v := messageView{MessageView: m, Lock: lockText(m.Visibility)}
	for _, p := range m.Participants {
		switch p.Role {
		case "from":
			v.From = append(v.From, p)
		case "to":
			v.To = append(v.To, p)
		case "cc":
			v.Cc = append(v.Cc, p)
		}
	}
	if m.HTML != nil && strings.TrimSpace(*m.HTML) != "" {
		v.Body, v.HeldImages = sanitizeHTML(*m.HTML, showImages)
	} else if m.Text != nil {
		v.Plain = *m.Text
	}
	for _, a := range m.Attachments {
		v.Files = append(v.Files, fileView{AttachmentView: a, Preview: canPreview(a),
			URL: "/messages/" + url.PathEscape(m.ID) + "/attachments/" + strconv.Itoa(a.Index)})
	}
	return v
}

func (s *server) uiThread(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	t, msgs, err := s.cfg.Store.Thread(r.Context(), sess.Member.WorkspaceID, r.PathValue("id"))
	if err != nil {
		return err
	}
	tv := visibility.Thread(sess.Member.ID, t, msgs)
	showImages := r.URL.Query().Get("images") == "show"
	views := make([]messageView, 0, len(tv.Messages))
	stored := make(map[string]*store.StoredMessage, len(msgs))
	for _, m := range msgs {
		stored[m.ID] = m
	}
	held := 0
	for _, m := range tv.Messages {
		v := toMessageView(m, showImages)
		held += v.HeldImages
		if sm := stored[m.ID]; sm != nil {
			if v.Why, err = s.whyHere(r.Context(), sess.Member, sm); err != nil {
				return err
			}
		}
		views = append(views, v)
	}
	if showImages {
		w.Header().Set("Content-Security-Policy", csp(true))
	}
	title := "Email"
	if tv.Subject != nil && *tv.Subject != "" {
		title = *tv.Subject
	}
	withheld := false
	for _, m := range tv.Messages {
		withheld = withheld || m.Visibility != visibility.Everything
	}
	request, err := s.myAccessRequest(r, sess.Member, tv.ID)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "thread", page{Title: title, Nav: "people",
		Data: map[string]any{"Thread": tv, "Lock": lockText(tv.Visibility), "Messages": views, "Held": held,
			"ShowImagesURL": r.URL.Path + "?images=show", "Back": safeBack(r), "Withheld": withheld, "Request": request}})
	return nil
}

// safeBack is the page the reader came from on this site, for "Back".
func safeBack(r *http.Request) string {
	if from := r.URL.Query().Get("from"); strings.HasPrefix(from, "/") && !strings.HasPrefix(from, "//") {
		return from
	}
	return ""
}

// accountRow is an account in the settings lists, with its progress.
type accountRow struct {
	visibility.AccountView
	StatusLabel string `json:"statusLabel"`
	Processed   int    `json:"processed"`
	Percent     int    `json:"percent"`
	Importing   bool   `json:"importing"`
	// CaughtUp says when the mailbox last caught up, in words.
	CaughtUp string `json:"caughtUp"`
}

var statusLabels = map[string]string{
	store.StatusNotSynced:  "Waiting for the first import",
	store.StatusImporting:  "Importing",
	store.StatusActive:     "Synced",
	store.StatusFailedAuth: "Login refused",
	store.StatusFailed:     "Sync failed",
	store.StatusPaused:     "Paused",
}

func toAccountRow(a *store.Account) accountRow {
	row := accountRow{AccountView: visibility.Account(a), StatusLabel: statusLabels[a.Status],
		CaughtUp: caughtUp(a.LastSyncedAt, time.Now())}
	c := a.Counts
	row.Processed = c.Imported + c.Skipped + c.Failed
	row.Importing = a.Status == store.StatusNotSynced || a.Status == store.StatusImporting
	switch {
	case c.Listed > 0:
		row.Percent = min(100, row.Processed*100/c.Listed)
	case a.Status == store.StatusActive:
		row.Percent = 100
	}
	return row
}

// caughtUp says when a mailbox last caught up (its last sync that
// finished), as people say it.
func caughtUp(at, now time.Time) string {
	d := now.Sub(at)
	switch {
	case at.IsZero():
		return "Not caught up yet"
	case d < time.Minute:
		return "Caught up just now"
	case d < time.Hour:
		return fmt.Sprintf("Caught up %d min ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("Caught up %d h ago", int(d/time.Hour))
	}
	return "Caught up " + when(at.UTC().Format(time.RFC3339))
}

// ownAccounts lists the logged-in member's mailboxes.
func (s *server) ownAccounts(r *http.Request, m *store.Member) ([]accountRow, error) {
	own, _, err := s.splitAccounts(r, m)
	return own, err
}

// splitAccounts lists the workspace's mailboxes: member m's own, and the
// others'. An admin manages the others' (pause, resume, remove) and
// nothing else of them.
func (s *server) splitAccounts(r *http.Request, m *store.Member) (own, others []accountRow, err error) {
	accounts, err := s.cfg.Store.Accounts(r.Context(), m.WorkspaceID)
	if err != nil {
		return nil, nil, err
	}
	own, others = []accountRow{}, []accountRow{}
	for _, a := range accounts {
		if a.MemberID == m.ID {
			own = append(own, toAccountRow(a))
		} else {
			others = append(others, toAccountRow(a))
		}
	}
	return own, others, nil
}

// accountForm is the Add account form's values.
type accountForm struct {
	Preset, Host, Security, Username, Handle string
	Port                                     int
	Open                                     bool // show the form unfolded
	// After "Preview": what connecting would do, and the password typed,
	// kept in the form so that "Connect" needs no retyping.
	Preview  *preview.Result
	Password string
}

func (s *server) renderAccounts(w http.ResponseWriter, r *http.Request, sess *store.Session, status int, form accountForm, formErr string) error {
	rows, others, err := s.splitAccounts(r, sess.Member)
	if err != nil {
		return err
	}
	if !isAdmin(sess.Member) {
		others = nil // a member manages only their own mailboxes
	}
	if form.Preset == "" {
		form = accountForm{Preset: "gmail", Host: presets[0].Host, Port: presets[0].Port, Security: "tls", Open: form.Open}
	}
	s.render(w, r, status, "accounts", page{Title: "Accounts", Nav: "settings", Sub: "accounts",
		Data: map[string]any{"Accounts": rows, "Team": others, "Presets": presets, "Form": form, "Error": formErr,
			"Added": r.URL.Query().Get("added"), "Reconnected": r.URL.Query().Get("reconnected"),
			"OAuth": s.oauthButtons()}})
	return nil
}

func (s *server) uiAccounts(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	return s.renderAccounts(w, r, sess, http.StatusOK, accountForm{Open: r.URL.Query().Get("add") == "1"}, "")
}

// postedAccountForm reads the Add account form; a preset fills the server.
func postedAccountForm(r *http.Request) accountForm {
	form := accountForm{Preset: r.PostFormValue("preset"), Host: r.PostFormValue("host"), Security: r.PostFormValue("security"),
		Username: r.PostFormValue("username"), Handle: r.PostFormValue("handle"), Open: true}
	form.Port, _ = strconv.Atoi(r.PostFormValue("port"))
	for _, p := range presets {
		if p.ID == form.Preset && p.Host != "" {
			form.Host, form.Port, form.Security = p.Host, p.Port, p.Security
		}
	}
	return form
}

// uiPreviewAccount is the Add account form's "Preview": what connecting
// would import, skip and create, shown above "Connect". Nothing is stored.
func (s *server) uiPreviewAccount(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	form := postedAccountForm(r)
	res, err := s.previewIMAP(r.Context(), sess.Member, accounts.IMAP{Host: form.Host, Port: form.Port,
		Security: form.Security, Username: form.Username, Password: r.PostFormValue("password"), Handle: form.Handle}, 0)
	if err != nil {
		status, msg := statusOf(err)
		if status == http.StatusInternalServerError {
			return err
		}
		return s.renderAccounts(w, r, sess, status, form, msg)
	}
	form.Preview, form.Password = res, r.PostFormValue("password")
	w.Header().Set("Cache-Control", "no-store") // the page holds the password typed
	return s.renderAccounts(w, r, sess, http.StatusOK, form, "")
}

func (s *server) uiAddAccount(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	form := postedAccountForm(r)
	a, err := s.addIMAPAccount(r.Context(), sess.Member, accounts.IMAP{Host: form.Host, Port: form.Port,
		Security: form.Security, Username: form.Username, Password: r.PostFormValue("password"), Handle: form.Handle})
	if err != nil {
		status, msg := statusOf(err)
		if status == http.StatusInternalServerError {
			return err
		}
		return s.renderAccounts(w, r, sess, status, form, msg)
	}
	s.audit(r, sess.Member, store.AuditAccountAdd, a.ID, accountAddDetails(a))
	http.Redirect(w, r, "/settings/accounts?added="+url.QueryEscape(a.Handle), http.StatusSeeOther)
	return nil
}

// uiAccountStatus is what the Accounts page polls to move its progress bars.
func (s *server) uiAccountStatus(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	rows, err := s.ownAccounts(r, sess.Member)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, rows)
}

func (s *server) uiRemoveAccount(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	if err := s.removeAccount(r, sess.Member, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/accounts", http.StatusSeeOther)
	return nil
}

func (s *server) uiPauseAccount(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	if _, err := s.setPaused(r, sess.Member, r.PathValue("id"), true); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/accounts", http.StatusSeeOther)
	return nil
}

func (s *server) uiResumeAccount(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	if _, err := s.setPaused(r, sess.Member, r.PathValue("id"), false); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/accounts", http.StatusSeeOther)
	return nil
}

func (s *server) uiEmails(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	rows, err := s.ownAccounts(r, sess.Member)
	if err != nil {
		return err
	}
	if len(rows) == 1 {
		http.Redirect(w, r, "/settings/emails/"+rows[0].ID, http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, "emails", page{Title: "Emails", Nav: "settings", Sub: "emails",
		Data: map[string]any{"Accounts": rows}})
	return nil
}

// mailboxAccount is the member's own mailbox, whose settings only they
// see and change. A colleague's answers 403 to an admin, who sees it
// listed on Settings > Accounts, and 404 to a member, whose settings
// pages list only their own mailboxes.
func (s *server) mailboxAccount(r *http.Request, m *store.Member) (*store.Account, error) {
	a, err := s.cfg.Store.Account(r.Context(), m.WorkspaceID, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if a.MemberID == m.ID {
		return a, nil
	}
	if isAdmin(m) {
		return nil, errorf(http.StatusForbidden, "Only the owner of %s changes its settings. An admin may pause, resume or remove it on Settings > Accounts.", a.Handle)
	}
	return nil, fmt.Errorf("account %s of another member: %w", a.ID, store.ErrNotFound)
}

func (s *server) renderMailbox(w http.ResponseWriter, r *http.Request, sess *store.Session, a *store.Account, status int, msg, formErr string) error {
	rows, err := s.ownAccounts(r, sess.Member)
	if err != nil {
		return err
	}
	known, err := s.cfg.Store.Folders(r.Context(), a.ChannelID)
	if err != nil {
		return fmt.Errorf("folders of %s: %w", a.ID, err)
	}
	data := map[string]any{"Account": toAccountRow(a), "Accounts": rows, "Levels": visibility.Levels,
		"Saved": msg, "Error": formErr, "AutoCreateOn": a.AutoCreate != policy.AutoCreateNone,
		"Folders": folderRows(known, a.Folders), "PickFolders": len(a.Folders) > 0, "SMTPPresets": smtpsend.Presets}
	if err := s.whyNot(r, a, data); err != nil {
		return err
	}
	s.render(w, r, status, "mailbox", page{Title: "Emails · " + a.Handle, Nav: "settings", Sub: "emails", Data: data})
	return nil
}

// whyNot answers "why not?" for the Message-ID in ?why=: what the
// decision log says of it in this mailbox, or that no synced folder holds it.
func (s *server) whyNot(r *http.Request, a *store.Account, data map[string]any) error {
	raw := strings.TrimSpace(r.URL.Query().Get("why"))
	key := strings.TrimSuffix(strings.TrimPrefix(raw, "<"), ">")
	if key == "" {
		return nil
	}
	decisions, err := s.cfg.Store.Decisions(r.Context(), a.ID, key)
	if err != nil {
		return err
	}
	rows := make([]whyJSON, 0, len(decisions))
	for _, d := range decisions {
		rows = append(rows, whyJSON{AccountID: a.ID, Folder: d.Folder, Decision: d.Status, Rule: d.Rule, Detail: d.Detail, Contacts: d.Contacts})
	}
	data["WhyID"], data["Why"], data["WhyAsked"] = key, rows, true
	return nil
}

func (s *server) uiMailbox(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	a, err := s.mailboxAccount(r, sess.Member)
	if err != nil {
		return err
	}
	saved := ""
	switch r.URL.Query().Get("saved") {
	case "1":
		saved = "Saved. The next sync applies the new settings."
	case "folders":
		saved = "Saved. A sync of the folders you chose has started."
	}
	return s.renderMailbox(w, r, sess, a, http.StatusOK, saved, "")
}

func (s *server) uiSaveMailbox(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	a, err := s.mailboxAccount(r, sess.Member)
	if err != nil {
		return err
	}
	settings, err := mailboxForm(r)
	resynced := false
	if err == nil {
		resynced, err = s.updateSettings(r, sess.Member, a, settings)
	}
	var he *httpError
	if errors.As(err, &he) {
		return s.renderMailbox(w, r, sess, a, he.status, "", he.msg)
	}
	if err != nil {
		return err
	}
	saved := "1"
	if resynced {
		saved = "folders"
	}
	http.Redirect(w, r, "/settings/emails/"+a.ID+"?saved="+saved, http.StatusSeeOther)
	return nil
}

// mailboxForm reads and checks the mailbox settings form.
func mailboxForm(r *http.Request) (store.ChannelSettings, error) {
	vis := r.PostFormValue("visibility")
	auto := policy.AutoCreateNone
	if r.PostFormValue("autoCreate") == "on" {
		auto = r.PostFormValue("autoCreatePolicy")
	}
	group := r.PostFormValue("excludeGroup") == "on"
	personal := r.PostFormValue("excludePersonal") == "on"
	folders, err := postedFolders(r)
	if err != nil {
		return store.ChannelSettings{}, err
	}
	return channelSettings(accountSettingsJSON{Visibility: &vis, AutoCreate: &auto,
		ExcludeGroup: &group, ExcludePersonal: &personal, Folders: folders})
}

// postedFolders reads the Folders to sync choice: nil when the form has
// none (the setting stays), the empty list for the default set, or the
// folders picked.
func postedFolders(r *http.Request) (*[]string, error) {
	switch r.PostFormValue("folderMode") {
	case "":
		return nil, nil
	case "default":
		return &[]string{}, nil
	case "pick":
		picked := r.PostForm["folder"]
		if len(picked) == 0 {
			return nil, errorf(http.StatusBadRequest, "Pick at least one folder to sync, or choose the default folders.")
		}
		return &picked, nil
	}
	return nil, errorf(http.StatusBadRequest, "Choose the default folders or the folders you pick.")
}

// folderRow is a folder of the Folders to sync list.
type folderRow struct {
	Name, Role string
	Listed     int  // messages on the server
	Counted    bool // Listed is known: the folder was synced
	Checked    bool // synced under the current setting
	Missing    bool // picked, but not on the server at the last sync
}

var roleLabels = map[string]string{
	provider.RoleInbox: "Inbox", provider.RoleSent: "Sent", provider.RoleArchive: "Archive",
	provider.RoleDrafts: "Drafts", provider.RoleTrash: "Trash", provider.RoleJunk: "Junk", provider.RoleAll: "All Mail",
}

// folderRows lists a mailbox's known folders, checked as the picked list
// (or, when it is empty, the default set) selects them, the way a sync
// does; picked folders the server did not list come last.
func folderRows(known []*store.Folder, picked []string) []folderRow {
	want := map[string]bool{}
	for _, p := range picked {
		want[strings.ToLower(p)] = true
	}
	rows := make([]folderRow, 0, len(known))
	for _, f := range known {
		row := folderRow{Name: f.Name, Role: roleLabels[f.Role], Listed: f.Listed, Counted: !f.SyncedAt.IsZero(),
			Checked: !provider.Folder{Name: f.Name, Role: f.Role}.SkippedByDefault()}
		if len(picked) > 0 {
			row.Checked = want[strings.ToLower(f.Name)]
			delete(want, strings.ToLower(f.Name))
		}
		rows = append(rows, row)
	}
	if len(known) == 0 {
		return rows
	}
	for _, p := range picked {
		if want[strings.ToLower(p)] {
			rows = append(rows, folderRow{Name: p, Checked: true, Missing: true})
			delete(want, strings.ToLower(p))
		}
	}
	return rows
}

func (s *server) renderBlocklist(w http.ResponseWriter, r *http.Request, sess *store.Session, status int, value, formErr string) error {
	entries, err := s.cfg.Store.Blocklist(r.Context(), sess.Member.ID)
	if err != nil {
		return err
	}
	s.render(w, r, status, "blocklist", page{Title: "Blocklist", Nav: "settings", Sub: "blocklist",
		Data: map[string]any{"Entries": entries, "Value": value, "Error": formErr}})
	return nil
}

func (s *server) uiBlocklist(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	return s.renderBlocklist(w, r, sess, http.StatusOK, "", "")
}

func (s *server) uiAddBlocklist(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	value := r.PostFormValue("entry")
	entry, err := policy.ValidBlocklistEntry(value)
	if err != nil {
		return s.renderBlocklist(w, r, sess, http.StatusBadRequest, value, err.Error())
	}
	if err := s.changeRules(r.Context(), func() (rules.Result, error) {
		return rules.AddBlocklistEntry(r.Context(), s.cfg.Store, sess.Member.ID, entry)
	}); err != nil {
		return err
	}
	s.audit(r, sess.Member, store.AuditBlocklistAdd, sess.Member.ID, map[string]any{"entry": entry})
	http.Redirect(w, r, "/settings/blocklist", http.StatusSeeOther)
	return nil
}

func (s *server) uiRemoveBlocklist(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	entry := r.PostFormValue("entry")
	err := s.changeRules(r.Context(), func() (rules.Result, error) {
		return rules.RemoveBlocklistEntry(r.Context(), s.cfg.Store, sess.Member.ID, entry)
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err == nil {
		s.audit(r, sess.Member, store.AuditBlocklistRemove, sess.Member.ID, map[string]any{"entry": entry})
	}
	http.Redirect(w, r, "/settings/blocklist", http.StatusSeeOther)
	return nil
}

// auditPageSize is the number of entries on one page of Settings > Audit.
const auditPageSize = 50

// uiAudit shows the workspace's audit log, newest first (admins only).
func (s *server) uiAudit(w http.ResponseWriter, r *http.Request, sess *store.Session) error {
	if !isAdmin(sess.Member) {
		return errorf(http.StatusForbidden, "Only admins may read the audit log.")
	}
	pageNo, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pageNo = max(pageNo, 1)
	total, entries, err := s.cfg.Store.AuditLog(r.Context(), sess.Member.WorkspaceID, auditPageSize, (pageNo-1)*auditPageSize)
	if err != nil {
		return err
	}
	rows := make([]auditRow, 0, len(entries))
	for _, e := range entries {
		rows = append(rows, toAuditRow(e))
	}
	data := map[string]any{"Entries": rows, "Total": total}
	if pageNo > 1 {
		data["PrevURL"] = fmt.Sprintf("/settings/audit?page=%d", pageNo-1)
	}
	if pageNo*auditPageSize < total {
		data["NextURL"] = fmt.Sprintf("/settings/audit?page=%d", pageNo+1)
	}
	s.render(w, r, http.StatusOK, "audit", page{Title: "Audit log", Nav: "settings", Sub: "audit", Data: data})
	return nil
}

// auditRow is an audit entry ready to show.
type auditRow struct {
	*store.AuditEntry
	When    string
	Changes []string // "name: value", sorted by name
}

func toAuditRow(e *store.AuditEntry) auditRow {
	row := auditRow{AuditEntry: e, When: e.At.Format("2006-01-02 15:04:05 UTC")}
	for _, k := range slices.Sorted(maps.Keys(e.Details)) {
		row.Changes = append(row.Changes, fmt.Sprintf("%s: %v", k, e.Details[k]))
	}
	return row
}
