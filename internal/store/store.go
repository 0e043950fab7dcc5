// Package store holds mailsync's SQL: one file per entity, plain queries
// that run unchanged on SQLite and PostgreSQL. It decides nothing about
// policy or visibility; it stores and returns what its callers ask for.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mailsync/mailsync/internal/database"
)

// ErrNotFound is returned when a row does not exist (or belongs to another
// workspace: callers cannot tell the two apart, by design).
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a unique value is already taken.
var ErrConflict = errors.New("already exists")

// Store runs mailsync's queries.
type Store struct {
	DB *database.DB
}

// New returns a Store over an open database.
func New(db *database.DB) *Store { return &Store{DB: db} }

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// NewID returns a new id: 48 bits of milliseconds then 80 random bits,
// in hex (the layout of a UUIDv7). Ids made close in time sort close
// together, so the primary-key indexes of a busy import grow at their end
// instead of splitting pages all over the tree.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[6:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	ms := uint64(time.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	return hex.EncodeToString(b[:])
}

// NewSecret returns 256 random bits in hex, for tokens a client presents
// (API tokens, session cookies, CSRF tokens): unlike ids, nothing in it
// is guessable.
func NewSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b[:])
}

// Millis converts a time to the stored form.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// FromMillis converts a stored time back (UTC).
func FromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func now() int64 { return time.Now().UnixMilli() }

// placeholders returns "$start, $start+1, …" for n arguments.
func placeholders(start, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", start+i)
	}
	return b.String()
}

// anys converts strings to query arguments.
func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// chunks splits ss into slices of at most n, for IN lists that stay far
// below both engines' parameter limits.
func chunks(ss []string, n int) [][]string {
	var out [][]string
	for len(ss) > n {
		out = append(out, ss[:n])
		ss = ss[n:]
	}
	if len(ss) > 0 {
		out = append(out, ss)
	}
	return out
}

// isUniqueViolation reports whether err is a unique-constraint failure on
// either engine.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || // SQLite
		strings.Contains(s, "SQLSTATE 23505") || // PostgreSQL
		strings.Contains(s, "duplicate key value")
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, what string, scan func(interface{ Scan(...any) error }) (T, error),
	query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryStrings runs a query returning one text column and collects it.
func queryStrings(ctx context.Context, q querier, what, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Tx runs fn in one transaction. The events fn records are written last,
// just before commit, in the same transaction.
func (s *Store) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		ev := &txEvents{postgres: s.DB.Kind == database.Postgres}
		open.Store(tx, ev)
		defer open.Delete(tx)
		if err := fn(tx); err != nil {
			return err
		}
		return ev.flush(ctx, tx)
	})
}

// Begin starts a transaction for a caller that interleaves several (tests
// of concurrent imports); Commit ends it. Like Tx, its events are written
// at commit.
func (s *Store) Begin(ctx context.Context) (*sql.Tx, error) {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	open.Store(tx, &txEvents{postgres: s.DB.Kind == database.Postgres})
	return tx, nil
}

// Commit writes a transaction's events and commits it.
func Commit(ctx context.Context, tx *sql.Tx) error {
	v, ok := open.LoadAndDelete(tx)
	if ok {
		if err := v.(*txEvents).flush(ctx, tx); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
