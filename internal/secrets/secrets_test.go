package secrets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenRoundTrip(t *testing.T) {
	key, err := ParseKey(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	box, _ := New(key)
	for _, secret := range []string{"", "pass", "pässwörd with spaces and ✓", strings.Repeat("x", 4096)} {
		sealed := box.Seal(secret)
		if strings.Contains(sealed, secret) && secret != "" {
			t.Fatalf("sealed text contains the secret")
		}
		got, err := box.Open(sealed)
		if err != nil || got != secret {
			t.Fatalf("Open(Seal(%q)) = %q, %v", secret, got, err)
		}
	}
	if first, second := box.Seal("a"), box.Seal("a"); first == second {
		t.Fatal("two seals of one secret are equal: nonce reused")
	}
}

func TestOpenWithWrongKeyFails(t *testing.T) {
	k1, _ := ParseKey(NewKey())
	k2, _ := ParseKey(NewKey())
	b1, _ := New(k1)
	b2, _ := New(k2)
	if _, err := b2.Open(b1.Seal("secret")); err == nil {
		t.Fatal("opened with the wrong key")
	}
	if _, err := b1.Open("not base64!"); err == nil {
		t.Fatal("opened garbage")
	}
}

func TestParseKeyRejectsBadInput(t *testing.T) {
	for _, bad := range []string{"", "hello", keyPrefix + "c2hvcnQ=", keyPrefix + "!!!"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

func TestLoadOrCreateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "mailsync.key")
	b1, err := LoadOrCreateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	b2, err := LoadOrCreateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b2.Open(b1.Seal("x")); err != nil || got != "x" {
		t.Fatalf("reused key does not open: %v", err)
	}
}
