package gmailfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// costs are Gmail's quota units per method
// (https://developers.google.com/gmail/api/reference/quota).
var costs = map[string]float64{
	"profile":       1,
	"labels":        1,
	"messages.list": 5,
	"messages.get":  5,
	"history.list":  2,
	"sendAs.list":   1,
	"messages.send": 100,
}

const prefix = "/gmail/v1/users/"

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	endpoint, id := route(r)
	if endpoint == "messages.get" && id == "send" && r.Method == http.MethodPost {
		endpoint = "messages.send"
	}
	if endpoint == "" || (r.Method != http.MethodGet && endpoint != "messages.send") {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "notFound", "Requested entity was not found.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[endpoint]++
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "authError",
			"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
		return
	}
	if user := userOf(r.URL.Path); user != "me" && !strings.EqualFold(user, s.address) {
		writeError(w, http.StatusForbidden, "PERMISSION_DENIED", "forbidden", "Delegation denied for "+s.address)
		return
	}
	if wait, ok := s.throttled(endpoint); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		writeError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "rateLimitExceeded",
			"User-rate limit exceeded. Retry after "+wait.String())
		return
	}
	q := r.URL.Query()
	switch endpoint {
	case "profile":
		s.profile(w)
	case "labels":
		s.labels(w)
	case "messages.list":
		s.listMessages(w, q)
	case "messages.get":
		s.getMessage(w, id, q.Get("format"))
	case "history.list":
		s.listHistory(w, q)
	case "sendAs.list":
		s.sendAs(w)
	case "messages.send":
		s.send(w, r)
	}
}

// route names the endpoint of a request and the message id it names.
func route(r *http.Request) (endpoint, id string) {
	if !strings.HasPrefix(r.URL.Path, prefix) {
		return "", ""
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, prefix), "/")
	switch {
	case len(parts) == 2 && parts[1] == "profile":
		return "profile", ""
	case len(parts) == 2 && parts[1] == "labels":
		return "labels", ""
	case len(parts) == 2 && parts[1] == "messages":
		return "messages.list", ""
	case len(parts) == 3 && parts[1] == "messages":
		return "messages.get", parts[2]
	case len(parts) == 2 && parts[1] == "history":
		return "history.list", ""
	case len(parts) == 3 && parts[1] == "settings" && parts[2] == "sendAs":
		return "sendAs.list", ""
	}
	return "", ""
}

func userOf(path string) string {
	user, _, _ := strings.Cut(strings.TrimPrefix(path, prefix), "/")
	return user
}

func (s *Server) authorized(r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return false
	}
	return s.Authorize == nil || s.Authorize(token)
}

// throttled charges a request its quota units; it reports false, with
// how long to wait, when the request must be refused. The quota is a
// token bucket holding one second of units.
func (s *Server) throttled(endpoint string) (time.Duration, bool) {
	if s.throttle.n > 0 {
		s.throttle.n--
		return s.throttle.retryAfter, false
	}
	if !s.EnforceQuota {
		return 0, true
	}
	now := time.Now()
	limit := s.QuotaPerSecond
	if s.refilled.IsZero() {
		s.bucket = limit
	} else {
		s.bucket = min(limit, s.bucket+now.Sub(s.refilled).Seconds()*limit)
	}
	s.refilled = now
	cost := costs[endpoint]
	if s.bucket < cost {
		return time.Duration((cost - s.bucket) / limit * float64(time.Second)), false
	}
	s.bucket -= cost
	return 0, true
}

func (s *Server) profile(w http.ResponseWriter) {
	threads := map[string]bool{}
	for _, m := range s.msgs {
		threads[m.threadID] = true
	}
	writeJSON(w, map[string]any{
		"emailAddress":  s.address,
		"messagesTotal": len(s.msgs),
		"threadsTotal":  len(threads),
		"historyId":     strconv.FormatUint(s.histID, 10),
	})
}

var systemLabels = []string{"INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "UNREAD", "STARRED", "IMPORTANT",
	"CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_FORUMS"}

func (s *Server) labels(w http.ResponseWriter) {
	var out []map[string]string
	for _, l := range systemLabels {
		out = append(out, map[string]string{"id": l, "name": l, "type": "system"})
	}
	user := map[string]bool{}
	for _, m := range s.msgs {
		for _, l := range m.labels {
			if !slices.Contains(systemLabels, l) {
				user[l] = true
			}
		}
	}
	for l := range user {
		out = append(out, map[string]string{"id": l, "name": l, "type": "user"})
	}
	writeJSON(w, map[string]any{"labels": out})
}

func (s *Server) sendAs(w http.ResponseWriter) {
	out := []map[string]any{{"sendAsEmail": s.address, "isPrimary": true, "isDefault": true}}
	for _, a := range s.aliases {
		out = append(out, map[string]any{"sendAsEmail": a, "treatAsAlias": true, "verificationStatus": "accepted"})
	}
	writeJSON(w, map[string]any{"sendAs": out})
}

func (s *Server) listMessages(w http.ResponseWriter, q map[string][]string) {
	f, err := parseFilter(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalidArgument", err.Error())
		return
	}
	size := pageSize(first(q, "maxResults"))
	after := math.MaxInt // seq of the last message of the previous page
	if tok := first(q, "pageToken"); tok != "" {
		if after, err = s.decodeToken(tok); err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalidArgument", "Invalid pageToken")
			return
		}
	}
	var all []*message
	for _, m := range s.msgs {
		if f.match(m.labels) {
			all = append(all, m)
		}
	}
	// Newest first, as Gmail lists.
	slices.SortFunc(all, func(a, b *message) int { return b.seq - a.seq })
	resp := map[string]any{"resultSizeEstimate": len(all)}
	var page []map[string]string
	for _, m := range all {
		if m.seq >= after {
			continue
		}
		if len(page) == size {
			resp["nextPageToken"] = s.encodeToken(page[len(page)-1]["seq"])
			break
		}
		page = append(page, map[string]string{"id": m.id, "threadId": m.threadID, "seq": strconv.Itoa(m.seq)})
	}
	for _, p := range page {
		delete(p, "seq")
	}
	if len(page) > 0 {
		resp["messages"] = page
	}
	writeJSON(w, resp)
}

func first(q map[string][]string, key string) string {
	if v := q[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// pageSize reads maxResults: default 100, at most 500, as Gmail.
func pageSize(v string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 100
	}
	return min(n, 500)
}

func (s *Server) encodeToken(pos string) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d:%s", s.tokenGen, pos))
}

func (s *Server) decodeToken(tok string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, err
	}
	gen, pos, ok := strings.Cut(string(b), ":")
	if !ok || gen != strconv.Itoa(s.tokenGen) {
		return 0, fmt.Errorf("stale page token")
	}
	return strconv.Atoi(pos)
}

func (s *Server) getMessage(w http.ResponseWriter, id, format string) {
	m, ok := s.msgs[id]
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "notFound", "Requested entity was not found.")
		return
	}
	resp := map[string]any{"id": m.id, "threadId": m.threadID, "labelIds": m.labels,
		"historyId": strconv.FormatUint(m.historyID, 10), "internalDate": strconv.FormatInt(m.internalDate, 10),
		"sizeEstimate": len(m.raw)}
	switch format {
	case "raw":
		resp["raw"] = base64.URLEncoding.EncodeToString(m.raw)
		s.fetches[id]++
	case "minimal":
	default:
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalidArgument",
			"the fake answers format=raw and format=minimal only")
		return
	}
	writeJSON(w, resp)
}

func (s *Server) listHistory(w http.ResponseWriter, q map[string][]string) {
	start, err := strconv.ParseUint(first(q, "startHistoryId"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalidArgument", "Invalid startHistoryId")
		return
	}
	if start < s.expired {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "notFound", "Requested entity was not found.")
		return
	}
	offset := 0
	if tok := first(q, "pageToken"); tok != "" {
		if offset, err = s.decodeToken(tok); err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalidArgument", "Invalid pageToken")
			return
		}
	}
	var out []map[string]any
	for _, rec := range s.history {
		if rec.id <= start {
			continue
		}
		if j := rec.json(first(q, "labelId"), q["historyTypes"]); j != nil {
			out = append(out, j)
		}
	}
	resp := map[string]any{"historyId": strconv.FormatUint(s.histID, 10)}
	out = out[min(offset, len(out)):]
	if size := pageSize(first(q, "maxResults")); len(out) > size {
		out = out[:size]
		resp["nextPageToken"] = s.encodeToken(strconv.Itoa(offset + size))
	}
	if len(out) > 0 {
		resp["history"] = out
	}
	writeJSON(w, resp)
}

// json renders a record as Gmail's History resource, keeping only the
// given types and messages carrying labelID (when set); nil when nothing
// is left.
func (rec *record) json(labelID string, types []string) map[string]any {
	want := func(t string) bool { return len(types) == 0 || slices.Contains(types, t) }
	ref := func(id string, withLabels bool) map[string]any {
		m := map[string]any{"id": id, "threadId": rec.threads[id]}
		if withLabels {
			m["labelIds"] = rec.labels[id]
		}
		return m
	}
	keep := func(id string) bool { return labelID == "" || slices.Contains(rec.labels[id], labelID) }
	out := map[string]any{}
	var msgs []map[string]any
	add := func(key string, entry map[string]any, id string) {
		list, _ := out[key].([]map[string]any)
		out[key] = append(list, entry)
		msgs = append(msgs, ref(id, false))
	}
	for _, id := range rec.added {
		if want("messageAdded") && keep(id) {
			add("messagesAdded", map[string]any{"message": ref(id, true)}, id)
		}
	}
	for _, id := range rec.deleted {
		if want("messageDeleted") && keep(id) {
			add("messagesDeleted", map[string]any{"message": ref(id, true)}, id)
		}
	}
	for id, ls := range rec.labelsAdded {
		if want("labelAdded") && keep(id) {
			add("labelsAdded", map[string]any{"message": ref(id, true), "labelIds": ls}, id)
		}
	}
	for id, ls := range rec.labelsRemoved {
		if want("labelRemoved") && keep(id) {
			add("labelsRemoved", map[string]any{"message": ref(id, true), "labelIds": ls}, id)
		}
	}
	if len(out) == 0 {
		return nil
	}
	out["id"] = strconv.FormatUint(rec.id, 10)
	out["messages"] = msgs
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(v)
}

// writeError answers in Google's error shape
// (https://cloud.google.com/apis/design/errors#http_mapping).
func writeError(w http.ResponseWriter, code int, status, reason, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code":    code,
		"message": msg,
		"errors":  []map[string]string{{"message": msg, "domain": "global", "reason": reason}},
		"status":  status,
	}})
}

// send is users.messages.send: the message is filed under SENT (with a
// history record, so the next sync sees it) and recorded as delivered.
func (s *Server) send(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Raw      string `json:"raw"`
		ThreadID string `json:"threadId"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&body); err != nil || body.Raw == "" {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalidArgument", "'raw' RFC822 payload message string or uploading message via /upload/* URL required")
		return
	}
	raw, err := base64.URLEncoding.DecodeString(body.Raw)
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(body.Raw); err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalidArgument", "Invalid value for ByteString")
			return
		}
	}
	hdr := headers(raw)
	if hdr.Get("To") == "" && hdr.Get("Cc") == "" && hdr.Get("Bcc") == "" {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalidArgument", "Recipient address required")
		return
	}
	id := s.addLocked(body.ThreadID, raw, "SENT")
	s.sent = append(s.sent, raw)
	writeJSON(w, map[string]any{"id": id, "threadId": s.msgs[id].threadID, "labelIds": []string{"SENT"}})
}
