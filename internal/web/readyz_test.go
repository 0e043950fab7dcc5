package web

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
)

// /readyz answers 200 only when the database answers, every migration is
// applied and the sync workers run, and names what fails otherwise.
func TestReadyz(t *testing.T) {
	db := dbtest.Open(t, database.SQLite)
	running := func() error { return nil }
	stopped := func() error { return errors.New("sync workers stopped") }
	tests := []struct {
		name     string
		workers  func() error
		unapply  bool // forget the last migration
		closed   bool
		want     int
		failing  string
		failText string
	}{
		{"all good", running, false, false, 200, "", ""},
		{"no workers in this process", nil, false, false, 503, "workers", "runs no sync workers"},
		{"workers stopped", stopped, false, false, 503, "workers", "stopped"},
		{"schema behind", running, true, false, 503, "migrations", "run mailsync migrate"},
		{"database gone", running, false, true, 503, "database", "closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.unapply {
				if _, err := db.Exec(`DELETE FROM schema_migrations WHERE name = (SELECT MAX(name) FROM schema_migrations)`); err != nil {
					t.Fatal(err)
				}
			}
			if tt.closed {
				db.Close()
			}
			h := New(Config{Store: store.New(db), Workers: tt.workers})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
			var body struct {
				Ready  bool              `json:"ready"`
				Checks map[string]string `json:"checks"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if rec.Code != tt.want || body.Ready != (tt.want == 200) {
				t.Fatalf("status %d ready %v, want %d: %v", rec.Code, body.Ready, tt.want, body.Checks)
			}
			if tt.failing != "" && !strings.Contains(body.Checks[tt.failing], tt.failText) {
				t.Fatalf("check %s = %q, want it to say %q", tt.failing, body.Checks[tt.failing], tt.failText)
			}
		})
	}
}

func TestCaughtUp(t *testing.T) {
	now := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Time{}, "Not caught up yet"},
		{now.Add(-20 * time.Second), "Caught up just now"},
		{now.Add(-7 * time.Minute), "Caught up 7 min ago"},
		{now.Add(-3 * time.Hour), "Caught up 3 h ago"},
		{time.Date(2020, 11, 20, 9, 0, 0, 0, time.UTC), "Caught up Nov 20, 2020"},
	}
	for _, tt := range tests {
		if got := caughtUp(tt.at, now); got != tt.want {
			t.Errorf("caughtUp(%v) = %q, want %q", tt.at, got, tt.want)
		}
	}
}
