package visibility

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/mailsync/mailsync/internal/store"
)

// The views below are what every read path sends: built from stored data
// for one viewer, with withheld fields nil (JSON null), never filled.

// ParticipantView is a participant of a message.
type ParticipantView struct {
	Role     string  `json:"role"`
	Email    string  `json:"email"`
	Name     string  `json:"name"`
	PersonID *string `json:"personId"`
	MemberID *string `json:"memberId"`
}

// MessageView is a message as one viewer may see it.
type MessageView struct {
	ID        string  `json:"id"`
	MessageID string  `json:"messageId"`
	ThreadID  string  `json:"threadId"`
	Subject   *string `json:"subject"`
	Text      *string `json:"text"`
	HTML      *string `json:"-"` // unsanitized: the web layer sanitizes before sending
	// Attachments is nil (JSON null) below everything, never filled.
	Attachments  []AttachmentView  `json:"attachments"`
	ReceivedAt   string            `json:"receivedAt"`
	Direction    string            `json:"direction"`
	Visibility   string            `json:"visibility"`
	Participants []ParticipantView `json:"participants"`
}

// ThreadRow is a row of an Emails tab.
type ThreadRow struct {
	ID            string          `json:"id"`
	Subject       *string         `json:"subject"`
	MessageCount  int             `json:"messageCount"`
	LastMessageAt string          `json:"lastMessageAt"`
	Visibility    string          `json:"visibility"`
	Snippet       *string         `json:"snippet"`
	Participants  []store.Address `json:"participants"`
}

// ThreadView is an opened thread.
type ThreadView struct {
	ID         string        `json:"id"`
	Subject    *string       `json:"subject"`
	Visibility string        `json:"visibility"`
	Messages   []MessageView `json:"messages"`
}

// levelOf is the level a viewer gets for a message (or thread) held by
// hs: everything when an access grant on its thread names the viewer,
// else what the sharing levels give (For).
func levelOf(viewerID string, hs []store.Holder, granted []string) string {
	if viewerID != "" && slices.Contains(granted, viewerID) {
		return Everything
	}
	return For(viewerID, holdersOf(hs))
}

func holdersOf(hs []store.Holder) []Holder {
	out := make([]Holder, len(hs))
	for i, h := range hs {
		out[i] = Holder{OwnerID: h.MemberID, Level: h.Visibility}
	}
	return out
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func ptr(s string) *string { return &s }

// Message redacts one message for a viewer.
func Message(viewerID string, m *store.StoredMessage) MessageView {
	level := levelOf(viewerID, m.Holders, m.Granted)
	v := MessageView{ID: m.ID, MessageID: m.Key, ThreadID: m.ThreadID, ReceivedAt: rfc3339(m.SentAt),
		Direction: directionFor(viewerID, m.Holders), Visibility: level, Participants: []ParticipantView{}}
	if ShowsSubject(level) {
		v.Subject = ptr(m.Subject)
	}
	if ShowsBody(level) {
		v.Text, v.HTML, v.Attachments = ptr(m.Text), ptr(m.HTML), attachments(m.Attachments)
	}
	for _, p := range m.Participants {
		v.Participants = append(v.Participants, ParticipantView{Role: p.Role, Email: p.Email, Name: p.Name,
			PersonID: p.PersonID, MemberID: p.MemberID})
	}
	return v
}

// AttachmentView is an attachment's metadata; its bytes are served by
// index (MIME order, from 0) to viewers who get this view.
type AttachmentView struct {
	Index       int    `json:"index"`
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Size        int    `json:"size"`
	Inline      bool   `json:"-"` // shown in the body (a logo): the UI lists it all the same
}

// attachments decodes the stored metadata (package mime's JSON).
func attachments(stored string) []AttachmentView {
	out := []AttachmentView{}
	var meta []struct {
		Filename, ContentType string
		Size                  int
		Inline                bool
	}
	if stored == "" || json.Unmarshal([]byte(stored), &meta) != nil {
		return out
	}
	for i, a := range meta {
		out = append(out, AttachmentView{Index: i, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size, Inline: a.Inline})
	}
	return out
}

// Attachment returns a message's attachment for a viewer, or false when
// there is no such attachment or the viewer may not see it: callers
// answer both alike (404), so a withheld file cannot be told from none.
func Attachment(viewerID string, m *store.StoredMessage, index int) (AttachmentView, bool) {
	v := Message(viewerID, m)
	if index < 0 || index >= len(v.Attachments) {
		return AttachmentView{}, false
	}
	return v.Attachments[index], true
}

// directionFor is the direction in the viewer's own mailbox when they hold
// the message, else in the first mailbox holding it.
func directionFor(viewerID string, hs []store.Holder) string {
	for _, h := range hs {
		if h.MemberID == viewerID {
			return h.Direction
		}
	}
	if len(hs) > 0 {
		return hs[0].Direction
	}
	return ""
}

// Thread redacts a thread: the thread shows at the most open level among
// its messages, and each message is redacted on its own.
func Thread(viewerID string, t *store.ThreadSummary, msgs []*store.StoredMessage) ThreadView {
	level := levelOf(viewerID, t.Holders, t.Granted)
	v := ThreadView{ID: t.ID, Visibility: level, Messages: []MessageView{}}
	if ShowsSubject(level) {
		v.Subject = ptr(t.Subject)
	}
	for _, m := range msgs {
		v.Messages = append(v.Messages, Message(viewerID, m))
	}
	return v
}

// Row redacts an Emails tab row.
func Row(viewerID string, t *store.ThreadSummary) ThreadRow {
	level := levelOf(viewerID, t.Holders, t.Granted)
	r := ThreadRow{ID: t.ID, MessageCount: t.MessageCount, LastMessageAt: rfc3339(t.LastMessageAt),
		Visibility: level, Participants: t.Participants}
	if r.Participants == nil {
		r.Participants = []store.Address{}
	}
	if ShowsSubject(level) {
		r.Subject = ptr(t.Subject)
	}
	// The snippet is the latest message's body: it follows that message's
	// level, which may be closer than the thread's.
	if ShowsBody(levelOf(viewerID, t.SnippetHolders, t.Granted)) {
		r.Snippet = ptr(t.Snippet)
	}
	return r
}

// AccountView is a connected mailbox as the CLI and the API show it.
// Accounts carry no mail, so nothing is redacted; the view lives here so
// that every interface sends the same shape. Credentials never appear.
type AccountView struct {
	ID              string       `json:"id"`
	Member          string       `json:"member"`
	MemberID        string       `json:"memberId"`
	Provider        string       `json:"provider"`
	Handle          string       `json:"handle"`
	Aliases         []string     `json:"aliases"`
	Host            string       `json:"host"`
	Port            int          `json:"port"`
	Security        string       `json:"security"`
	Username        string       `json:"username"`
	Status          string       `json:"status"`
	LastError       string       `json:"lastError,omitempty"`
	LastSyncedAt    *string      `json:"lastSyncedAt"`
	Counts          store.Counts `json:"counts"`
	Visibility      string       `json:"visibility"`
	AutoCreate      string       `json:"autoCreate"`
	ExcludeGroup    bool         `json:"excludeGroup"`
	ExcludePersonal bool         `json:"excludePersonal"`
	Folders         []string     `json:"folders"`
	// SMTP is how an IMAP mailbox sends (the defaults filled in); nil
	// for Gmail and Microsoft mailboxes, which send through their APIs.
	SMTP *SMTPView `json:"smtp"`
}

// SMTPView is an IMAP mailbox's submission server (never its password).
type SMTPView struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"`
	Username string `json:"username"`
}

func Account(a *store.Account) AccountView {
	out := AccountView{ID: a.ID, Member: a.MemberEmail, MemberID: a.MemberID, Provider: a.Provider, Handle: a.Handle,
		Aliases: a.Aliases, Host: a.Host, Port: a.Port, Security: a.Security, Username: a.Username,
		Status: a.Status, LastError: a.LastError, Counts: a.Counts, Visibility: a.Visibility, AutoCreate: a.AutoCreate,
		ExcludeGroup: a.ExcludeGroup, ExcludePersonal: a.ExcludePersonal, Folders: a.Folders}
	if out.Aliases == nil {
		out.Aliases = []string{}
	}
	if a.Provider == "imap" {
		s := a.EffectiveSMTP()
		out.SMTP = &SMTPView{Host: s.Host, Port: s.Port, Security: s.Security, Username: s.Username}
	}
	if out.Folders == nil {
		out.Folders = []string{}
	}
	if !a.LastSyncedAt.IsZero() {
		t := a.LastSyncedAt.UTC().Format(time.RFC3339)
		out.LastSyncedAt = &t
	}
	return out
}
