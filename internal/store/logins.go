package store

import (
	"context"
	"fmt"
	"time"
)

// Kinds of login failure keys.
const (
	LoginKeyEmail = "email"
	LoginKeyIP    = "ip"
)

// RecordLoginFailure stores a failed login at t for each key (kind → key;
// an empty key is skipped) and forgets failures older than window.
func (s *Store) RecordLoginFailure(ctx context.Context, keys map[string]string, t time.Time, window time.Duration) error {
	at := t.UnixMilli()
	for kind, key := range keys {
		if key == "" {
			continue
		}
		if _, err := s.DB.ExecContext(ctx, `INSERT INTO login_failures (kind, key, at) VALUES ($1, $2, $3)`, kind, key, at); err != nil {
			return fmt.Errorf("record failed login: %w", err)
		}
	}
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM login_failures WHERE at <= $1`, at-window.Milliseconds()); err != nil {
		return fmt.Errorf("forget old failed logins: %w", err)
	}
	return nil
}

// LoginFailures returns the times of the failed logins of a key after
// since, newest first, at most limit of them.
func (s *Store) LoginFailures(ctx context.Context, kind, key string, since time.Time, limit int) ([]time.Time, error) {
	ms, err := queryAll(ctx, s.DB, "read failed logins", func(sc interface{ Scan(...any) error }) (int64, error) {
		var at int64
		return at, sc.Scan(&at)
	}, `SELECT at FROM login_failures WHERE kind = $1 AND key = $2 AND at > $3 ORDER BY at DESC LIMIT $4`,
		kind, key, since.UnixMilli(), limit)
	if err != nil {
		return nil, err
	}
	times := make([]time.Time, len(ms))
	for i, at := range ms {
		times[i] = FromMillis(at)
	}
	return times, nil
}

// ClearLoginFailures forgets the failures of a key (a successful login).
func (s *Store) ClearLoginFailures(ctx context.Context, kind, key string) error {
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM login_failures WHERE kind = $1 AND key = $2`, kind, key); err != nil {
		return fmt.Errorf("clear failed logins: %w", err)
	}
	return nil
}
