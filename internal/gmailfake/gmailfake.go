// Package gmailfake is an in-process fake of the Gmail REST API (profile,
// labels, messages, history, send-as) for tests: it keeps one mailbox in
// memory, speaks Google's JSON shapes and errors, and counts requests.
// Test tooling only; it does not aim at Gmail's search language.
package gmailfake

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a fake Gmail mailbox behind an HTTP server.
type Server struct {
	// Authorize, when set, decides which bearer tokens are valid; nil
	// accepts any non-empty token.
	Authorize func(token string) bool
	// EnforceQuota turns on Gmail's per-user limit of QuotaPerSecond
	// units (250 by default): a request over it answers 429.
	EnforceQuota   bool
	QuotaPerSecond float64

	srv     *httptest.Server
	address string

	mu       sync.Mutex
	seq      int // insertion order of messages, for listing newest first
	msgs     map[string]*message
	history  []record
	histID   uint64
	expired  uint64            // startHistoryId below this answers 404
	tokenGen int               // page tokens of older generations answer 400
	threads  map[string]string // Message-ID or reference -> threadId
	aliases  []string
	sent     [][]byte // bodies of messages.send, in order
	throttle struct {
		n          int
		retryAfter time.Duration
	}
	bucket   float64
	refilled time.Time
	requests map[string]int
	fetches  map[string]int
}

type message struct {
	id, threadID string
	seq          int
	labels       []string
	raw          []byte
	internalDate int64 // ms since the epoch
	historyID    uint64
}

// record is one history record; its lists hold message ids.
type record struct {
	id            uint64
	added         []string
	deleted       []string
	labelsAdded   map[string][]string
	labelsRemoved map[string][]string
	// labels of each touched message just after the change
	labels  map[string][]string
	threads map[string]string
}

// Start runs a fake mailbox for address, closed when the test ends.
func Start(t testing.TB, address string) *Server {
	s := &Server{
		address:        strings.ToLower(address),
		QuotaPerSecond: 250,
		msgs:           map[string]*message{},
		threads:        map[string]string{},
		histID:         1000,
		requests:       map[string]int{},
		fetches:        map[string]int{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base path for the gmail client: requests go to URL() +
// "gmail/v1/users/me/...".
func (s *Server) URL() string { return s.srv.URL + "/" }

// Add stores a message with the given labels (INBOX when none) and
// returns its id. Its thread is that of any message it references or
// that references it, else a new one.
func (s *Server) Add(raw []byte, labels ...string) string {
	return s.AddToThread("", raw, labels...)
}

// AddToThread is Add with the threadId given ("" derives it as Add does).
func (s *Server) AddToThread(threadID string, raw []byte, labels ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addLocked(threadID, raw, labels...)
}

// Sent returns the messages sent through messages.send, as sent.
func (s *Server) Sent() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

func (s *Server) addLocked(threadID string, raw []byte, labels ...string) string {
	if len(labels) == 0 {
		labels = []string{"INBOX"}
	}
	s.seq++
	m := &message{
		id:     fmt.Sprintf("%016x", 0x18c0000000000000+uint64(s.seq)*0x1f3),
		seq:    s.seq,
		labels: slices.Clone(labels),
		raw:    slices.Clone(raw),
	}
	hdr := headers(raw)
	m.internalDate = time.Now().UnixMilli()
	if d, err := hdr.Date(); err == nil {
		m.internalDate = d.UnixMilli()
	}
	m.threadID = s.threadFor(threadID, m.id, hdr)
	s.msgs[m.id] = m
	rec := s.newRecord()
	rec.added = []string{m.id}
	s.touch(rec, m)
	return m.id
}

func headers(raw []byte) mail.Header {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return mail.Header{}
	}
	return msg.Header
}

// threadFor picks the thread of a new message: given, or shared with any
// message naming the same Message-IDs, or its own id.
func (s *Server) threadFor(given, id string, hdr mail.Header) string {
	names := strings.Fields(hdr.Get("Message-Id") + " " + hdr.Get("In-Reply-To") + " " + hdr.Get("References"))
	thread := given
	for _, n := range names {
		if t, ok := s.threads[n]; ok && thread == "" {
			thread = t
		}
	}
	if thread == "" {
		thread = id
	}
	for _, n := range names {
		s.threads[n] = thread
	}
	return thread
}

// Delete removes a message for good (a messagesDeleted record).
func (s *Server) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[id]
	if !ok {
		return
	}
	delete(s.msgs, id)
	rec := s.newRecord()
	rec.deleted = []string{id}
	s.touch(rec, m)
}

// Label adds and removes labels of a message in one change, as
// users.messages.modify does.
func (s *Server) Label(id string, add, remove []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[id]
	if !ok {
		return
	}
	rec := s.newRecord()
	for _, l := range add {
		if !slices.Contains(m.labels, l) {
			m.labels = append(m.labels, l)
			rec.labelsAdded[id] = append(rec.labelsAdded[id], l)
		}
	}
	for _, l := range remove {
		if i := slices.Index(m.labels, l); i >= 0 {
			m.labels = slices.Delete(m.labels, i, i+1)
			rec.labelsRemoved[id] = append(rec.labelsRemoved[id], l)
		}
	}
	s.touch(rec, m)
}

func (s *Server) newRecord() *record {
	s.histID += 7 // Gmail's history ids grow, not one by one
	s.history = append(s.history, record{id: s.histID, labelsAdded: map[string][]string{},
		labelsRemoved: map[string][]string{}, labels: map[string][]string{}, threads: map[string]string{}})
	return &s.history[len(s.history)-1]
}

func (s *Server) touch(rec *record, m *message) {
	m.historyID = rec.id
	rec.labels[m.id] = slices.Clone(m.labels)
	rec.threads[m.id] = m.threadID
}

// ExpireHistory makes every startHistoryId older than the current
// historyId answer 404, as Gmail does after about a week.
func (s *Server) ExpireHistory() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expired = s.histID
	s.history = nil
}

// InvalidatePageTokens makes every page token given so far answer 400.
func (s *Server) InvalidatePageTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenGen++
}

// Throttle makes the next n requests answer 429 with Retry-After.
func (s *Server) Throttle(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle.n, s.throttle.retryAfter = n, retryAfter
}

// SetAliases sets the send-as addresses besides the primary one.
func (s *Server) SetAliases(addrs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aliases = slices.Clone(addrs)
}

// HistoryID is the mailbox's current historyId.
func (s *Server) HistoryID() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.histID
}

// Labels returns a message's labels (nil when it does not exist).
func (s *Server) Labels(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.msgs[id]; ok {
		return slices.Clone(m.labels)
	}
	return nil
}

// ThreadID returns a message's threadId.
func (s *Server) ThreadID(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.msgs[id]; ok {
		return m.threadID
	}
	return ""
}

// Requests returns how many requests an endpoint answered (any status,
// throttled ones included): "profile", "labels", "messages.list",
// "messages.get", "history.list", "sendAs.list".
func (s *Server) Requests(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[endpoint]
}

// Fetches returns how many times a message was fetched with format=raw
// and answered 200.
func (s *Server) Fetches(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches[id]
}

// MaxFetches returns the highest Fetches count over all messages.
func (s *Server) MaxFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.fetches {
		n = max(n, c)
	}
	return n
}

// ResetCounters zeroes the request and fetch counters.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = map[string]int{}
	s.fetches = map[string]int{}
}
