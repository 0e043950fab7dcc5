package ingest_test

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/dovecottest"
	"github.com/mailsync/mailsync/internal/ingest/ingesttest"
	"github.com/mailsync/mailsync/internal/mailgen"
	"github.com/mailsync/mailsync/internal/reconcile"
	"github.com/mailsync/mailsync/internal/store"
)

// TestHostileMailImports syncs a folder of mail built to exhaust a parser,
// between ordinary messages: each hostile message is recorded as failed or
// imported with what was left out, its reason in `why` (rule "limit"),
// the ordinary ones are imported, and reconciliation finds nothing amiss.
func TestHostileMailImports(t *testing.T) {
	if testing.Short() {
		t.Skip("delivers a 200 MB message")
	}
	bigRaw := mailgen.LargeAttachment("big@x", 200<<20)
	tests := []struct {
		id       string
		raw      func() []byte
		decision string
		detail   string
	}{
		{"header@x", func() []byte { return mailgen.HugeHeader("header@x", 10_000_000) }, store.ItemFailed, "header block larger than 4 MiB"},
		{"recipients@x", func() []byte { return mailgen.ManyRecipients("recipients@x", 100_000) }, store.ItemImported, "100001 participants: the first 1000 kept"},
		{"nested@x", func() []byte { return mailgen.NestedMultipart("nested@x", 50) }, store.ItemImported, "nested deeper than 16 levels"},
		{"base64@x", func() []byte { return mailgen.Base64Text("base64@x", 3_000_000) }, store.ItemImported, "text cut at 1 MiB"},
		{"html@x", func() []byte { return mailgen.Base64HTML("html@x", 3_000_000) }, store.ItemImported, "HTML cut at 1 MiB"},
		{"qp@x", func() []byte { return mailgen.QPOneLine("qp@x", 2_000_000) }, store.ItemImported, "text cut at 1 MiB"},
		{"big@x", func() []byte { return bigRaw }, store.ItemImported, "message of 200 MiB: only its first 25 MiB fetched"},
	}
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		a := f.addAccount("user1")
		good, goodIDs := customerMails("ok", 2)
		raws := [][]byte{good[0]}
		for _, tt := range tests {
			raws = append(raws, tt.raw())
		}
		f.deliver("user1", "INBOX", append(raws, good[1])...)

		f.sync("user1")
		f.wantCounts("user1", store.Counts{Listed: 9, Imported: 8, Failed: 1})
		for _, id := range goodIDs {
			if d := decisions(t, f, id); d.Status != store.ItemImported || d.Rule != "" {
				t.Errorf("%s after hostile mail: %s (%s)", id, d.Status, d.Rule)
			}
		}
		for _, tt := range tests {
			d := decisions(t, f, tt.id)
			if d.Status != tt.decision || d.Rule != "limit" || !strings.Contains(d.Detail, tt.detail) {
				t.Errorf("%s: %s, rule %q, detail %q; want %s, limit, %q", tt.id, d.Status, d.Rule, d.Detail, tt.decision, tt.detail)
			}
		}
		if n := f.count(`SELECT size FROM messages WHERE message_key = 'big@x'`); n != len(bigRaw) {
			t.Errorf("the 200 MB message is stored with size %d", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM participants p JOIN messages m ON m.id = p.message_id
			WHERE m.message_key = 'recipients@x'`); n != 1000 {
			t.Errorf("%d participants kept of 100,001", n)
		}

		// The next sync changes nothing; reconciliation agrees.
		f.sync("user1")
		f.wantCounts("user1", store.Counts{Listed: 9, Imported: 8, Failed: 1})
		rep, err := reconcile.Reconciler{Syncer: f.syncer}.Check(f.ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK {
			t.Errorf("reconcile after hostile mail: %+v", rep)
		}
	})
}

// decisions returns the decision recorded for a message of user1's INBOX.
func decisions(t *testing.T, f *fixture, key string) *store.Decision {
	t.Helper()
	ds, err := f.st.Decisions(f.ctx, f.accounts["user1"].ID, key)
	if err != nil || len(ds) != 1 {
		t.Fatalf("decisions of %s: %v, %v", key, ds, err)
	}
	return ds[0]
}

// BenchmarkHostileImport imports, into SQLite, a folder of the hostile
// mail above plus a 200 MB message, and reports the import's peak RSS
// (VmHWM, reset once the corpus is delivered and freed) and the bytes
// allocated per import. Run it with -benchtime=1x: each import is a new
// mailbox.
func BenchmarkHostileImport(b *testing.B) {
	dove := dovecottest.Start(b, dovecottest.Options{})
	raws := [][]byte{
		mailgen.HugeHeader("header@x", 10_000_000), mailgen.ManyRecipients("recipients@x", 100_000),
		mailgen.NestedMultipart("nested@x", 50), mailgen.Base64Text("base64@x", 20_000_000),
		mailgen.Base64HTML("html@x", 16_000_000), mailgen.QPOneLine("qp@x", 7_000_000),
		mailgen.LargeAttachment("big@x", 200<<20),
	}
	if err := dove.Append(context.Background(), "user1", "INBOX", raws...); err != nil {
		b.Fatal(err)
	}
	raws = nil
	db := dbtest.Open(b, database.SQLite)
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skipf("cannot reset the peak RSS: %v", err)
	}
	base := procStatusMiB(b, "VmRSS")
	b.ReportAllocs()
	for b.Loop() {
		mb := ingesttest.New(b, db, dove)
		if err := mb.Syncer.SyncAccount(context.Background(), mb.Account.ID); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(base, "start-RSS-MiB")
	b.ReportMetric(procStatusMiB(b, "VmHWM"), "peak-RSS-MiB")
}

// procStatusMiB reads a memory figure of /proc/self/status, in MiB.
func procStatusMiB(b *testing.B, field string) float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}
