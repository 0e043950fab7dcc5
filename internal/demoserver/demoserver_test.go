package demoserver

import (
	"bytes"
	"context"
	"net"
	"net/mail"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func dial(t *testing.T, s *Server) *imapclient.Client {
	t.Helper()
	host, port := s.Addr()
	if host != "127.0.0.1" {
		t.Fatalf("server listens on %s, want loopback", host)
	}
	c, err := imapclient.DialInsecure(net.JoinHostPort(host, strconv.Itoa(port)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func login(t *testing.T, s *Server) *imapclient.Client {
	t.Helper()
	c := dial(t, s)
	if err := c.Login(s.Username(), s.Password()).Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}
	return c
}

// TestDemoMailbox logs in as a mail client would and checks what `mailsync demo` shows:
// the folders with their roles, the message counts, and messages that parse.
func TestDemoMailbox(t *testing.T) {
	s, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Username() != "alex@ourco.example" || len(s.Password()) < 16 {
		t.Errorf("login %q / %q, want alex@ourco.example and a long random password", s.Username(), s.Password())
	}
	if got := s.Count("INBOX") + s.Count("Sent"); got != 300 {
		t.Errorf("INBOX and Sent hold %d messages, want the default 300", got)
	}

	bad := dial(t, s)
	defer bad.Close()
	if err := bad.Login(s.Username(), "wrong").Wait(); err == nil {
		t.Error("login with a wrong password succeeded")
	}

	c := login(t, s)
	defer c.Close()
	caps := c.Caps()
	for _, cap := range []imap.Cap{imap.CapIMAP4rev2, imap.CapUIDPlus, imap.CapSpecialUse, imap.CapMove} {
		if !caps.Has(cap) {
			t.Errorf("capability %s not advertised", cap)
		}
	}
	if caps.Has(imap.CapCondStore) {
		t.Error("CONDSTORE advertised, but imapmemserver has no mod-sequences")
	}

	list, err := c.List("", "*", &imap.ListOptions{
		ReturnStatus: &imap.StatusOptions{NumMessages: true},
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range list {
		var attrs []string
		for _, a := range d.Attrs {
			attrs = append(attrs, string(a))
		}
		got[d.Mailbox] = strings.Join(attrs, " ")
		if d.Status == nil || d.Status.NumMessages == nil || int(*d.Status.NumMessages) != s.Count(d.Mailbox) {
			t.Errorf("LIST-STATUS of %s: %+v, want %d messages", d.Mailbox, d.Status, s.Count(d.Mailbox))
		}
	}
	want := map[string]string{"INBOX": "", "Sent": `\Sent`, "Drafts": `\Drafts`, "Trash": `\Trash`}
	if !mapsEqual(got, want) {
		t.Errorf("LIST: %v, want %v", got, want)
	}
	onlySpecial, err := c.List("", "*", &imap.ListOptions{SelectSpecialUse: true}).Collect()
	if err != nil || len(onlySpecial) != 3 {
		t.Errorf("LIST (SPECIAL-USE): %d folders (%v), want Sent, Drafts and Trash", len(onlySpecial), err)
	}

	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if int(sel.NumMessages) != s.Count("INBOX") || s.Count("INBOX") < 150 {
		t.Errorf("SELECT INBOX: %d messages, Count says %d", sel.NumMessages, s.Count("INBOX"))
	}

	body := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.UIDSetNum(1), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{body}}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("UID FETCH 1: %d messages, %v", len(msgs), err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0].FindBodySection(body)))
	if err != nil {
		t.Fatalf("UID 1 does not parse: %v", err)
	}
	if m.Header.Get("Message-ID") == "" || m.Header.Get("From") == "" {
		t.Errorf("UID 1 lacks Message-ID or From: %v", m.Header)
	}

	checkContent(t, c)

	if err := c.Logout().Wait(); err != nil {
		t.Errorf("logout: %v", err)
	}
}

// checkContent reads the headers of INBOX and Sent and checks the demo has what its
// walkthrough points at: colleagues, customers at several companies, a Gmail contact, a
// newsletter, non-ASCII names, threads, and only the owner's mail in Sent.
func checkContent(t *testing.T, c *imapclient.Client) {
	t.Helper()
	seen := map[string]bool{}
	domains := map[string]bool{}
	for _, folder := range []string{"INBOX", "Sent"} {
		if _, err := c.Select(folder, nil).Wait(); err != nil {
			t.Fatal(err)
		}
		hdr := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
		all, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{
			Envelope: true, BodySection: []*imap.FetchItemBodySection{hdr},
		}).Collect()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range all {
			env := m.Envelope
			if len(env.From) != 1 {
				t.Errorf("%s: ENVELOPE of message %d has From %v", folder, m.SeqNum, env.From)
				continue
			}
			from := env.From[0].Addr()
			if folder == "Sent" && from != "alex@ourco.example" {
				t.Errorf("Sent holds a message from %s", from)
			}
			for _, a := range slices.Concat(env.From, env.To, env.Cc) {
				addr := a.Addr()
				domain := addr[strings.IndexByte(addr, '@')+1:]
				domains[domain] = true
				if domain == "ourco.example" && addr != "alex@ourco.example" {
					seen["colleague"] = true
				}
				if domain == "gmail.com" {
					seen["gmail"] = true
				}
				// imapclient decodes the names it has a charset for; others stay encoded.
				if !isASCII(a.Name) || strings.Contains(a.Name, "=?") {
					seen["non-ascii name"] = true
				}
			}
			h := string(m.FindBodySection(hdr))
			seen["newsletter"] = seen["newsletter"] || strings.Contains(h, "\r\nList-Unsubscribe:")
			seen["thread"] = seen["thread"] || len(env.InReplyTo) > 0
		}
	}
	for _, k := range []string{"colleague", "gmail", "non-ascii name", "newsletter", "thread"} {
		if !seen[k] {
			t.Errorf("the demo mailbox has no %s", k)
		}
	}
	companies := 0
	for _, d := range []string{"acme-corp.com", "globex.io", "initech.co.uk", "umbrella-gmbh.de", "soylent.fr", "tyrell.jp"} {
		if domains[d] {
			companies++
		}
	}
	if companies < 4 {
		t.Errorf("the demo mailbox has customers at %d of 6 company domains", companies)
	}
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestCreateKeepsSpecialUseAndAppendReturnsUID(t *testing.T) {
	s, err := Start(t.Context(), Options{Messages: 20, Seed: 2, Owner: "sam@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := login(t, s)
	defer c.Close()

	if err := c.Create("Archive", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.MailboxAttrArchive}}).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("Archive", "Old", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	list, err := c.List("", "Old", nil).Collect()
	if err != nil || len(list) != 1 || !slices.Contains(list[0].Attrs, imap.MailboxAttrArchive) {
		t.Errorf("LIST Old after CREATE Archive (USE (\\Archive)) and RENAME: %+v, %v", list, err)
	}
	if err := c.Delete("Old").Wait(); err != nil {
		t.Fatal(err)
	}
	if list, _ := c.List("", "*", nil).Collect(); len(list) != 4 {
		t.Errorf("LIST after DELETE: %d folders, want 4", len(list))
	}

	raw := []byte("From: sam@example.org\r\nSubject: hi\r\nMessage-ID: <x@example.org>\r\n\r\nhello\r\n")
	app := c.Append("INBOX", int64(len(raw)), nil)
	if _, err := app.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := app.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if want := imap.UID(s.Count("INBOX") + 1); data.UID != want {
		t.Errorf("APPENDUID %d, want %d", data.UID, want)
	}
}

func TestStartHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if s, err := Start(ctx, Options{Messages: 50}); err == nil {
		s.Close()
		t.Fatal("Start with a cancelled context succeeded")
	}
}

// TestCloseLeavesNothingRunning closes the server while one client is idling and
// another has logged out, then checks every goroutine the server started has ended.
func TestCloseLeavesNothingRunning(t *testing.T) {
	before := runtime.NumGoroutine()

	s, err := Start(t.Context(), Options{Messages: 30, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	done := login(t, s)
	if err := done.Logout().Wait(); err != nil {
		t.Fatal(err)
	}
	done.Close()

	idler := login(t, s)
	if _, err := idler.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := idler.Idle()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the server enter IDLE

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	select {
	case <-idler.Closed():
	case <-time.After(5 * time.Second):
		t.Fatal("the idling client was not disconnected")
	}
	_ = idle.Wait()
	idler.Close()

	host, port := s.Addr()
	if c, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), time.Second); err == nil {
		c.Close()
		t.Error("the server still accepts connections after Close")
	}

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before Start, %d after Close:\n%s",
				before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
