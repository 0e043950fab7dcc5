package web

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
)

// hostileFiles are attachments whose names and types try to run in the
// app's origin or break out of the headers.
var hostileFiles = []struct {
	name, ctype string
	data        []byte
	served      string // Content-Type served
}{
	{"photo.png", "image/png", []byte("\x89PNG\r\n\x1a\n fake but exact bytes \x00\xff"), "image/png"},
	{`"><script>alert(1)</script>.html`, "text/html", []byte(`<script>parent.__pwned="html"</script>`), "application/octet-stream"},
	{"logo.svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="parent.__pwned='svg'"/>`), "application/octet-stream"},
	{"naïve\r\nSet-Cookie: x=1.txt", "text/plain", []byte("plain"), "text/plain"},
	{"big.bin", "application/x-unknown", nil, "application/octet-stream"},
}

// withFiles stores a message carrying hostileFiles in the account and
// returns its id.
func (f *fixture) withFiles(t testing.TB, a *store.Account, key string) string {
	t.Helper()
	if last := &hostileFiles[len(hostileFiles)-1]; last.data == nil {
		last.data = make([]byte, 600<<10) // spans several stored chunks
		rand.Read(last.data)
	}
	type meta struct {
		Filename, ContentType string
		Size                  int
	}
	var metas []meta
	var data [][]byte
	for _, h := range hostileFiles {
		metas = append(metas, meta{h.name, h.ctype, len(h.data)})
		data = append(data, h.data)
	}
	js, _ := json.Marshal(metas)
	m := &store.NewMessage{Key: key, Subject: "Files", Text: "see attached", Attachments: string(js),
		AttachmentData: data, SentAt: time.Date(2025, 3, 2, 9, 0, 0, 0, time.UTC),
		Participants: []store.NewParticipant{{Role: "from", Email: "pat@acme.test", Name: "Pat Doe"}, {Role: "to", Email: a.Handle}}}
	return f.deliver(t, a, m)[m.Key]
}

func TestAttachmentDownload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		carolAcct, err := f.st.Account(t.Context(), f.ws.ID, f.evilAccount)
		if err != nil {
			t.Fatal(err)
		}
		open := f.withFiles(t, carolAcct, "files@acme.test")  // carol's mailbox shares everything
		closed := f.withFiles(t, f.acctA, "closed@acme.test") // alice's shares metadata only
		if again := f.withFiles(t, f.acctA, "files@acme.test"); again != open {
			t.Fatalf("one Message-ID stored twice: %s, %s", open, again)
		}
		var msg struct {
			Attachments []struct {
				Index       int
				Filename    string
				ContentType string
				Size        int
			}
		}
		f.getJSON(t, "bob", "/api/v1/messages/"+open, &msg)
		if len(msg.Attachments) != len(hostileFiles) {
			t.Fatalf("attachments: %+v", msg.Attachments)
		}
		for i, h := range hostileFiles {
			if a := msg.Attachments[i]; a.Index != i || a.Filename != h.name || a.ContentType != h.ctype || a.Size != len(h.data) {
				t.Errorf("attachment %d: %+v", i, a)
			}
			req := httptest.NewRequest("GET", "/api/v1/messages/"+open+"/attachments/"+itoa(i), nil)
			req.Header.Set("Authorization", "Bearer "+f.tokens["bob"])
			rec := httptest.NewRecorder()
			f.srv.ServeHTTP(rec, req)
			hd := rec.Header()
			if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), h.data) {
				t.Fatalf("attachment %d: %d, %d bytes (want %d)", i, rec.Code, rec.Body.Len(), len(h.data))
			}
			if hd.Get("Content-Type") != h.served || hd.Get("X-Content-Type-Options") != "nosniff" ||
				hd.Get("Content-Length") != itoa(len(h.data)) || hd.Get("Set-Cookie") != "" {
				t.Errorf("attachment %d headers: %v", i, hd)
			}
			if cd := hd.Get("Content-Disposition"); !bytes.HasPrefix([]byte(cd), []byte("attachment; ")) ||
				!bytes.Contains([]byte(cd), []byte("filename*=UTF-8''")) {
				t.Errorf("attachment %d disposition %q", i, cd)
			}
		}
		// Unknown index, unknown message, another workspace, and a reader
		// below everything all get the same 404.
		_, want := f.call(t, "bob", "GET", "/api/v1/messages/"+open+"/attachments/99", "")
		for _, c := range []struct{ who, path string }{
			{"bob", "/api/v1/messages/" + open + "/attachments/x"},
			{"bob", "/api/v1/messages/nope/attachments/0"},
			{"eve", "/api/v1/messages/" + open + "/attachments/0"},
			{"bob", "/api/v1/messages/" + closed + "/attachments/0"},
		} {
			if code, body := f.call(t, c.who, "GET", c.path, ""); code != http.StatusNotFound || body != want {
				t.Errorf("%s %s: %d %s", c.who, c.path, code, body)
			}
		}
		if code, body := f.call(t, "alice", "GET", "/api/v1/messages/"+closed+"/attachments/0", ""); code != http.StatusOK || body != string(hostileFiles[0].data) {
			t.Errorf("the owner of a metadata mailbox: %d", code)
		}
		if code, _ := f.call(t, "", "GET", "/api/v1/messages/"+open+"/attachments/0", ""); code != http.StatusUnauthorized {
			t.Errorf("no token: %d", code)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
