package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrLeaseLost means another process took the mailbox's sync lease: the
// process that lost it must stop writing for that mailbox.
var ErrLeaseLost = errors.New("the mailbox's sync lease was taken by another process")

// FenceLease renews owner's lease inside a batch's transaction and fails
// with ErrLeaseLost when owner no longer holds it. A process that was
// paused or cut from the database past its lease (and whose mailbox a
// survivor took over) thus cannot commit a batch: the cursor and the
// items move under one owner at a time.
func FenceLease(ctx context.Context, tx *sql.Tx, channelID, owner string, until time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE channels SET lease_until = $1 WHERE id = $2 AND lease_owner = $3`,
		until.UnixMilli(), channelID, owner)
	if err != nil {
		return fmt.Errorf("renew sync lease: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(ErrLeaseLost, err)
	}
	return nil
}

// Abandoned is a sync that stopped without anyone finishing it; Lease
// names the lease it left behind (owner@expiry), so that a replacement
// job can be told from the dead one.
type Abandoned struct {
	AccountID string
	Lease     string
}

// AbandonedSyncs lists the syncs that stopped without anyone finishing
// them: a lease that expired without being released (its process was
// killed, its machine is gone or cut from the database), or a first
// import marked importing that no live lease covers. Paused mailboxes and
// those waiting for new credentials are left out.
func (s *Store) AbandonedSyncs(ctx context.Context) ([]Abandoned, error) {
	return queryAll(ctx, s.DB, "abandoned syncs", func(r interface{ Scan(...any) error }) (Abandoned, error) {
		var a Abandoned
		var owner string
		var until int64
		err := r.Scan(&a.AccountID, &owner, &until)
		a.Lease = fmt.Sprintf("%s@%d", owner, until)
		return a, err
	}, `SELECT account_id, lease_owner, lease_until FROM channels
		WHERE NOT paused AND status <> $1 AND lease_until < $2
		AND (lease_owner <> '' OR status = $3) ORDER BY account_id`,
		StatusFailedAuth, now(), StatusImporting)
}

// shownStatus is the status a channel shows: importing only while a live
// lease says someone is importing it. A first import whose process went
// away shows not_synced until a survivor resumes it from its cursors.
func shownStatus(status string, paused bool, leaseUntil int64) string {
	switch {
	case paused:
		return StatusPaused
	case status == StatusImporting && leaseUntil < now():
		return StatusNotSynced
	}
	return status
}

// QueueDepth counts the job queue's jobs that are not finished, by state
// (available, scheduled, retryable, running, pending).
func (s *Store) QueueDepth(ctx context.Context) (map[string]int, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT state, COUNT(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'running', 'pending') GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count queued jobs: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count queued jobs: %w", err)
		}
		out[state] = n
	}
	return out, rows.Err()
}

// FreshnessLags returns, for every mailbox not paused, how long ago it was
// last caught up (its last sync that finished; for a mailbox never synced,
// since it was added).
func (s *Store) FreshnessLags(ctx context.Context) ([]time.Duration, error) {
	t := now()
	return queryAll(ctx, s.DB, "freshness", func(r interface{ Scan(...any) error }) (time.Duration, error) {
		var at int64
		err := r.Scan(&at)
		return time.Duration(t-at) * time.Millisecond, err
	}, `SELECT COALESCE(c.last_synced_at, a.created_at) FROM channels c
		JOIN connected_accounts a ON a.id = c.account_id WHERE NOT c.paused`)
}
