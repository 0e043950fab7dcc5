package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/store"
)

func TestScrape(t *testing.T) {
	ctx := context.Background()
	st := store.New(dbtest.Open(t, database.SQLite))
	ws, _ := st.CreateWorkspace(ctx, "w", nil)
	m1, _ := st.AddMember(ctx, ws.ID, "alex@ourco.example", "Alex", false)
	for _, h := range []string{"alex@ourco.example", "alex.sales@ourco.example"} {
		if _, err := st.AddAccount(ctx, store.NewAccount{WorkspaceID: ws.ID, MemberID: m1.ID, Provider: "imap", Handle: h}); err != nil {
			t.Fatal(err)
		}
	}
	m := New(st)
	m.SyncFinished(ingest.Progress{Imported: 40, Skipped: 7, Failed: 1, Removed: 2}, 1200*time.Millisecond, nil)
	m.SyncFinished(ingest.Progress{}, 300*time.Millisecond, errors.Join(errors.New("login"), provider.ErrAuth))
	m.SyncFinished(ingest.Progress{}, time.Second, fmt.Errorf("connect: %w", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}))
	m.Push(func() (int, int) { return 3, 1 })

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	for _, want := range []string{
		`mailsync_syncs_total{result="ok"} 1`,
		`mailsync_syncs_total{result="auth"} 1`,
		`mailsync_messages_total{outcome="imported"} 40`,
		`mailsync_messages_total{outcome="removed"} 2`,
		`mailsync_sync_duration_seconds_count 3`,
		`mailsync_mailboxes{status="not_synced"} 2`,
		`mailsync_mailboxes{status="active"} 0`,
		`mailsync_sync_errors_total{class="auth"} 1`,
		`mailsync_sync_errors_total{class="network"} 1`,
		`mailsync_sync_errors_total{class="database"} 0`,
		`mailsync_mailbox_freshness_lag_seconds_bucket{le="60"} 2`,
		`mailsync_mailbox_freshness_lag_seconds_count 2`,
		`mailsync_queue_jobs{state="available"} 0`,
		`mailsync_push_connections 3`,
		`mailsync_push_polled_mailboxes 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(text, "ourco.example") {
		t.Error("an address leaked into the metrics")
	}
}
