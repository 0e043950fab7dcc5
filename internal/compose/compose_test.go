package compose

import (
	"bytes"
	"crypto/rand"
	"net/mail"
	"strings"
	"testing"
	"time"

	mmime "github.com/mailsync/mailsync/internal/mime"
)

func TestBytesParsesBack(t *testing.T) {
	blob := make([]byte, 300<<10)
	rand.Read(blob)
	m := &Message{
		From:       mail.Address{Name: "Alex Morgan", Address: "alex@ourco.test"},
		To:         []mail.Address{{Name: "Doe, Jane", Address: "jane@acme.test"}},
		Cc:         []mail.Address{{Address: "sam@acme.test"}},
		Bcc:        []mail.Address{{Name: "Secret", Address: "boss@ourco.test"}},
		Subject:    "Prix: été\r\nBcc: injected@evil.test",
		Text:       "Bonjour,\nvoici le devis.\n",
		HTML:       "<p>Bonjour</p>",
		Files:      []File{{Name: "devis été.pdf", ContentType: "application/pdf", Data: blob}, {Name: "empty.txt", Data: nil}},
		MessageID:  NewMessageID("alex@ourco.test"),
		InReplyTo:  "orig@acme.test",
		References: []string{"first@acme.test", "orig@acme.test"},
		Date:       time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("boss@ourco.test")) || bytes.Contains(raw, []byte("\r\nBcc:")) {
		t.Fatal("a bcc recipient is in the message")
	}
	if got := m.Recipients(); strings.Join(got, ",") != "jane@acme.test,sam@acme.test,boss@ourco.test" {
		t.Fatalf("Recipients = %v", got)
	}
	p, err := mmime.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.MessageID != m.MessageID || len(p.InReplyTo) != 1 || p.InReplyTo[0] != "orig@acme.test" || len(p.References) != 2 {
		t.Fatalf("threading headers: id %q in-reply-to %v references %v", p.MessageID, p.InReplyTo, p.References)
	}
	if !strings.HasPrefix(p.Subject, "Prix: été") || !p.Date.Equal(m.Date) {
		t.Fatalf("subject %q date %v", p.Subject, p.Date)
	}
	if !strings.Contains(p.Text, "voici le devis.") || !strings.Contains(p.HTML, "<p>Bonjour</p>") {
		t.Fatalf("bodies: %q / %q", p.Text, p.HTML)
	}
	if len(p.Attachments) != 2 || p.Attachments[0].Filename != "devis été.pdf" || !bytes.Equal(p.Attachments[0].Content, blob) {
		t.Fatalf("attachments: %+v", len(p.Attachments))
	}
	if p.Attachments[1].ContentType != "application/octet-stream" || p.Attachments[1].Size != 0 {
		t.Fatalf("empty attachment: %+v", p.Attachments[1])
	}
	for _, line := range bytes.Split(raw, []byte("\r\n")) {
		if len(line) > 998 {
			t.Fatalf("a line of %d bytes", len(line))
		}
	}
}

func TestReplySubject(t *testing.T) {
	for in, want := range map[string]string{"Quote": "Re: Quote", "Re: Quote": "Re: Quote", "RE: x": "RE: x", "": "Re: "} {
		if got := ReplySubject(in); got != want {
			t.Errorf("ReplySubject(%q) = %q, want %q", in, got, want)
		}
	}
}

// A message without attachments carries its bodies too.
func TestBytesWithoutFiles(t *testing.T) {
	for _, html := range []string{"", "<p>Hi <b>there</b></p>"} {
		m := &Message{From: mail.Address{Address: "a@ourco.test"}, To: []mail.Address{{Address: "b@acme.test"}},
			Subject: "Hi", Text: "Hi there", HTML: html, MessageID: "x@ourco.test"}
		raw, err := m.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		p, err := mmime.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.Text, "Hi there") || (html != "" && !strings.Contains(p.HTML, "<b>there</b>")) {
			t.Fatalf("html %q: text %q html %q\n%s", html, p.Text, p.HTML, raw)
		}
	}
}
