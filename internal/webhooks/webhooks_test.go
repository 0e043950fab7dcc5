package webhooks

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/netguard"
	"github.com/mailsync/mailsync/internal/secrets"
	"github.com/mailsync/mailsync/internal/store"
)

// receiver is a local webhook endpoint that verifies every signature the
// way the contract tells integrators to, and fails while failing is set.
type receiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	fail   bool
	slow   time.Duration
	got    []store.Event // accepted deliveries, in arrival order
	tries  int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.tries++
	fail, slow := rc.fail, rc.slow
	rc.mu.Unlock()
	time.Sleep(slow)
	if !verify(rc.secret, r.Header.Get(SignatureHeader), body) {
		rc.t.Errorf("bad signature %q", r.Header.Get(SignatureHeader))
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	var e store.Event
	if err := json.Unmarshal(body, &e); err != nil || e.ID != r.Header.Get(EventIDHeader) {
		rc.t.Errorf("body %s, event id header %q", body, r.Header.Get(EventIDHeader))
	}
	if fail {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	rc.mu.Lock()
	rc.got = append(rc.got, e)
	rc.mu.Unlock()
}

// verify checks a Mailsync-Signature as a receiver would, from the header alone.
func verify(secret, header string, body []byte) bool {
	var ts, v1 string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)) > 5*time.Minute {
		return false
	}
	want := Sign(secret, time.Unix(sec, 0), body)
	return hmac.Equal([]byte(want), []byte("t="+ts+",v1="+v1))
}

func (rc *receiver) set(fail bool) { rc.mu.Lock(); rc.fail = fail; rc.mu.Unlock() }

func (rc *receiver) ids() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, e := range rc.got {
		out = append(out, e.Type+":"+e.ID)
	}
	return out
}

type env struct {
	st   *store.Store
	box  *secrets.Box
	ws   *store.Workspace
	rc   *receiver
	hook *store.Webhook
}

func setup(t *testing.T, db *database.DB, types []string) *env {
	ctx := context.Background()
	st := store.New(db)
	box, err := secrets.New(mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := st.CreateWorkspace(ctx, "w", nil)
	if err != nil {
		t.Fatal(err)
	}
	secret := NewSecret()
	rc := &receiver{t: t, secret: secret}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	if err := CheckURL(ctx, netguard.Guard{AllowPrivate: true}, srv.URL+"/hook"); err != nil {
		t.Fatal(err)
	}
	hook, err := st.AddWebhook(ctx, ws.ID, "", srv.URL+"/hook", types, box.Seal(secret))
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, box: box, ws: ws, rc: rc, hook: hook}
}

func mustKey(t *testing.T) []byte {
	k, err := secrets.ParseKey(secrets.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (e *env) dispatcher() *Dispatcher {
	return &Dispatcher{Store: e.st, Box: e.box, Guard: netguard.Guard{AllowPrivate: true},
		FirstRetry: 5 * time.Millisecond, MaxRetry: 20 * time.Millisecond, Timeout: 2 * time.Second}
}

func (e *env) person(t *testing.T, email string) *store.Person {
	p, err := e.st.AddPerson(context.Background(), e.ws.ID, store.NewPerson{Emails: []string{email}, CreatedBy: store.CreatedByUser})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runUntil runs d until cond holds or a few seconds passed.
func runUntil(t *testing.T, d *Dispatcher, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		if err := d.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDeliveryInOrderThroughFailureAndRestart: a receiver that fails gets
// every event of its types once it recovers, in order, signed; a second
// dispatcher (a restarted process) carries on from the stored cursor.
func TestDeliveryInOrderThroughFailureAndRestart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := setup(t, db, []string{store.EventPersonCreated, store.EventPersonDeleted})
		a := e.person(t, "a@x.example")
		e.person(t, "b@x.example")
		if _, err := e.st.AddCompany(ctx, e.ws.ID, "X", "x.example", store.CreatedByUser); err != nil {
			t.Fatal(err)
		}
		if err := e.st.DeletePerson(ctx, e.ws.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		e.rc.set(true)
		d1 := e.dispatcher()
		runUntil(t, d1, func() bool { e.rc.mu.Lock(); defer e.rc.mu.Unlock(); return e.rc.tries >= 3 })
		hooks, _ := e.st.Webhooks(ctx, e.ws.ID)
		if hooks[0].Status != "failing" || !strings.Contains(hooks[0].LastError, "503") || hooks[0].Attempts < 2 {
			t.Fatalf("while failing: %+v", hooks[0])
		}
		if len(e.rc.ids()) != 0 {
			t.Fatalf("accepted while failing: %v", e.rc.ids())
		}
		// Restart: a new dispatcher, more events meanwhile, and the receiver back.
		e.person(t, "c@x.example")
		e.rc.set(false)
		d2 := e.dispatcher()
		runUntil(t, d2, func() bool { return len(e.rc.ids()) == 4 })
		want := "person.created:1 person.created:2 person.deleted:4 person.created:5"
		if got := strings.Join(e.rc.ids(), " "); got != want {
			t.Fatalf("delivered %s, want %s", got, want)
		}
		hooks, _ = e.st.Webhooks(ctx, e.ws.ID)
		if hooks[0].Status != "active" || hooks[0].DeliveredUpTo != "5" || hooks[0].LastError != "" {
			t.Fatalf("after recovery: %+v", hooks[0])
		}
		// Nothing is sent twice once acknowledged.
		if err := d2.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if len(e.rc.ids()) != 4 {
			t.Fatalf("re-delivered: %v", e.rc.ids())
		}
	})
}

// TestFailingTooLongDisables: past DisableAfter the webhook stops and says why.
func TestFailingTooLongDisables(t *testing.T) {
	db := dbtest.Open(t, database.SQLite)
	ctx := context.Background()
	e := setup(t, db, nil)
	e.rc.set(true)
	e.person(t, "a@x.example")
	d := e.dispatcher()
	d.DisableAfter = 60 * time.Millisecond
	runUntil(t, d, func() bool {
		h, _ := e.st.Webhook(ctx, e.ws.ID, e.hook.ID)
		return h.Status == "disabled"
	})
	h, _ := e.st.Webhook(ctx, e.ws.ID, e.hook.ID)
	if !strings.Contains(h.DisabledReason, "failing for") || !strings.Contains(h.DisabledReason, "503") {
		t.Fatalf("reason %q", h.DisabledReason)
	}
	tries := e.rc.tries
	e.rc.set(false)
	time.Sleep(30 * time.Millisecond)
	d.RunOnce(ctx)
	if e.rc.tries != tries {
		t.Fatal("a disabled webhook was tried again")
	}
}

// TestSlowReceiverFails: no answer within the timeout is a failure.
func TestSlowReceiverFails(t *testing.T) {
	db := dbtest.Open(t, database.SQLite)
	ctx := context.Background()
	e := setup(t, db, nil)
	e.rc.slow = 300 * time.Millisecond
	e.person(t, "a@x.example")
	d := e.dispatcher()
	d.Timeout = 50 * time.Millisecond
	if err := d.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	h, _ := e.st.Webhook(ctx, e.ws.ID, e.hook.ID)
	if h.Status != "failing" || h.DeliveredUpTo != "0" {
		t.Fatalf("after a timeout: %+v", h)
	}
}

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		url     string
		allow   bool
		wantErr string
	}{
		{"http://127.0.0.1:9/hook", false, "allow-private-hosts"},
		{"http://localhost:9/hook", false, "allow-private-hosts"},
		{"http://169.254.169.254/latest/meta-data", false, "allow-private-hosts"},
		{"http://10.1.2.3/hook", false, "allow-private-hosts"},
		{"http://[::1]:9/hook", false, "allow-private-hosts"},
		{"http://127.0.0.1:9/hook", true, ""},
		{"ftp://example.com/x", true, "http"},
		{"/relative", true, "http"},
	}
	for _, tt := range tests {
		err := CheckURL(ctx, netguard.Guard{AllowPrivate: tt.allow}, tt.url)
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s (allow %v): %v", tt.url, tt.allow, err)
		}
	}
}

func TestSignMatchesContract(t *testing.T) {
	// HEX = HMAC-SHA256(key = secret, message = t + "." + body), computed with Python's hmac module.
	got := Sign("whsec_test", time.Unix(1700000000, 0), []byte(`{"id":"1"}`))
	want := "t=1700000000,v1=11bf4466ea17c3df3fd743af0b435368e16b7a05eb8eced85e8c4670767bdec5"
	if got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
}
