package database

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/mailsync/mailsync/internal/fulltext"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// Migrations are plain SQL files, applied in name order, each once. The
// same files run on SQLite and PostgreSQL: they use only types and syntax
// both accept (TEXT ids, BIGINT unix milliseconds, BOOLEAN, ON CONFLICT).
// Where the engines cannot share a schema (full-text search: FTS5 tables,
// tsvector columns), a migration is two files, NAME.sqlite.sql and
// NAME.postgres.sql, and each engine applies its own.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// goSteps are migration steps written in Go, run in the transaction of
// the migration of the same prefix, after its SQL: a backfill that needs
// what only Go computes (the words package fulltext cuts).
var goSteps = map[string]func(context.Context, *sql.Tx, Kind) error{
	"0013_search": func(ctx context.Context, tx *sql.Tx, kind Kind) error {
		return fulltext.Backfill(ctx, tx, kind == SQLite)
	},
}

// migrationNames lists the migration files kind applies, in order.
func migrationNames(kind Kind) ([]string, error) {
	all, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, name := range all {
		base := strings.TrimSuffix(name, ".sql")
		if other := strings.TrimPrefix(path.Ext(base), "."); (other == string(SQLite) || other == string(Postgres)) && other != string(kind) {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// goStep returns the Go step of a migration file, nil when it has none.
func goStep(name string) func(context.Context, *sql.Tx, Kind) error {
	base, _, _ := strings.Cut(path.Base(name), ".")
	return goSteps[base]
}

// Migrate brings mailsync's schema and the job queue's schema up to date.
func Migrate(ctx context.Context, db *DB) error {
	if err := migrateOwn(ctx, db); err != nil {
		return err
	}
	return migrateQueue(ctx, db)
}

// CheckCurrent reports an error unless every migration this binary
// carries has been applied: a process started by an older binary, or a
// database migrated by none, is not ready.
func CheckCurrent(ctx context.Context, db *DB) error {
	names, err := migrationNames(db.Kind)
	if err != nil {
		return err
	}
	for _, name := range names {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil {
			return fmt.Errorf("read applied migrations: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("migration %s not applied: run mailsync migrate", name)
		}
	}
	return nil
}

func migrateOwn(ctx context.Context, db *DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := migrationNames(db.Kind)
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := applyMigration(ctx, db, name); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *DB, name string) error {
	body, err := migrationFiles.ReadFile(name)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	defer tx.Rollback()
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = $1`, name).Scan(&done); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if done > 0 {
		return nil
	}
	for _, stmt := range splitStatements(string(body)) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migration %s: %w\n%s", name, err, stmt)
		}
	}
	if step := goStep(name); step != nil {
		if err := step(ctx, tx, db.Kind); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`,
		name, time.Now().UnixMilli()); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	return tx.Commit()
}

// splitStatements splits a migration on semicolons at line ends, except
// inside a trigger's body (CREATE TRIGGER … BEGIN … END;), the only
// procedural code the migrations contain.
func splitStatements(body string) []string {
	var out []string
	var parts []string
	trigger := ""
	for _, part := range strings.Split(body, ";\n") {
		if trigger != "" {
			trigger += ";\n" + part
			if strings.HasSuffix(strings.TrimSpace(part), "END") {
				parts, trigger = append(parts, trigger), ""
			}
			continue
		}
		if strings.Contains(part, "CREATE TRIGGER") {
			trigger = part
			continue
		}
		parts = append(parts, part)
	}
	for _, part := range parts {
		var lines []string
		for _, line := range strings.Split(part, "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
				lines = append(lines, line)
			}
		}
		if stmt := strings.TrimSpace(strings.Join(lines, "\n")); stmt != "" {
			out = append(out, strings.TrimSuffix(stmt, ";"))
		}
	}
	return out
}

func migrateQueue(ctx context.Context, db *DB) error {
	var err error
	if db.Kind == Postgres {
		migrator, merr := rivermigrate.New(riverpgxv5.New(db.Pool), nil)
		if merr != nil {
			return fmt.Errorf("job queue migrations: %w", merr)
		}
		_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	} else {
		migrator, merr := rivermigrate.New(riversqlite.New(db.DB), nil)
		if merr != nil {
			return fmt.Errorf("job queue migrations: %w", merr)
		}
		_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	return nil
}

// Tx runs fn in a transaction, committing when it returns nil.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
