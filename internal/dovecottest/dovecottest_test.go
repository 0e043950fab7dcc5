package dovecottest

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func message(i int) []byte {
	return fmt.Appendf(nil, "From: Alice <alice@acme.example>\r\n"+
		"To: Bob <bob@globex.example>\r\n"+
		"Subject: Quote %d\r\n"+
		"Date: Tue, 02 Jan 2024 10:%02d:00 +0000\r\n"+
		"Message-ID: <quote-%d@acme.example>\r\n"+
		"\r\n"+
		"Here is quote %d.\r\n", i, i%60, i, i)
}

func TestServerMailOperations(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()

	if err := s.Append(ctx, "user1", "INBOX", message(1), message(2), message(3)); err != nil {
		t.Fatal(err)
	}
	assertStatus(t, s, "user1", "INBOX", 3)

	c := login(t, s)
	uids := searchUIDs(t, c, "INBOX")
	if len(uids) != 3 {
		t.Fatalf("IMAP sees %d messages, want 3", len(uids))
	}
	// Append keeps the order: UID n holds message n.
	msgs, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{
		Flags:    true,
		Envelope: true,
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		if want := fmt.Sprintf("quote-%d@acme.example", i+1); m.Envelope.MessageID != want {
			t.Errorf("message %d has Message-ID %q, want %q", i, m.Envelope.MessageID, want)
		}
		if slices.ContainsFunc(m.Flags, func(f imap.Flag) bool { return f != `\Recent` }) {
			t.Errorf("message %d has flags %v, want none", i, m.Flags)
		}
	}

	if err := s.SetFlag(ctx, "user1", "INBOX", "<quote-2@acme.example>", `\Seen`); err != nil {
		t.Fatal(err)
	}
	if err := s.ExpungeMessageIDs(ctx, "user1", "INBOX", "<quote-1@acme.example>", "<quote-3@acme.example>"); err != nil {
		t.Fatal(err)
	}
	assertStatus(t, s, "user1", "INBOX", 1)
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err = c.Fetch(imap.UIDSetNum(1, 2, 3), &imap.FetchOptions{Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].UID != 2 || !slices.Contains(msgs[0].Flags, imap.FlagSeen) {
		for _, m := range msgs {
			t.Logf("UID %d flags %v", m.UID, m.Flags)
		}
		t.Errorf("after expunge and flag: got %d messages, want only UID 2 with \\Seen", len(msgs))
	}

	_, before, err := s.Status(ctx, "user1", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ResetUIDValidity(ctx, "user1", "INBOX"); err != nil {
		t.Fatal(err)
	}
	c2 := login(t, s)
	sel, err := c2.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.UIDValidity == before || sel.NumMessages != 1 {
		t.Errorf("after reset: UIDVALIDITY %d (was %d), %d messages; want a new UIDVALIDITY and 1 message",
			sel.UIDValidity, before, sel.NumMessages)
	}
}

func TestServerFoldersAndMbox(t *testing.T) {
	s := Start(t, Options{Users: []string{"ann"}})
	ctx := context.Background()

	if err := s.CreateFolder(ctx, "ann", "Clients/Acme"); err != nil {
		t.Fatal(err)
	}
	assertStatus(t, s, "ann", "Clients/Acme", 0)

	var mbox strings.Builder
	for i := 1; i <= 4; i++ {
		fmt.Fprintf(&mbox, "From alice@acme.example Tue Jan  2 10:00:00 2024\n%s\n",
			strings.ReplaceAll(string(message(i)), "\r\n", "\n"))
	}
	path := filepath.Join(t.TempDir(), "in.mbox")
	if err := os.WriteFile(path, []byte(mbox.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.ImportMbox(ctx, "ann", "Clients/Acme", path); err != nil {
		t.Fatal(err)
	}
	assertStatus(t, s, "ann", "Clients/Acme", 4)
	if err := s.ImportMbox(ctx, "ann", "INBOX", path); err != nil {
		t.Fatal(err)
	}
	assertStatus(t, s, "ann", "INBOX", 4)
	if _, _, err := s.Status(ctx, "nobody-here", "INBOX"); err == nil {
		t.Error("Status of an unknown user: want an error")
	}
}

func TestServerTLS(t *testing.T) {
	s := Start(t, Options{TLS: true})
	if s.TLSPort() == 0 || s.CACertPool() == nil {
		t.Fatalf("TLS server: port %d, pool %v", s.TLSPort(), s.CACertPool())
	}
	cfg := &tls.Config{RootCAs: s.CACertPool(), ServerName: s.Host()}

	c, err := imapclient.DialTLS(net.JoinHostPort(s.Host(), strconv.Itoa(s.TLSPort())), &imapclient.Options{TLSConfig: cfg})
	if err != nil {
		t.Fatalf("imaps: %v", err)
	}
	defer c.Close()
	if err := c.Login("user2", s.Password("user2")).Wait(); err != nil {
		t.Fatalf("imaps login: %v", err)
	}

	c2, err := imapclient.DialStartTLS(net.JoinHostPort(s.Host(), strconv.Itoa(s.Port())), &imapclient.Options{TLSConfig: cfg})
	if err != nil {
		t.Fatalf("starttls: %v", err)
	}
	defer c2.Close()
	if err := c2.Login("user3", s.Password("user3")).Wait(); err != nil {
		t.Fatalf("starttls login: %v", err)
	}
}

func TestServerStopRemovesEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	start := time.Now()
	s, err := New(Options{})
	if err != nil {
		t.Skip("dovecot unavailable:", err)
	}
	t.Logf("started in %v", time.Since(start))
	start = time.Now()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("stopped in %v", time.Since(start))
	if _, err := os.Stat(s.Dir()); !os.IsNotExist(err) {
		t.Errorf("dir %s still there after Stop: %v", s.Dir(), err)
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(s.Host(), strconv.Itoa(s.Port())), time.Second)
	if err == nil {
		line, _ := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		t.Errorf("port %d still answers after Stop: %q", s.Port(), line)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func assertStatus(t *testing.T, s *Server, user, folder string, want int) {
	t.Helper()
	n, validity, err := s.Status(context.Background(), user, folder)
	if err != nil {
		t.Fatal(err)
	}
	if n != want || validity == 0 {
		t.Errorf("%s of %s: %d messages, UIDVALIDITY %d; want %d messages", folder, user, n, validity, want)
	}
}

func login(t *testing.T, s *Server) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(net.JoinHostPort(s.Host(), strconv.Itoa(s.Port())), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login("user1", s.Password("user1")).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func searchUIDs(t *testing.T, c *imapclient.Client, folder string) []imap.UID {
	t.Helper()
	if _, err := c.Select(folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return data.AllUIDs()
}
