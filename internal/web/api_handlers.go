package web

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/mailsync/mailsync/internal/accounts"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/policy"
	"github.com/mailsync/mailsync/internal/reconcile"
	"github.com/mailsync/mailsync/internal/rules"
	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

// routeAPI registers the REST API. Every route but the OpenAPI document
// needs a bearer token and sees only its member's workspace.
func (s *server) routeAPI() {
	s.mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	s.mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusNotFound, "no such API route: see /api/v1/openapi.json")
	})
	s.api("GET", "/people", s.apiPeople)
	s.api("POST", "/people", s.apiAddPerson)
	s.api("GET", "/people/{id}", s.apiPerson)
	s.api("DELETE", "/people/{id}", s.apiDeletePerson)
	s.api("GET", "/people/{id}/threads", s.apiPersonThreads)
	s.api("GET", "/companies", s.apiCompanies)
	s.api("GET", "/companies/{id}", s.apiCompany)
	s.api("DELETE", "/companies/{id}", s.apiDeleteCompany)
	s.api("GET", "/companies/{id}/threads", s.apiCompanyThreads)
	s.api("GET", "/threads/{id}", s.apiThread)
	s.api("GET", "/messages/{id}", s.apiMessage)
	s.api("GET", "/search", s.apiSearch)
	s.api("GET", "/messages/{id}/attachments/{index}", s.apiAttachment)
	s.api("POST", "/threads/{id}/access-requests", s.apiRequestAccess)
	s.api("GET", "/access-requests", s.apiAccessRequests)
	s.api("POST", "/access-requests/{id}/grant", s.apiDecideAccess("grant"))
	s.api("POST", "/access-requests/{id}/deny", s.apiDecideAccess("deny"))
	s.api("POST", "/access-requests/{id}/revoke", s.apiDecideAccess("revoke"))
	s.api("GET", "/accounts", s.apiAccounts)
	s.api("POST", "/accounts", s.apiAddAccount)
	s.api("POST", "/accounts/preview", s.apiPreviewAccount)
	s.api("GET", "/accounts/{id}", s.apiAccount)
	s.api("PATCH", "/accounts/{id}", s.apiUpdateAccount)
	s.api("DELETE", "/accounts/{id}", s.apiDeleteAccount)
	s.api("POST", "/accounts/{id}/messages", s.apiSend)
	s.api("POST", "/accounts/{id}/pause", s.apiPauseAccount)
	s.api("POST", "/accounts/{id}/resume", s.apiResumeAccount)
	s.api("GET", "/accounts/{id}/reconcile", s.apiReconcile)
	s.api("POST", "/accounts/{id}/reconcile", s.apiRepair)
	s.api("GET", "/blocklist", s.apiBlocklist)
	s.api("POST", "/blocklist", s.apiAddBlocklist)
	s.api("DELETE", "/blocklist/{entry}", s.apiRemoveBlocklist)
	s.api("GET", "/workspace", s.apiWorkspace)
	s.api("PATCH", "/workspace", s.apiUpdateWorkspace)
	s.api("GET", "/audit", s.apiAudit)
	s.api("GET", "/events", s.apiEvents)
	s.api("GET", "/webhooks", s.apiWebhooks)
	s.api("POST", "/webhooks", s.apiAddWebhook)
	s.api("DELETE", "/webhooks/{id}", s.apiDeleteWebhook)
}

// apiEvents reads the workspace's event feed from a cursor.
func (s *server) apiEvents(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	limit, _, err := paging(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("limit") == "" {
		limit = 100
	}
	feed, err := s.cfg.Store.Feed(r.Context(), m.WorkspaceID, r.URL.Query().Get("after"), limit)
	if errors.Is(err, store.ErrBadCursor) {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, feed)
}

func (s *server) apiPeople(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	var people []*store.Person
	var err error
	if q := r.URL.Query().Get("q"); q != "" {
		people, err = s.cfg.Store.SearchPeople(r.Context(), m.WorkspaceID, q, 1000)
	} else {
		people, err = s.cfg.Store.People(r.Context(), m.WorkspaceID)
	}
	if err != nil {
		return err
	}
	if people == nil {
		people = []*store.Person{}
	}
	return writeJSON(w, http.StatusOK, people)
}

// newPersonJSON is the body of POST /people.
type newPersonJSON struct {
	FirstName        string   `json:"firstName"`
	LastName         string   `json:"lastName"`
	PrimaryEmail     string   `json:"primaryEmail"`
	AdditionalEmails []string `json:"additionalEmails"`
	CompanyID        string   `json:"companyId"`
}

func (s *server) apiAddPerson(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	var in newPersonJSON
	if err := readJSON(r, &in); err != nil {
		return err
	}
	emails := append([]string{in.PrimaryEmail}, in.AdditionalEmails...)
	for _, e := range emails {
		if !looksLikeEmail(e) {
			return errorf(http.StatusBadRequest, "%q is not an email address (primaryEmail is required)", e)
		}
	}
	if in.CompanyID != "" {
		if _, err := s.cfg.Store.Company(r.Context(), m.WorkspaceID, in.CompanyID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return errorf(http.StatusBadRequest, "companyId %q: no such company", in.CompanyID)
			}
			return err
		}
	}
	p, err := s.cfg.Store.AddPerson(r.Context(), m.WorkspaceID, store.NewPerson{FirstName: in.FirstName,
		LastName: in.LastName, Emails: emails, CompanyID: in.CompanyID, CreatedBy: store.CreatedByUser})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

func looksLikeEmail(e string) bool {
	e = strings.TrimSpace(e)
	at := strings.LastIndexByte(e, '@')
	return at > 0 && at < len(e)-1 && !strings.ContainsAny(e, " \t\r\n<>,")
}

func (s *server) apiPerson(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	p, err := s.cfg.Store.Person(r.Context(), m.WorkspaceID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *server) apiDeletePerson(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	if err := s.cfg.Store.DeletePerson(r.Context(), m.WorkspaceID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) apiCompanies(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	var companies []*store.Company
	var err error
	if q := r.URL.Query().Get("q"); q != "" {
		companies, err = s.cfg.Store.SearchCompanies(r.Context(), m.WorkspaceID, q, 1000)
	} else {
		companies, err = s.cfg.Store.Companies(r.Context(), m.WorkspaceID)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, companies)
}

func (s *server) apiCompany(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	c, err := s.cfg.Store.Company(r.Context(), m.WorkspaceID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *server) apiDeleteCompany(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	if err := s.cfg.Store.DeleteCompany(r.Context(), m.WorkspaceID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// threadPage is an Emails tab page, as the CLI's `threads` prints it.
type threadPage struct {
	Total   int                    `json:"total"`
	Limit   int                    `json:"limit"`
	Offset  int                    `json:"offset"`
	Threads []visibility.ThreadRow `json:"threads"`
}

// threadsOf lists a person's or a company's threads for viewer, redacted.
func (s *server) threadsOf(r *http.Request, m *store.Member, kind, id string, limit, offset int) (*threadPage, error) {
	ctx := r.Context()
	var total int
	var threads []*store.ThreadSummary
	var err error
	if kind == "person" {
		if _, err = s.cfg.Store.Person(ctx, m.WorkspaceID, id); err != nil {
			return nil, err
		}
		total, threads, err = s.cfg.Store.ThreadsForPerson(ctx, m.WorkspaceID, id, limit, offset)
	} else {
		if _, err = s.cfg.Store.Company(ctx, m.WorkspaceID, id); err != nil {
			return nil, err
		}
		total, threads, err = s.cfg.Store.ThreadsForCompany(ctx, m.WorkspaceID, id, limit, offset)
	}
	if err != nil {
		return nil, err
	}
	page := &threadPage{Total: total, Limit: limit, Offset: offset, Threads: make([]visibility.ThreadRow, 0, len(threads))}
	for _, t := range threads {
		page.Threads = append(page.Threads, visibility.Row(m.ID, t))
	}
	return page, nil
}

func (s *server) apiPersonThreads(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	return s.apiThreadsOf(w, r, m, "person")
}

func (s *server) apiCompanyThreads(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	return s.apiThreadsOf(w, r, m, "company")
}

func (s *server) apiThreadsOf(w http.ResponseWriter, r *http.Request, m *store.Member, kind string) error {
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	page, err := s.threadsOf(r, m, kind, r.PathValue("id"), limit, offset)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

func (s *server) apiThread(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	t, msgs, err := s.cfg.Store.Thread(r.Context(), m.WorkspaceID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, visibility.Thread(m.ID, t, msgs))
}

// messageJSON is one message with its sanitized HTML body and, for the
// viewer's own mailboxes, why it is here.
type messageJSON struct {
	visibility.MessageView
	HTML *string   `json:"html"`
	Why  []whyJSON `json:"why"`
}

// whyJSON is what became of the message in one of the viewer's mailboxes.
type whyJSON struct {
	AccountID string                 `json:"accountId"`
	Folder    string                 `json:"folder"`
	Decision  string                 `json:"decision"`
	Rule      string                 `json:"rule"`
	Detail    string                 `json:"detail"`
	Contacts  []store.ContactOutcome `json:"contacts"`
}

// apiSearch finds the messages the caller may see whose visible fields
// hold every word of q, best match first, redacted as messages are.
func (s *server) apiSearch(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	page, err := s.search(r.Context(), m, r.URL.Query().Get("q"), limit, offset)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

// search runs a search for member m; an empty query is a 400.
func (s *server) search(ctx context.Context, m *store.Member, q string, limit, offset int) (visibility.SearchPage, error) {
	words := visibility.SearchWords(q, store.MaxSearchWords)
	if len(words) == 0 {
		return visibility.SearchPage{}, errorf(http.StatusBadRequest, "q is required: the words to search for")
	}
	total, hits, err := s.cfg.Store.SearchMessages(ctx, m.WorkspaceID, m.ID, words, store.SearchBound, limit, offset)
	if err != nil {
		return visibility.SearchPage{}, err
	}
	return visibility.Search(m.ID, total, hits), nil
}

func (s *server) apiMessage(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	msg, err := s.cfg.Store.Message(r.Context(), m.WorkspaceID, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := visibility.Message(m.ID, msg)
	out := messageJSON{MessageView: v, Why: []whyJSON{}}
	if v.HTML != nil && *v.HTML != "" {
		safe, _ := sanitizeHTML(*v.HTML, false)
		html := string(safe)
		out.HTML = &html
	}
	if out.Why, err = s.whyHere(r.Context(), m, msg); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// whyHere reads, from the decision log, what became of a message in each
// of the viewer's own mailboxes holding it. Decisions name folders and
// rules of a mailbox: only its owner sees them.
func (s *server) whyHere(ctx context.Context, m *store.Member, msg *store.StoredMessage) ([]whyJSON, error) {
	out := []whyJSON{}
	seen := map[string]bool{}
	for _, h := range msg.Holders {
		if h.MemberID != m.ID || seen[h.AccountID] {
			continue
		}
		seen[h.AccountID] = true
		decisions, err := s.cfg.Store.Decisions(ctx, h.AccountID, msg.Key)
		if err != nil {
			return nil, err
		}
		for _, d := range decisions {
			c := d.Contacts
			if c == nil {
				c = []store.ContactOutcome{}
			}
			out = append(out, whyJSON{AccountID: h.AccountID, Folder: d.Folder, Decision: d.Status,
				Rule: d.Rule, Detail: d.Detail, Contacts: c})
		}
	}
	return out, nil
}

// accountJSON is an account as `account list --json` prints it.

func (s *server) apiAccounts(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	accounts, err := s.cfg.Store.Accounts(r.Context(), m.WorkspaceID)
	if err != nil {
		return err
	}
	out := make([]visibility.AccountView, 0, len(accounts))
	for _, a := range accounts {
		out = append(out, visibility.Account(a))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *server) apiAccount(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	a, err := s.cfg.Store.Account(r.Context(), m.WorkspaceID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, visibility.Account(a))
}

// newAccountJSON is the body of POST /accounts.
type newAccountJSON struct {
	Provider string   `json:"provider"`
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	Security string   `json:"security"`
	Username string   `json:"username"`
	Password string   `json:"password"`
	Handle   string   `json:"handle"`
	Aliases  []string `json:"aliases"`
}

func (s *server) apiAddAccount(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	var in newAccountJSON
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.Provider != "" && in.Provider != "imap" {
		return errorf(http.StatusBadRequest, "provider %q cannot be added here yet: use imap", in.Provider)
	}
	a, err := s.addIMAPAccount(r.Context(), m, accounts.IMAP{Host: in.Host, Port: in.Port, Security: in.Security,
		Username: in.Username, Password: in.Password, Handle: in.Handle, Aliases: in.Aliases})
	if err != nil {
		return err
	}
	s.audit(r, m, store.AuditAccountAdd, a.ID, accountAddDetails(a))
	return writeJSON(w, http.StatusCreated, visibility.Account(a))
}

// accountSettingsJSON is the body of PATCH /accounts/{id}; absent fields
// stay as they are.
type accountSettingsJSON struct {
	Visibility      *string   `json:"visibility"`
	AutoCreate      *string   `json:"autoCreate"`
	ExcludeGroup    *bool     `json:"excludeGroup"`
	ExcludePersonal *bool     `json:"excludePersonal"`
	Folders         *[]string `json:"folders"`
}

func (s *server) apiUpdateAccount(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	a, err := s.ownedAccount(r, m, r.PathValue("id"))
	if err != nil {
		return err
	}
	var in accountSettingsJSON
	if err := readJSON(r, &in); err != nil {
		return err
	}
	settings, err := channelSettings(in)
	if err != nil {
		return err
	}
	if _, err := s.updateSettings(r, m, a, settings); err != nil {
		return err
	}
	a, err = s.cfg.Store.Account(r.Context(), m.WorkspaceID, a.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, visibility.Account(a))
}

func (s *server) apiDeleteAccount(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	if err := s.removeAccount(r, m, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiPauseAccount stops a mailbox's sync until it is resumed (its owner or an admin).
func (s *server) apiPauseAccount(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	a, err := s.setPaused(r, m, r.PathValue("id"), true)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, visibility.Account(a))
}

// apiResumeAccount resumes a paused mailbox and queues its sync.
func (s *server) apiResumeAccount(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	a, err := s.setPaused(r, m, r.PathValue("id"), false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, visibility.Account(a))
}

// auditPage is a page of the audit log.
type auditPage struct {
	Total   int                 `json:"total"`
	Limit   int                 `json:"limit"`
	Offset  int                 `json:"offset"`
	Entries []*store.AuditEntry `json:"entries"`
}

// apiAudit lists the workspace's audit log, newest first (admins only).
func (s *server) apiAudit(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	if !isAdmin(m) {
		return errorf(http.StatusForbidden, "only admins may read the audit log")
	}
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	total, entries, err := s.cfg.Store.AuditLog(r.Context(), m.WorkspaceID, limit, offset)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, auditPage{Total: total, Limit: limit, Offset: offset, Entries: entries})
}

func (s *server) apiBlocklist(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	entries, err := s.cfg.Store.Blocklist(r.Context(), m.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, entries)
}

func (s *server) apiAddBlocklist(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	var in struct {
		Entry string `json:"entry"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	entry, err := policy.ValidBlocklistEntry(in.Entry)
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if err := s.changeRules(r.Context(), func() (rules.Result, error) {
		return rules.AddBlocklistEntry(r.Context(), s.cfg.Store, m.ID, entry)
	}); err != nil {
		return err
	}
	s.audit(r, m, store.AuditBlocklistAdd, m.ID, map[string]any{"entry": entry})
	return writeJSON(w, http.StatusCreated, map[string]string{"entry": entry})
}

func (s *server) apiRemoveBlocklist(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	entry, err := policy.ValidBlocklistEntry(r.PathValue("entry"))
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if err := s.changeRules(r.Context(), func() (rules.Result, error) {
		return rules.RemoveBlocklistEntry(r.Context(), s.cfg.Store, m.ID, entry)
	}); err != nil {
		return err
	}
	s.audit(r, m, store.AuditBlocklistRemove, m.ID, map[string]any{"entry": entry})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// updateSettings saves a mailbox's settings for its owner m, acting on its
// past mail, records the change, and queues a sync when the folders to
// sync changed: that sync lists the folders newly picked. It reports
// whether it queued that sync.
func (s *server) updateSettings(r *http.Request, m *store.Member, a *store.Account, in store.ChannelSettings) (bool, error) {
	ctx := r.Context()
	resync := in.Folders != nil && !sameFolders(a.Folders, *in.Folders)
	err := s.changeRules(ctx, func() (rules.Result, error) {
		res, err := rules.UpdateSettings(ctx, s.cfg.Store, a.WorkspaceID, a.ID, in)
		if err == nil {
			s.audit(r, m, store.AuditAccountUpdate, a.ID, settingsDetails(a, in))
		}
		if err == nil && resync && !slices.Contains(res.Resync, a.ID) {
			res.Resync = append(res.Resync, a.ID)
		}
		return res, err
	})
	return resync && err == nil && s.cfg.Queue != nil, err
}

// sameFolders reports whether two folder lists pick the same folders,
// whatever their order and case.
func sameFolders(a, b []string) bool {
	set := func(names []string) map[string]bool {
		m := map[string]bool{}
		for _, n := range names {
			m[strings.ToLower(n)] = true
		}
		return m
	}
	return maps.Equal(set(a), set(b))
}

// changeRules runs a rule change (blocklist, settings) that acts on past
// mail at once, and queues a sync of the mailboxes with messages to fetch
// again or with a change left pending by a sync in progress.
func (s *server) changeRules(ctx context.Context, change func() (rules.Result, error)) error {
	res, err := change()
	if err != nil {
		return err
	}
	if s.cfg.Queue == nil {
		return nil
	}
	for _, id := range res.Resync {
		if err := s.cfg.Queue.EnqueueSync(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

func (s *server) reconciler() reconcile.Reconciler {
	return reconcile.Reconciler{Syncer: &ingest.Syncer{Store: s.cfg.Store, Box: s.cfg.Box, Connect: s.cfg.Connect, Log: s.log}}
}

// apiReconcile compares a mailbox with its server (its owner or an admin).
func (s *server) apiReconcile(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	a, err := s.managedAccount(r, m, r.PathValue("id"))
	if err != nil {
		return err
	}
	rep, err := s.reconciler().Check(r.Context(), a.ID)
	if err != nil {
		return errorf(http.StatusBadGateway, "cannot compare %s with its server: %v", a.Handle, err)
	}
	return writeJSON(w, http.StatusOK, rep)
}

// apiRepair compares a mailbox with its server and, when they differ,
// readies and queues the sync that repairs it: 202 with the report that
// prompted it, or 200 when there is nothing to repair.
func (s *server) apiRepair(w http.ResponseWriter, r *http.Request, m *store.Member) error {
	a, err := s.managedAccount(r, m, r.PathValue("id"))
	if err != nil {
		return err
	}
	rec := s.reconciler()
	rep, err := rec.Check(r.Context(), a.ID)
	if err != nil {
		return errorf(http.StatusBadGateway, "cannot compare %s with its server: %v", a.Handle, err)
	}
	if rep.OK {
		return writeJSON(w, http.StatusOK, rep)
	}
	if err := rec.PrepareRepair(r.Context(), rep); err != nil {
		return err
	}
	if s.cfg.Queue != nil {
		if err := s.cfg.Queue.EnqueueSync(r.Context(), a.ID); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusAccepted, rep)
}
