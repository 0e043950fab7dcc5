package graphfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// endpoints names each route for Requests.
var endpoints = map[string]string{
	"GET /v1.0/me":                                     "me",
	"GET /v1.0/me/mailFolders":                         "mailFolders",
	"GET /v1.0/me/mailFolders/{folder}":                "mailFolder",
	"GET /v1.0/me/mailFolders/{folder}/childFolders":   "childFolders",
	"GET /v1.0/me/mailFolders/{folder}/messages":       "messages",
	"GET /v1.0/me/mailFolders/{folder}/messages/delta": "delta",
	"GET /v1.0/me/messages/{id}":                       "message",
	"GET /v1.0/me/messages/{id}/$value":                "$value",
	"POST /v1.0/me/sendMail":                           "sendMail",
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handlers := map[string]http.HandlerFunc{
		"me": s.me, "mailFolders": s.listFolders, "mailFolder": s.getFolder, "childFolders": s.childFolders,
		"messages": s.listMessages, "delta": s.delta, "message": s.getMessage, "$value": s.value,
		"sendMail": s.sendMail,
	}
	for pattern, name := range endpoints {
		mux.HandleFunc(pattern, handlers[name])
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		if pattern == "" {
			writeError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+r.URL.Path+"'.")
			return
		}
		if !s.admit(w, r, endpoints[pattern]) {
			return
		}
		// The slot is held while the answer is computed and released
		// before it is sent, so a client that has read an answer never
		// finds its request still counted.
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

// admit counts the request and applies authentication, throttling and
// the concurrency limit; it answers and returns false when one refuses.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	prefers := preferences(r)
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	s.requests[endpoint]++
	s.lastPrefers = prefers
	if !slices.Contains(prefers, `IdType="ImmutableId"`) {
		s.withoutImm = append(s.withoutImm, r.URL.Path)
	}
	authorize, latency := s.Authorize, s.latency
	s.mu.Unlock()

	if strings.TrimSpace(token) == "" || (authorize != nil && !authorize(token)) {
		writeError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.throttleN > 0 {
		s.throttleN--
		s.throttled++
		w.Header().Set("Retry-After", retryAfter(s.throttleFor))
		writeError(w, http.StatusTooManyRequests, "TooManyRequests", "Too many requests. Retry after the time in Retry-After.")
		return false
	}
	if s.concurrency > 0 && s.inFlight >= s.concurrency {
		s.concurrent++
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
		return false
	}
	s.inFlight++
	s.peak = max(s.peak, s.inFlight)
	if latency > 0 {
		s.mu.Unlock()
		time.Sleep(latency)
		s.mu.Lock()
	}
	return true
}

// preferences splits the Prefer headers into their preferences.
func preferences(r *http.Request) []string {
	var out []string
	for _, v := range r.Header.Values("Prefer") {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func retryAfter(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]any{"date": time.Now().UTC().Format(time.RFC3339), "request-id": newID("R")},
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p := s.profile
	s.mu.Unlock()
	var mail any
	if p.mail != "" {
		mail = p.mail
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": s.URL() + "/$metadata#users/$entity",
		"id":             p.id, "displayName": p.displayName, "mail": mail, "userPrincipalName": p.upn,
	})
}

// folderOr404 resolves the {folder} of the path (an id or a well-known name).
func (s *Server) folderOr404(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("folder")
	id := ""
	if _, ok := s.folders[name]; ok {
		id = name
	} else if wk, ok := s.wellKnown[strings.ToLower(name)]; ok {
		id = wk
	}
	if id == "" {
		writeError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return "", false
	}
	return id, true
}

func (s *Server) folderJSON(id string) map[string]any {
	f := s.folders[id]
	total, unread := unreadCount(s.messages, id)
	return map[string]any{
		"id": f.id, "displayName": f.display, "parentFolderId": f.parent, "childFolderCount": s.childCount(id),
		"unreadItemCount": unread, "totalItemCount": total, "isHidden": f.hidden,
	}
}

func (s *Server) getFolder(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.folderOr404(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.folderJSON(id))
}

func (s *Server) listFolders(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeFolders(w, r, s.root)
}

func (s *Server) childFolders(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.folderOr404(w, r)
	if !ok {
		return
	}
	s.writeFolders(w, r, id)
}

func (s *Server) writeFolders(w http.ResponseWriter, r *http.Request, parent string) {
	hidden := strings.EqualFold(r.URL.Query().Get("includeHiddenFolders"), "true")
	var items []any
	for _, id := range s.order {
		if f := s.folders[id]; f.parent == parent && (hidden || !f.hidden) {
			items = append(items, s.folderJSON(id))
		}
	}
	writePage(w, r, items)
}

// writePage answers one page of items by $top (default 10) and $skip,
// with an @odata.nextLink when more follow.
func writePage(w http.ResponseWriter, r *http.Request, items []any) {
	q := r.URL.Query()
	top, err := strconv.Atoi(q.Get("$top"))
	if err != nil || top <= 0 {
		top = 10
	}
	top = min(top, 1000)
	skip, _ := strconv.Atoi(q.Get("$skip"))
	skip = max(min(skip, len(items)), 0)
	end := min(skip+top, len(items))
	body := map[string]any{"value": append([]any{}, items[skip:end]...)}
	if end < len(items) {
		q.Set("$skip", strconv.Itoa(end))
		q.Set("$top", strconv.Itoa(top))
		body["@odata.nextLink"] = absolute(r) + "?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, body)
}

func absolute(r *http.Request) string {
	return "http://" + r.Host + r.URL.Path
}

// messageJSON renders a message with the $select properties (all when none).
func (s *Server) messageJSON(m *message, sel []string) map[string]any {
	all := map[string]any{
		"receivedDateTime":  m.received.Format(time.RFC3339),
		"isRead":            m.read,
		"flag":              map[string]any{"flagStatus": m.flagStatus()},
		"conversationId":    m.conversation,
		"parentFolderId":    m.folder,
		"internetMessageId": m.internetID,
		"subject":           m.subject,
	}
	out := map[string]any{"@odata.type": "#microsoft.graph.message", "id": m.id}
	for k, v := range all {
		if len(sel) == 0 || slices.Contains(sel, k) {
			out[k] = v
		}
	}
	return out
}

func selected(r *http.Request) []string {
	var sel []string
	for f := range strings.SplitSeq(r.URL.Query().Get("$select"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			sel = append(sel, f)
		}
	}
	return sel
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.folderOr404(w, r)
	if !ok {
		return
	}
	var ms []*message
	for _, m := range s.messages {
		if m.folder == id {
			ms = append(ms, m)
		}
	}
	// Graph's default order: newest first.
	slices.SortFunc(ms, func(a, b *message) int {
		if c := b.received.Compare(a.received); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	sel := selected(r)
	items := make([]any, len(ms))
	for i, m := range ms {
		items[i] = s.messageJSON(m, sel)
	}
	writePage(w, r, items)
}

func (s *Server) messageOr404(w http.ResponseWriter, r *http.Request) (*message, bool) {
	m, ok := s.messages[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
	}
	return m, ok
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.messageOr404(w, r); ok {
		writeJSON(w, http.StatusOK, s.messageJSON(m, selected(r)))
	}
}

func (s *Server) value(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messageOr404(w, r)
	if !ok {
		return
	}
	s.bodies[m.id]++
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(len(m.raw)))
	w.Write(m.raw)
}

// token is the server-side state behind a $skiptoken or $deltatoken.
type token struct {
	folder string
	sel    []string
	// A delta token: the changes after since.
	since int64
	// A skip token: a page of a listing under way.
	snap   *snapshot
	offset int
}

// snapshot is what one delta round lists: the ids decided at its first
// page, rendered as they are when each page is served.
type snapshot struct {
	folder string
	sel    []string
	ids    []string
	until  int64
}

// delta serves messages/delta: a first listing, a page of one, or the
// changes since a delta link.
func (s *Server) delta(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	folderID, ok := s.folderOr404(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	var snap *snapshot
	offset := 0
	switch key := q.Get("$skiptoken") + q.Get("$deltatoken"); {
	case key == "":
		snap = s.changes(folderID, 0, selected(r))
	case s.expired[key]:
		writeError(w, http.StatusGone, "SyncStateNotFound", "The sync state generation is not found.")
		return
	default:
		tok, ok := s.tokens[key]
		if !ok || tok.folder != folderID {
			writeError(w, http.StatusBadRequest, "ErrorInvalidSyncStateData", "The sync state data is corrupted or otherwise invalid.")
			return
		}
		if tok.snap != nil {
			snap, offset = tok.snap, tok.offset
		} else {
			snap = s.changes(folderID, tok.since, tok.sel)
		}
	}
	size := pageSize(r)
	end := min(offset+size, len(snap.ids))
	items := make([]any, 0, end-offset)
	for _, id := range snap.ids[offset:end] {
		if m, ok := s.messages[id]; ok && m.folder == folderID {
			items = append(items, s.messageJSON(m, snap.sel))
		} else {
			items = append(items, map[string]any{"@odata.type": "#microsoft.graph.message", "id": id,
				"@removed": map[string]any{"reason": "deleted"}})
		}
	}
	link := s.URL() + "/me/mailFolders/" + url.PathEscape(folderID) + "/messages/delta?"
	body := map[string]any{"value": items}
	if end < len(snap.ids) {
		body["@odata.nextLink"] = link + "$skiptoken=" + s.newToken(&token{folder: folderID, snap: snap, offset: end})
	} else {
		body["@odata.deltaLink"] = link + "$deltatoken=" + s.newToken(&token{folder: folderID, since: snap.until, sel: snap.sel})
	}
	w.Header().Set("Preference-Applied", fmt.Sprintf("odata.maxpagesize=%d", size))
	writeJSON(w, http.StatusOK, body)
}

// changes lists what changed in a folder after since: messages added,
// moved in or changed, and those deleted or moved out.
func (s *Server) changes(folderID string, since int64, sel []string) *snapshot {
	snap := &snapshot{folder: folderID, sel: sel, until: s.seq}
	var ms []*message
	for _, m := range s.messages {
		if m.folder == folderID && m.seq > since {
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b *message) int { return int(a.seq - b.seq) })
	seen := map[string]bool{}
	for _, m := range ms {
		snap.ids = append(snap.ids, m.id)
		seen[m.id] = true
	}
	if since == 0 {
		return snap // a first listing reports no removals
	}
	for _, rm := range s.removals {
		if rm.folder == folderID && rm.seq > since && !seen[rm.id] {
			snap.ids = append(snap.ids, rm.id)
			seen[rm.id] = true
		}
	}
	return snap
}

func (s *Server) newToken(t *token) string {
	key := strings.TrimPrefix(newID("T"), "AAMkT")
	s.tokens[key] = t
	return key
}

// pageSize reads Prefer: odata.maxpagesize (Graph's delta default is 10).
func pageSize(r *http.Request) int {
	for _, p := range preferences(r) {
		if v, ok := strings.CutPrefix(p, "odata.maxpagesize="); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return min(n, 1000)
			}
		}
	}
	return 10
}

// sendMail is POST /me/sendMail with a MIME message, base64 in a
// text/plain body: the message is saved to Sent Items (so the next delta
// of that folder reports it) and recorded as delivered; 202, no body.
func (s *Server) sendMail(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		writeError(w, http.StatusBadRequest, "RequestBodyRead", "Send a MIME message base64-encoded with Content-Type: text/plain, or a JSON message.")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	raw, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(body)))
	if err != nil || derr != nil || len(raw) == 0 {
		writeError(w, http.StatusBadRequest, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content.")
		return
	}
	s.Add("sentitems", raw)
	s.mu.Lock()
	s.sent = append(s.sent, raw)
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}
