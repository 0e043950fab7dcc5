package cli

import (
	"context"
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
	"github.com/mailsync/mailsync/internal/webhooks"
)

// TestWebhookDeliveryAcrossRestart runs `mailsync worker` as the operator
// would: a receiver that fails gets nothing while the worker runs and is
// stopped; after a restart with deliveries pending, the receiver (now
// up) gets every event once, in order, signed with the secret `webhook
// add` printed.
func TestWebhookDeliveryAcrossRestart(t *testing.T) {
	e := newCLIEnv(t, database.SQLite)
	var mu sync.Mutex
	up, tries := false, 0
	var got []string
	secret := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		tries++
		sig := r.Header.Get(webhooks.SignatureHeader)
		ts := strings.TrimPrefix(strings.SplitN(sig, ",", 2)[0], "t=")
		sec, _ := strconv.ParseInt(ts, 10, 64)
		if sig != webhooks.Sign(secret, time.Unix(sec, 0), body) {
			t.Errorf("signature %q does not verify", sig)
		}
		if !up {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		var ev struct{ ID, Type string }
		json.Unmarshal(body, &ev)
		if ev.ID != r.Header.Get(webhooks.EventIDHeader) {
			t.Errorf("event id %s, header %s", ev.ID, r.Header.Get(webhooks.EventIDHeader))
		}
		got = append(got, ev.Type+":"+ev.ID)
	}))
	defer srv.Close()

	e.ok(nil, "member", "add", "--email", "a@ourco.example", "--name", "A", "--admin")
	var hook struct{ ID, Secret string }
	e.ok(&hook, "webhook", "add", "--url", srv.URL+"/in", "--type", "person.created", "--json")
	mu.Lock()
	secret = hook.Secret
	mu.Unlock()
	e.ok(nil, "people", "add", "--email", "p1@acme.example")
	e.ok(nil, "companies", "list") // not an event: nothing to deliver
	e.ok(nil, "people", "add", "--email", "p2@acme.example")

	worker := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() {
			var out, errb syncBuffer
			app := &App{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return e.env[k] }}
			done <- app.Run(ctx, []string{"--db", e.dsn, "worker"})
		}()
		return func() {
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("worker did not stop")
			}
		}
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			mu.Lock()
			ok := cond()
			mu.Unlock()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s (tries %d, got %v)", what, tries, got)
			}
		}
	}
	stop := worker()
	waitFor("a first failed attempt", func() bool { return tries >= 1 })
	stop()
	var list []struct{ Status, LastError string }
	e.ok(&list, "webhook", "list", "--json")
	if len(list) != 1 || list[0].Status != "failing" || !strings.Contains(list[0].LastError, "502") {
		t.Fatalf("after the failed attempt: %+v", list)
	}

	e.ok(nil, "people", "add", "--email", "p3@acme.example") // while no worker runs
	mu.Lock()
	up = true
	mu.Unlock()
	stop = worker()
	defer stop()
	waitFor("every pending event", func() bool { return len(got) >= 3 })
	mu.Lock()
	delivered := strings.Join(got, " ")
	mu.Unlock()
	if delivered != "person.created:1 person.created:2 person.created:3" {
		t.Fatalf("delivered %s", delivered)
	}
	e.ok(&list, "webhook", "list", "--json")
	if list[0].Status != "active" {
		t.Fatalf("after recovery: %+v", list)
	}
}
