package graphsync

import (
	"strings"
	"testing"
)

// FuzzParseCursor checks what a stored cursor may make the client fetch:
// whatever it holds, a link is followed only when it lies under the
// configured API base, so the bearer token never goes to another host.
func FuzzParseCursor(f *testing.F) {
	const base = "https://graph.test/v1.0"
	for _, s := range []string{"", "delta:" + base + "/me/mailFolders/x/messages/delta?$deltatoken=abc",
		"full:" + base + "/me/mailFolders/x/messages/delta?$skiptoken=1", "delta:https://evil.test/v1.0/me",
		"delta:" + base + ".evil.test/me", "delta:" + base + "@evil.test/me", "full:", "delta:" + base} {
		f.Add(s)
	}
	m := &Mailbox{cfg: Config{BaseURL: base}}
	f.Fuzz(func(t *testing.T, s string) {
		kind, link, ok := m.parseCursor(s)
		if !ok {
			return
		}
		if kind != fullPrefix && kind != deltaPrefix {
			t.Fatalf("%q: kind %q", s, kind)
		}
		if !strings.HasPrefix(link, base+"/") || kind+link != s {
			t.Fatalf("%q: follows %q outside %s", s, link, base)
		}
	})
}
