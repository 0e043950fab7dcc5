package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
)

// TestKillsRepeated is the harness in small, for CI: one import of 600
// messages killed three times at random points, then run to its end,
// must end as the uninterrupted import did, reconcile clean.
func TestKillsRepeated(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mailsync and imports 600 messages twice")
	}
	var out bytes.Buffer
	rounds, err := run(context.Background(), config{kills: 3, perRound: 3, n: 600, seed: 5, db: database.SQLite, batch: 10}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	kills := 0
	for _, r := range rounds {
		kills += len(r.killedAt)
	}
	if !allOK(rounds) || kills == 0 {
		t.Fatalf("%d kills; every round must end as the uninterrupted import", kills)
	}
}
