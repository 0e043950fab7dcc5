// Package database opens mailsync's database (SQLite by default, PostgreSQL
// for production) and keeps its schema current. It knows connections and
// migrations; the queries themselves live in package store.
package database

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Kind names a database engine.
type Kind string

const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// DefaultDSN is used when neither --db nor MAILSYNC_DB is given.
const DefaultDSN = "sqlite:mailsync.db"

// DB is an open database: a database/sql handle for mailsync's own
// queries, and for PostgreSQL the pgx pool it shares with the job queue.
type DB struct {
	*sql.DB
	Kind Kind
	// Path is the SQLite file ("" for PostgreSQL).
	Path string
	// Pool is the pgx pool behind DB on PostgreSQL (nil on SQLite).
	Pool *pgxpool.Pool
}

// ParseDSN tells which engine a DSN names: "postgres://…" or
// "postgresql://…" is PostgreSQL; "sqlite:PATH" or a bare path is SQLite.
func ParseDSN(dsn string) (Kind, string, error) {
	switch {
	case dsn == "":
		return "", "", fmt.Errorf("empty database DSN: use sqlite:PATH or postgres://USER@HOST/DB")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			return "", "", fmt.Errorf("database DSN %q has no file path", dsn)
		}
		return SQLite, path, nil
	case strings.Contains(dsn, "://"):
		return "", "", fmt.Errorf("unsupported database DSN %q: use sqlite:PATH or postgres://…", dsn)
	default:
		return SQLite, dsn, nil
	}
}

// Open connects to the database named by dsn and migrates its schema.
func Open(ctx context.Context, dsn string) (*DB, error) {
	db, err := OpenNoMigrate(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenNoMigrate connects without touching the schema.
func OpenNoMigrate(ctx context.Context, dsn string) (*DB, error) {
	kind, target, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if kind == Postgres {
		return openPostgres(ctx, target)
	}
	return openSQLite(ctx, target)
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse PostgreSQL DSN: %w", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	// mailsync's queries are short index lookups; JIT compilation (on by
	// default from PostgreSQL 12) cost 30-60 ms on an Emails tab whose
	// estimated cost crossed jit_above_cost, for a query of 100 ms. A DSN
	// that sets jit keeps its choice.
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s: %w", cfg.ConnConfig.Host, err)
	}
	return &DB{DB: stdlib.OpenDBFromPool(pool), Kind: Postgres, Pool: pool}, nil
}

// openSQLite opens the file in WAL mode with a busy timeout and a single
// connection: SQLite has one writer at a time, and River advises one
// connection so that the queue and mailsync never wait on each other's locks.
func openSQLite(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// A 64 MiB page cache: an import touches the same index pages over
	// and over, and read syscalls were a sixth of its CPU time with
	// SQLite's 2 MiB default.
	q.Add("_pragma", "cache_size(-65536)")
	q.Set("_txlock", "immediate")
	registerSQLiteDriver()
	sqlDB, err := sql.Open(sqliteDriverName, "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open SQLite %s: %w", path, err)
	}
	sqlDB.SetMaxOpenConns(1)
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open SQLite %s: %w", path, err)
	}
	return &DB{DB: sqlDB, Kind: SQLite, Path: path}, nil
}

// Close closes the handle and, on PostgreSQL, the pool.
func (db *DB) Close() error {
	err := db.DB.Close()
	if db.Pool != nil {
		db.Pool.Close()
	}
	return err
}
