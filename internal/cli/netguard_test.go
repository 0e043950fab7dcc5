package cli

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/netguard"
)

// TestPrivateHostsRefused adds IMAP mailboxes on internal addresses: refused
// with a message naming the switch, nothing saved; with the switch (flag
// or environment) the host is dialled.
func TestPrivateHostsRefused(t *testing.T) {
	// A closed port: "connection refused" means the guard let the dial through.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)

	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) {
			e := newCLIEnv(t, kind)
			delete(e.env, netguard.EnvAllowPrivate)
			e.ok(nil, "member", "add", "--email", "alex@ourco.example", "--name", "Alex")
			pw := writeFile(t, "secret")
			add := func(extra []string, host, port string) (int, string) {
				args := append(extra, "account", "add", "imap", "--member", "alex@ourco.example", "--host", host, "--port", port,
					"--security", "none", "--username", "alex@ourco.example", "--password-file", pw)
				code, _, errOut := e.run(args...)
				return code, errOut
			}
			for _, host := range []string{"127.0.0.1", "localhost", "169.254.169.254", "10.0.0.1", "::1"} {
				code, errOut := add(nil, host, "993")
				if code == 0 || !strings.Contains(errOut, "--allow-private-hosts") || !strings.Contains(errOut, "Nothing was saved") {
					t.Errorf("add %s: exit %d, stderr %q; want a refusal naming --allow-private-hosts", host, code, errOut)
				}
			}
			var list []map[string]any
			e.ok(&list, "account", "list", "--json")
			if len(list) != 0 {
				t.Fatalf("refused hosts were saved: %v", list)
			}

			// The flag, then the environment, let the dial happen: the
			// error becomes the server's, not the guard's.
			code, errOut := add([]string{"--allow-private-hosts"}, "127.0.0.1", port)
			if code == 0 || strings.Contains(errOut, "--allow-private-hosts") || !strings.Contains(errOut, "127.0.0.1:"+port) {
				t.Errorf("with --allow-private-hosts: exit %d, stderr %q; want the connection itself to fail", code, errOut)
			}
			e.env[netguard.EnvAllowPrivate] = "1"
			code, errOut = add(nil, "127.0.0.1", port)
			if code == 0 || strings.Contains(errOut, "--allow-private-hosts") {
				t.Errorf("with %s=1: exit %d, stderr %q; want the connection itself to fail", netguard.EnvAllowPrivate, code, errOut)
			}
		})
	}
}
