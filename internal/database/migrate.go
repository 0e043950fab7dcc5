package database

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// Migrations are plain SQL files, applied in name order, each once. The
// same files run on SQLite and PostgreSQL: they use only types and syntax
// both accept (TEXT ids, BIGINT unix milliseconds, BOOLEAN, ON CONFLICT).
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

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
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
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
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
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
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`,
		name, time.Now().UnixMilli()); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	return tx.Commit()
}

// splitStatements splits a migration on semicolons at line ends; the
// migrations contain no procedural code, so this is all they need.
func splitStatements(body string) []string {
	var out []string
	for _, part := range strings.Split(body, ";\n") {
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
