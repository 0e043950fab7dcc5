// Package graphfake is a fake Microsoft Graph v1.0 mail API on httptest:
// one mailbox's folders, messages, delta queries and throttling, for tests.
package graphfake

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultConcurrency is Graph's MailboxConcurrency limit: requests in
// flight for one mailbox beyond it are answered 429.
const DefaultConcurrency = 4

// Well-known folders created at start, with their display names. The
// system folders a real mailbox also has (Outbox, Conversation History,
// Sync Issues and its children) are created too, so that clients learn
// to leave them out.
var wellKnownFolders = []struct{ name, display, parent string }{
	{"inbox", "Inbox", ""},
	{"sentitems", "Sent Items", ""},
	{"drafts", "Drafts", ""},
	{"deleteditems", "Deleted Items", ""},
	{"junkemail", "Junk Email", ""},
	{"archive", "Archive", ""},
	{"outbox", "Outbox", ""},
	{"conversationhistory", "Conversation History", ""},
	{"syncissues", "Sync Issues", ""},
	{"conflicts", "Conflicts", "syncissues"},
	{"localfailures", "Local Failures", "syncissues"},
	{"serverfailures", "Server Failures", "syncissues"},
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	// Authorize, when set, decides which bearer tokens are valid; nil
	// accepts any non-empty token.
	Authorize func(token string) bool

	srv *httptest.Server

	mu        sync.Mutex
	profile   profile
	root      string             // id of msgfolderroot
	folders   map[string]*folder // by id
	order     []string           // folder ids in creation order
	wellKnown map[string]string  // well-known name → id
	messages  map[string]*message
	removals  []removal
	seq       int64 // change counter: every change gets the next value
	tokens    map[string]*token
	expired   map[string]bool

	concurrency int
	inFlight    int
	peak        int
	latency     time.Duration
	throttleN   int
	throttleFor time.Duration

	requests    map[string]int // by endpoint name
	sent        [][]byte       // messages sent with sendMail, in order
	bodies      map[string]int // successful $value fetches by message id
	withoutImm  []string       // paths requested without Prefer IdType="ImmutableId"
	throttled   int
	concurrent  int // requests refused by the concurrency limit
	lastPrefers []string
}

type profile struct{ id, displayName, mail, upn string }

type folder struct {
	id, parent, display, wellKnown string
	hidden                         bool
}

type message struct {
	id, folder, conversation, internetID, subject string
	raw                                           []byte
	received                                      time.Time
	read, flagged                                 bool
	seq                                           int64
}

// removal records that a message left a folder (deleted or moved out).
type removal struct {
	folder, id string
	seq        int64
}

// Start runs a fake for the mailbox of address; it is closed when the test ends.
func Start(t testing.TB, address string) *Server {
	s := &Server{
		profile:     profile{id: newID("U"), displayName: displayName(address), mail: address, upn: address},
		folders:     map[string]*folder{},
		wellKnown:   map[string]string{},
		messages:    map[string]*message{},
		tokens:      map[string]*token{},
		expired:     map[string]bool{},
		concurrency: DefaultConcurrency,
		requests:    map[string]int{},
		bodies:      map[string]int{},
	}
	s.root = newID("F")
	s.folders[s.root] = &folder{id: s.root, display: "Top of Information Store", wellKnown: "msgfolderroot"}
	s.wellKnown["msgfolderroot"] = s.root
	for _, wk := range wellKnownFolders {
		parent := s.root
		if wk.parent != "" {
			parent = s.wellKnown[wk.parent]
		}
		s.wellKnown[wk.name] = s.addFolder(parent, wk.display, wk.name, false)
	}
	s.srv = httptest.NewServer(s.routes())
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API base, like https://graph.microsoft.com/v1.0.
func (s *Server) URL() string { return s.srv.URL + "/v1.0" }

// Close stops the server before the test ends (to test an unreachable one).
func (s *Server) Close() { s.srv.Close() }

// SetProfile changes what /me answers.
func (s *Server) SetProfile(displayName, mail, userPrincipalName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profile.displayName, s.profile.mail, s.profile.upn = displayName, mail, userPrincipalName
}

// SetConcurrency sets the requests allowed in flight at once (0: no limit).
func (s *Server) SetConcurrency(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.concurrency = n
}

// SetLatency makes every request take at least d, like a distant server.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// AddFolder creates a user folder under parent (a display path such as
// "Inbox/Projects", a well-known name, a folder id, or "" for the top)
// and returns its id.
func (s *Server) AddFolder(parent, displayName string) string {
	return s.addUserFolder(parent, displayName, false)
}

// AddHiddenFolder creates a folder listed only with includeHiddenFolders=true.
func (s *Server) AddHiddenFolder(parent, displayName string) string {
	return s.addUserFolder(parent, displayName, true)
}

func (s *Server) addUserFolder(parent, displayName string, hidden bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	pid := s.root
	if parent != "" {
		pid = s.mustFolder(parent)
	}
	return s.addFolder(pid, displayName, "", hidden)
}

func (s *Server) addFolder(parent, display, wellKnown string, hidden bool) string {
	id := newID("F")
	s.folders[id] = &folder{id: id, parent: parent, display: display, wellKnown: wellKnown, hidden: hidden}
	s.order = append(s.order, id)
	return id
}

// FolderID returns the id of a folder named by display path, well-known
// name or id.
func (s *Server) FolderID(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustFolder(name)
}

func (s *Server) mustFolder(name string) string {
	if id := s.findFolder(name); id != "" {
		return id
	}
	panic(fmt.Sprintf("graphfake: no folder %q", name))
}

// findFolder resolves an id, a well-known name or a display path.
func (s *Server) findFolder(name string) string {
	if _, ok := s.folders[name]; ok {
		return name
	}
	if id, ok := s.wellKnown[strings.ToLower(name)]; ok {
		return id
	}
	for _, id := range s.order {
		if s.path(id) == name {
			return id
		}
	}
	return ""
}

// path is a folder's display path from the top, like "Inbox/Projects".
func (s *Server) path(id string) string {
	f := s.folders[id]
	if f.parent == "" || f.parent == s.root {
		return f.display
	}
	return s.path(f.parent) + "/" + f.display
}

// Option sets a property of a message Add creates.
type Option func(*message)

// Read marks the new message read.
func Read() Option { return func(m *message) { m.read = true } }

// Flagged flags the new message for follow-up.
func Flagged() Option { return func(m *message) { m.flagged = true } }

// ReceivedAt sets receivedDateTime (default: the Date header, else now).
func ReceivedAt(t time.Time) Option { return func(m *message) { m.received = t.UTC() } }

// Conversation sets conversationId (default: the conversation of the
// message it replies to, else a new one).
func Conversation(id string) Option { return func(m *message) { m.conversation = id } }

// Sent returns the messages sent with sendMail, as sent.
func (s *Server) Sent() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// Add stores raw in folder (display path, well-known name or id) and
// returns the message's immutable id.
func (s *Server) Add(folderName string, raw []byte, opts ...Option) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &message{id: newID("M"), folder: s.mustFolder(folderName), raw: bytes.Clone(raw)}
	var parents []string
	if h, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.internetID = strings.TrimSpace(h.Header.Get("Message-Id"))
		m.subject = h.Header.Get("Subject")
		if d, err := h.Header.Date(); err == nil {
			m.received = d.UTC()
		}
		parents = strings.Fields(h.Header.Get("In-Reply-To") + " " + h.Header.Get("References"))
	}
	if m.received.IsZero() {
		m.received = time.Now().UTC()
	}
	for _, o := range opts {
		o(m)
	}
	if m.conversation == "" {
		m.conversation = s.conversationOf(parents)
	}
	s.seq++
	m.seq = s.seq
	s.messages[m.id] = m
	return m.id
}

// conversationOf returns the conversation of the first known message
// among the Message-IDs refs, or a new conversation id.
func (s *Server) conversationOf(refs []string) string {
	for _, ref := range refs {
		for _, m := range s.messages {
			if m.internetID != "" && m.internetID == ref {
				return m.conversation
			}
		}
	}
	return newID("C")
}

// Delete removes a message for good.
func (s *Server) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMessage(id)
	s.seq++
	s.removals = append(s.removals, removal{folder: m.folder, id: id, seq: s.seq})
	delete(s.messages, id)
}

// Move moves a message to another folder. Its id stays the same: clients
// ask for immutable ids.
func (s *Server) Move(id, folderName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMessage(id)
	to := s.mustFolder(folderName)
	s.seq++
	s.removals = append(s.removals, removal{folder: m.folder, id: id, seq: s.seq})
	m.folder, m.seq = to, s.seq
}

// MarkRead sets isRead.
func (s *Server) MarkRead(id string, read bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMessage(id)
	s.seq++
	m.read, m.seq = read, s.seq
}

// SetFlagged sets flag.flagStatus to "flagged" or "notFlagged".
func (s *Server) SetFlagged(id string, flagged bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMessage(id)
	s.seq++
	m.flagged, m.seq = flagged, s.seq
}

func (s *Server) mustMessage(id string) *message {
	m, ok := s.messages[id]
	if !ok {
		panic(fmt.Sprintf("graphfake: no message %q", id))
	}
	return m
}

// IDs returns the ids of the messages in a folder, in the order they were added.
func (s *Server) IDs(folderName string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.folderMessageIDs(s.mustFolder(folderName))
}

func (s *Server) folderMessageIDs(folderID string) []string {
	var ms []*message
	for _, m := range s.messages {
		if m.folder == folderID {
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b *message) int { return strings.Compare(a.id, b.id) })
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.id
	}
	return ids
}

// ExpireDeltaTokens makes every delta and next link issued so far answer
// 410 Gone with SyncStateNotFound, as Graph does when its sync state is lost.
func (s *Server) ExpireDeltaTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.tokens {
		s.expired[k] = true
		delete(s.tokens, k)
	}
}

// Throttle answers the next n requests 429 with Retry-After.
func (s *Server) Throttle(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttleN, s.throttleFor = n, retryAfter
}

// Requests returns how many requests reached an endpoint: "me",
// "mailFolders", "mailFolder", "childFolders", "messages", "message",
// "delta" or "$value" (throttled and refused ones included).
func (s *Server) Requests(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[endpoint]
}

// BodyFetches returns how many times each message's $value was served.
func (s *Server) BodyFetches() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.bodies))
	for k, v := range s.bodies {
		out[k] = v
	}
	return out
}

// WithoutImmutableID returns the paths of requests that did not send
// Prefer: IdType="ImmutableId".
func (s *Server) WithoutImmutableID() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.withoutImm)
}

// Throttled returns how many requests were answered 429, by Throttle and
// by the concurrency limit.
func (s *Server) Throttled() (byThrottle, byConcurrency int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled, s.concurrent
}

// PeakInFlight returns the most requests that were ever in flight at once.
func (s *Server) PeakInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// LastPrefer returns the Prefer preferences of the latest request.
func (s *Server) LastPrefer() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lastPrefers)
}

// newID makes an opaque id in the style of Graph's base64 ids.
func newID(kind string) string {
	b := make([]byte, 24)
	rand.Read(b)
	return "AAMk" + kind + base64.URLEncoding.EncodeToString(b)
}

func displayName(address string) string {
	local, _, _ := strings.Cut(address, "@")
	return local
}

func (m *message) flagStatus() string {
	if m.flagged {
		return "flagged"
	}
	return "notFlagged"
}

func unreadCount(ms map[string]*message, folderID string) (total, unread int) {
	for _, m := range ms {
		if m.folder == folderID {
			total++
			if !m.read {
				unread++
			}
		}
	}
	return total, unread
}

func (s *Server) childCount(id string) int {
	n := 0
	for _, fid := range s.order {
		if s.folders[fid].parent == id {
			n++
		}
	}
	return n
}
