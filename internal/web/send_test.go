package web

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/smtptest"
)

// TestSendAPI sends through POST /accounts/{id}/messages to a real SMTP
// server: JSON and multipart, the Idempotency-Key, the owner-only rule,
// and a refused send that stores nothing.
func TestSendAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.srv.cfg.Providers.Guard = netguard.Guard{AllowPrivate: true}
		smtp := smtptest.Start(t, f.bob.Email, "pw")
		host, port, none := "127.0.0.1", smtp.Port(), "none"
		if err := f.st.SetSMTP(t.Context(), f.ws.ID, f.acctB.ID, &host, &none, nil, nil, &port); err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/accounts/" + f.acctB.ID + "/messages"
		post := func(who, key, ctype string, body []byte) (int, string) {
			req := httptest.NewRequest("POST", path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+f.tokens[who])
			req.Header.Set("Content-Type", ctype)
			if key != "" {
				req.Header.Set("Idempotency-Key", key)
			}
			rec := httptest.NewRecorder()
			f.srv.ServeHTTP(rec, req)
			return rec.Code, rec.Body.String()
		}
		body := []byte(`{"to":["Pat Doe <pat@acme.test>"],"subject":"Renewal terms","text":"See below.","html":"<p onclick=\"x()\">See <b>below</b></p><script>x()</script>"}`)
		if code, msg := post("alice", "", "application/json", body); code != http.StatusForbidden || len(smtp.Messages()) != 0 {
			t.Fatalf("a colleague sending: %d %s", code, msg)
		}
		code, out := post("bob", "key-1", "application/json", body)
		if code != http.StatusCreated {
			t.Fatalf("send: %d %s", code, out)
		}
		var res struct{ ID, MessageID, ThreadID, Warning string }
		json.Unmarshal([]byte(out), &res)
		code, again := post("bob", "key-1", "application/json", body)
		if code != http.StatusCreated || !strings.Contains(again, res.ID) || len(smtp.Messages()) != 1 {
			t.Fatalf("retry with the same key: %d %s, %d sent", code, again, len(smtp.Messages()))
		}
		raw := string(smtp.Messages()[0].Data)
		if strings.Contains(raw, "<script") || strings.Contains(raw, "onclick") || !strings.Contains(raw, "<b>below</b>") {
			t.Errorf("the HTML body was not sanitized:\n%s", raw)
		}
		var th struct {
			Messages []struct {
				ID, Direction string
				Subject       *string
			}
		}
		f.getJSON(t, "bob", "/api/v1/threads/"+res.ThreadID, &th)
		if len(th.Messages) != 1 || th.Messages[0].ID != res.ID || th.Messages[0].Direction != "outgoing" {
			t.Fatalf("the sent message in its thread: %+v", th.Messages)
		}

		// A multipart reply with an attachment threads under the message.
		var mp bytes.Buffer
		w := multipart.NewWriter(&mp)
		w.WriteField("to", "pat@acme.test")
		w.WriteField("text", "And the file.")
		w.WriteField("replyTo", res.ID)
		fw, _ := w.CreateFormFile("attachment", "terms.csv")
		fw.Write([]byte("a,b\n1,2\n"))
		w.Close()
		code, out = post("bob", "", w.FormDataContentType(), mp.Bytes())
		var reply struct{ ID, ThreadID string }
		json.Unmarshal([]byte(out), &reply)
		if code != http.StatusCreated || reply.ThreadID != res.ThreadID {
			t.Fatalf("multipart reply: %d %s", code, out)
		}
		if raw := string(smtp.Messages()[1].Data); !strings.Contains(raw, "Subject: Re: Renewal terms") ||
			!strings.Contains(raw, "In-Reply-To: <"+res.MessageID+">") {
			t.Errorf("reply headers:\n%s", raw)
		}
		if code, got := f.call(t, "bob", "GET", "/api/v1/messages/"+reply.ID+"/attachments/0", ""); code != 200 || got != "a,b\n1,2\n" {
			t.Errorf("the reply's attachment: %d %q", code, got)
		}

		// A refused recipient: 502 saying why, nothing stored.
		smtp.RefuseRcpt = "nobody@acme.test"
		before, _ := f.st.Messages(t.Context(), f.ws.ID, "", 1000, 0)
		code, out = post("bob", "key-2", "application/json", []byte(`{"to":["nobody@acme.test"],"subject":"x","text":"x"}`))
		if code != http.StatusBadGateway || !strings.Contains(out, "nobody@acme.test") {
			t.Fatalf("refused recipient: %d %s", code, out)
		}
		after, _ := f.st.Messages(t.Context(), f.ws.ID, "", 1000, 0)
		if len(after) != len(before) {
			t.Fatal("a failed send stored a message")
		}
		// The key of a failed send is free again.
		smtp.RefuseRcpt = ""
		if code, out := post("bob", "key-2", "application/json", []byte(`{"to":["nobody@acme.test"],"subject":"x","text":"x"}`)); code != http.StatusCreated {
			t.Fatalf("retry after a failure: %d %s", code, out)
		}
	})
}

// TestSMTPSettingsUI: the owner sets the sending server on Settings >
// Emails (a preset fills server, port and security; a password typed is
// kept sealed), and the page shows the mailbox's settings afterwards.
func TestSMTPSettingsUI(t *testing.T) {
	f := newFixture(t, dbtest.Open(t, database.SQLite))
	f.srv.cfg.Providers.Guard = netguard.Guard{AllowPrivate: true}
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	b := newBrowser(t, ts.URL)
	csrf := b.login(f.bob.Email)
	path := "/settings/emails/" + f.acctB.ID
	_, page := b.do("GET", path, nil)
	if !strings.Contains(page, "Sending (SMTP)") || !strings.Contains(page, `value="imap.test"`) || !strings.Contains(page, `value="465"`) {
		t.Fatalf("the page does not show the default SMTP settings")
	}
	form := url.Values{"csrf": {csrf}, "host": {"127.0.0.1"}, "port": {"2525"}, "security": {"none"}, "username": {"bob-smtp"}, "password": {"s3cret"}}
	if resp, body := b.do("POST", path+"/smtp", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", resp.StatusCode, body)
	}
	if _, page := b.do("GET", path, nil); !strings.Contains(page, `value="2525"`) || strings.Contains(page, "s3cret") {
		t.Fatal("the page does not show the saved settings, or shows the password")
	}
	a, err := f.st.Account(t.Context(), f.ws.ID, f.acctB.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pw, err := f.box.Open(a.SMTP.Secret); err != nil || pw != "s3cret" || a.SMTP.Host != "127.0.0.1" || a.SMTP.Username != "bob-smtp" {
		t.Fatalf("stored: %+v (%q, %v)", a.SMTP, pw, err)
	}
	form.Set("preset", "Microsoft 365 / Outlook.com")
	form.Del("password")
	if resp, body := b.do("POST", path+"/smtp", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save with a preset: %d %s", resp.StatusCode, body)
	}
	a, _ = f.st.Account(t.Context(), f.ws.ID, f.acctB.ID)
	if s := a.EffectiveSMTP(); s.Host != "smtp.office365.com" || s.Port != 587 || s.Security != "starttls" || a.SMTP.Secret == "" {
		t.Fatalf("after the preset: %+v", s)
	}
}
