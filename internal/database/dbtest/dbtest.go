// Package dbtest gives tests a fresh, migrated database on each engine
// mailsync supports, so one test body runs against SQLite and PostgreSQL
// alike (the way River's driver test suite keeps its drivers from drifting).
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mailsync/mailsync/internal/database"
)

// PostgresAdminDSN is where tests create their throwaway databases.
// MAILSYNC_TEST_POSTGRES overrides it.
func PostgresAdminDSN() string {
	if dsn := os.Getenv("MAILSYNC_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Each runs fn as a subtest once per engine, each with its own new database.
func Each(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	for _, kind := range []database.Kind{database.SQLite, database.Postgres} {
		t.Run(string(kind), func(t *testing.T) {
			fn(t, Open(t, kind))
		})
	}
}

// Open returns a fresh migrated database of the given kind, removed when
// the test ends.
func Open(t testing.TB, kind database.Kind) *database.DB {
	t.Helper()
	dsn := NewDSN(t, kind)
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", kind, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewDSN creates an empty database of the given kind and returns its DSN;
// the database is dropped when the test ends. A PostgreSQL server that
// cannot be reached fails the test under CI and skips it elsewhere.
func NewDSN(t testing.TB, kind database.Kind) string {
	t.Helper()
	if kind == database.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "mailsync.db")
	}
	dsn, drop, err := CreatePostgres(context.Background())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI: %v", err)
		}
		t.Skipf("PostgreSQL not available (%v); start it or set MAILSYNC_TEST_POSTGRES", err)
	}
	t.Cleanup(drop)
	return dsn
}

// CreatePostgres makes a new empty database on the test server and returns
// its DSN and a function that drops it.
func CreatePostgres(ctx context.Context) (string, func(), error) {
	admin := PostgresAdminDSN()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("connect %s: %w", admin, err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	name := "mailsync_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		return "", nil, err
	}
	dsn := replaceDatabase(admin, cfg.Database, name)
	drop := func() {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	return dsn, drop, nil
}

func replaceDatabase(dsn, oldName, newName string) string {
	if i := strings.Index(dsn, "/"+oldName+"?"); i >= 0 {
		return dsn[:i] + "/" + newName + dsn[i+len(oldName)+1:]
	}
	if strings.HasSuffix(dsn, "/"+oldName) {
		return strings.TrimSuffix(dsn, oldName) + newName
	}
	return dsn + " dbname=" + newName
}
