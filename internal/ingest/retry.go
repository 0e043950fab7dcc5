package ingest

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"time"

	"github.com/mailsync/mailsync/internal/store"
)

// maxTxAttempts bounds how often a batch is tried when it collides with
// another mailbox's import.
const maxTxAttempts = 6

// retry runs fn in a transaction, again when it failed only because
// another import ran at the same time (SPEC §5.3: concurrent imports of
// mailboxes sharing messages and correspondents). Each new attempt sees
// what the other committed: the message it stored, the person it created.
// fn must be safe to run more than once.
func (r *run) retry(ctx context.Context, fn func(tx *sql.Tx) error) error {
	wait := 20 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := r.s.Store.Tx(ctx, fn)
		if err == nil || attempt == maxTxAttempts || !store.IsRetryable(err) {
			return err
		}
		r.s.log().Debug("batch collided with another import; retrying", "account", r.account.ID, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait + rand.N(wait)):
		}
		wait *= 2
	}
}
