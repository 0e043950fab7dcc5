package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Webhook is a receiver of a workspace's events and where its delivery stands.
type Webhook struct {
	ID             string     `json:"id"`
	WorkspaceID    string     `json:"-"`
	MemberID       string     `json:"-"`
	URL            string     `json:"url"`
	Types          []string   `json:"types"` // empty: every type
	SecretEnc      string     `json:"-"`
	DeliveredSeq   int64      `json:"-"`
	DeliveredUpTo  string     `json:"deliveredUpTo"` // the last event id delivered or passed over
	Status         string     `json:"status"`        // active | failing | disabled
	Attempts       int        `json:"attempts"`
	FailingSince   *time.Time `json:"failingSince"`
	NextAttempt    *time.Time `json:"nextAttempt"`
	LastError      string     `json:"lastError"`
	DisabledReason string     `json:"disabledReason"`
	CreatedAt      time.Time  `json:"createdAt"`
}

// Wants reports whether the webhook receives events of type t.
func (w *Webhook) Wants(t string) bool {
	if len(w.Types) == 0 {
		return true
	}
	for _, x := range w.Types {
		if x == t {
			return true
		}
	}
	return false
}

// AddWebhook registers a receiver. It starts after the feed's current end:
// a new webhook receives what happens from now on.
func (s *Store) AddWebhook(ctx context.Context, workspaceID, memberID, url string, types []string, secretEnc string) (*Webhook, error) {
	id := NewID()
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		var last int64
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events WHERE workspace_id = $1`, workspaceID).Scan(&last)
		if err != nil {
			return fmt.Errorf("read the feed's end: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO webhooks (id, workspace_id, member_id, url, types, secret, delivered_seq, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, workspaceID, memberID, url, strings.Join(types, "\n"), secretEnc, last, now())
		if err != nil {
			return fmt.Errorf("add webhook: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Webhook(ctx, workspaceID, id)
}

const webhookSelect = `SELECT id, workspace_id, member_id, url, types, secret, delivered_seq, failing_since,
	attempts, next_attempt, last_error, disabled, disabled_reason, created_at FROM webhooks`

func scanWebhook(row interface{ Scan(...any) error }) (*Webhook, error) {
	var w Webhook
	var types string
	var failing, next, created int64
	var disabled bool
	if err := row.Scan(&w.ID, &w.WorkspaceID, &w.MemberID, &w.URL, &types, &w.SecretEnc, &w.DeliveredSeq, &failing,
		&w.Attempts, &next, &w.LastError, &disabled, &w.DisabledReason, &created); err != nil {
		return nil, err
	}
	w.Types = []string{}
	if types != "" {
		w.Types = strings.Split(types, "\n")
	}
	w.DeliveredUpTo = fmt.Sprint(w.DeliveredSeq)
	w.CreatedAt = FromMillis(created)
	w.Status = "active"
	if failing != 0 {
		t := FromMillis(failing)
		w.FailingSince, w.Status = &t, "failing"
	}
	if next != 0 && w.Attempts > 0 {
		t := FromMillis(next)
		w.NextAttempt = &t
	}
	if disabled {
		w.Status = "disabled"
	}
	return &w, nil
}

// Webhooks lists a workspace's webhooks, oldest first.
func (s *Store) Webhooks(ctx context.Context, workspaceID string) ([]*Webhook, error) {
	return queryAll(ctx, s.DB, "list webhooks", scanWebhook, webhookSelect+` WHERE workspace_id = $1 ORDER BY created_at, id`, workspaceID)
}

// Webhook returns one webhook of the workspace.
func (s *Store) Webhook(ctx context.Context, workspaceID, id string) (*Webhook, error) {
	w, err := scanWebhook(s.DB.QueryRowContext(ctx, webhookSelect+` WHERE workspace_id = $1 AND id = $2`, workspaceID, id))
	if err != nil {
		return nil, notFound(err, "webhook "+id)
	}
	return w, nil
}

// DeleteWebhook removes a webhook; deliveries stop.
func (s *Store) DeleteWebhook(ctx context.Context, workspaceID, id string) error {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM webhooks WHERE workspace_id = $1 AND id = $2`, workspaceID, id)
	if err != nil {
		return fmt.Errorf("remove webhook: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("webhook %s: %w", id, ErrNotFound)
	}
	return nil
}

// DueWebhooks lists the enabled webhooks whose next attempt is due and
// whose lease is free, across workspaces.
func (s *Store) DueWebhooks(ctx context.Context, at time.Time) ([]*Webhook, error) {
	return queryAll(ctx, s.DB, "due webhooks", scanWebhook, webhookSelect+`
		WHERE NOT disabled AND next_attempt <= $1 AND lease_until < $1 ORDER BY id`, Millis(at))
}

// LeaseWebhook takes a webhook's delivery for owner until the given time,
// unless another process holds it: one deliverer at a time keeps the order.
func (s *Store) LeaseWebhook(ctx context.Context, id, owner string, until time.Time) (bool, error) {
	res, err := s.DB.ExecContext(ctx, `UPDATE webhooks SET lease_owner = $1, lease_until = $2
		WHERE id = $3 AND (lease_owner = $1 OR lease_until < $4)`, owner, Millis(until), id, now())
	if err != nil {
		return false, fmt.Errorf("lease webhook: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleaseWebhook gives the lease back.
func (s *Store) ReleaseWebhook(ctx context.Context, id, owner string) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE webhooks SET lease_until = 0 WHERE id = $1 AND lease_owner = $2`, id, owner)
	return err
}

// WebhookDelivered moves a webhook's cursor past seq and clears failures.
func (s *Store) WebhookDelivered(ctx context.Context, id string, seq int64) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE webhooks SET delivered_seq = $1, attempts = 0, failing_since = 0,
		next_attempt = 0, last_error = '' WHERE id = $2 AND delivered_seq < $1`, seq, id)
	if err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	return nil
}

// WebhookFailed records a failed attempt and when to try again; with a
// disable reason, the webhook stops until it is added again.
func (s *Store) WebhookFailed(ctx context.Context, id, lastError string, failingSince, next time.Time, disableReason string) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE webhooks SET attempts = attempts + 1, failing_since = $1, next_attempt = $2,
		last_error = $3, disabled = $4, disabled_reason = $5 WHERE id = $6`,
		Millis(failingSince), Millis(next), lastError, disableReason != "", disableReason, id)
	if err != nil {
		return fmt.Errorf("record failed delivery: %w", err)
	}
	return nil
}
