package mime

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Address is one mailbox from an address header.
type Address struct {
	Name  string // decoded display name without surrounding quotes; "" if none
	Email string // lower-cased addr-spec; "" if the address was unparseable
	Raw   string // the original text when Email could not be parsed, else ""
}

// Participant is an address with the role of the header it came from.
type Participant struct {
	Role string // "from", "to", "cc", "bcc", "reply-to"
	Address
}

// Attachment is a non-body part: its metadata, and its decoded bytes for
// the store to keep (never part of the JSON metadata).
type Attachment struct {
	Filename    string
	ContentType string
	Size        int // decoded bytes
	Inline      bool
	Content     []byte `json:"-"`
}

// Message is what mailsync stores of one email.
type Message struct {
	MessageID    string   // Message-ID without angle brackets; "" when missing or unusable
	InReplyTo    []string // ids without brackets
	References   []string // ids without brackets, in header order
	Subject      string   // decoded
	Date         time.Time
	Participants []Participant // from, to, cc, bcc, reply-to; each in header order
	Text         string        // plain text body, derived from HTML when there is no text part
	HTML         string        // HTML body as sent, not sanitized
	Attachments  []Attachment

	// Headers policy rules read: raw, unfolded, trimmed, "" when absent.
	ListID, ListUnsubscribe, Precedence, AutoSubmitted string

	Size int // bytes of the raw message

	// Limits says, in words, what was left out to stay within the limits
	// (MaxParticipants, MaxMIMEDepth, MaxBodyBytes); nil when nothing was.
	Limits []string
}

// roles maps participant roles to their headers, in the order they are listed.
var roles = [...]struct{ role, header string }{
	{"from", "From"},
	{"to", "To"},
	{"cc", "Cc"},
	{"bcc", "Bcc"},
	{"reply-to", "Reply-To"},
}

// Parse parses a raw RFC 5322 message. It tolerates what it can (bad
// charsets, broken encodings, missing boundaries, malformed addresses) and
// fails only when raw has no header block at all.
func Parse(raw []byte) (*Message, error) {
	h, body, err := splitMessage(raw)
	if err != nil {
		return nil, fmt.Errorf("mime: parse: %w", err)
	}
	m := &Message{Size: len(raw)}
	charset := m.parseBody(h, body)
	m.parseHeader(h, newDecoder(charset))
	return m, nil
}

func (m *Message) parseHeader(h header, d *decoder) {
	m.MessageID = messageID(h.get("Message-ID"))
	m.InReplyTo = idList(strings.Join(h.all("In-Reply-To"), " "))
	m.References = idList(strings.Join(h.all("References"), " "))
	m.Subject = d.text(h.get("Subject"))
	m.Date = parseDate(h.get("Date"))
	m.parseParticipants(h, d)
	m.ListID = clean(d.raw8bit(h.get("List-Id")))
	m.ListUnsubscribe = clean(d.raw8bit(h.get("List-Unsubscribe")))
	m.Precedence = clean(d.raw8bit(h.get("Precedence")))
	m.AutoSubmitted = clean(d.raw8bit(h.get("Auto-Submitted")))
}

// parseParticipants reads the address headers leniently: every mailbox that
// can be understood yields an Address with an Email, one that cannot keeps
// its text in Raw, and group syntax ("Team: a@x, b@y;",
// "undisclosed-recipients:;") contributes only its members. It keeps at most
// MaxParticipants addresses; the rest are only counted (not parsed: a
// list of 100,000 recipients must not cost 100,000 address parses).
func (m *Message) parseParticipants(h header, d *decoder) {
	total := 0
	for _, r := range roles {
		for _, v := range h.all(r.header) {
			elems := splitAddressList(d.raw8bit(v))
			total += len(elems)
			for _, elem := range elems {
				if len(m.Participants) == MaxParticipants {
					break
				}
				if a, ok := d.address(elem); ok {
					m.Participants = append(m.Participants, Participant{Role: r.role, Address: a})
				}
			}
		}
	}
	if total > MaxParticipants {
		m.Limits = append(m.Limits, fmt.Sprintf("%d participants: the first %d kept", total, MaxParticipants))
	}
}

// Key returns the dedupe key: the Message-ID, or for a message without one a
// synthetic id hashed from its Date, From, Subject, body text and attachment
// metadata, so that the same message imported twice gets the same key.
func (m *Message) Key() string {
	if m.MessageID != "" {
		return m.MessageID
	}
	body := sha256.Sum256([]byte(collapse(m.Text)))
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	if !m.Date.IsZero() {
		field(strconv.FormatInt(m.Date.Unix(), 10))
	} else {
		field("")
	}
	field(m.from())
	field(m.Subject)
	field(hex.EncodeToString(body[:]))
	for _, a := range m.Attachments {
		field(a.Filename + "\x00" + a.ContentType + "\x00" + strconv.Itoa(a.Size))
	}
	return "synthetic-" + hex.EncodeToString(h.Sum(nil)[:16]) + "@mailsync.invalid"
}

// from returns the first From address (or its raw text).
func (m *Message) from() string {
	for _, p := range m.Participants {
		if p.Role == "from" {
			if p.Email != "" {
				return p.Email
			}
			return p.Raw
		}
	}
	return ""
}

// snippetLen is the number of characters Snippet returns at most.
const snippetLen = 200

// Snippet returns the start of the text with whitespace collapsed, at most
// about 200 characters, cut at a word boundary when one is near.
func (m *Message) Snippet() string {
	// Collapsing the whole of a long body would be wasted work.
	text := m.Text
	if len(text) > 8*snippetLen {
		text = text[:8*snippetLen]
	}
	s := collapse(text)
	if utf8.RuneCountInString(s) <= snippetLen {
		return s
	}
	cut, n := 0, 0
	for i := range s {
		if n == snippetLen {
			cut = i
			break
		}
		n++
	}
	if sp := strings.LastIndexByte(s[:cut], ' '); sp > cut*3/4 {
		cut = sp
	}
	return s[:cut]
}

// collapse joins the words of s with single spaces.
func collapse(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
