package database_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
)

func TestParseDSN(t *testing.T) {
	tests := []struct {
		dsn    string
		kind   database.Kind
		target string
		bad    bool
	}{
		{dsn: "sqlite:mailsync.db", kind: database.SQLite, target: "mailsync.db"},
		{dsn: "/var/lib/mailsync/m.db", kind: database.SQLite, target: "/var/lib/mailsync/m.db"},
		{dsn: "postgres://u@h/db", kind: database.Postgres, target: "postgres://u@h/db"},
		{dsn: "postgresql://u@h/db", kind: database.Postgres, target: "postgresql://u@h/db"},
		{dsn: "mysql://u@h/db", bad: true},
		{dsn: "sqlite:", bad: true},
		{dsn: "", bad: true},
	}
	for _, tt := range tests {
		kind, target, err := database.ParseDSN(tt.dsn)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseDSN(%q) = nil error, want one", tt.dsn)
			}
			continue
		}
		if err != nil || kind != tt.kind || target != tt.target {
			t.Errorf("ParseDSN(%q) = %q, %q, %v; want %q, %q", tt.dsn, kind, target, err, tt.kind, tt.target)
		}
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		if err := database.Migrate(ctx, db); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		// A file named for an engine (NAME.sqlite.sql) runs on that one only.
		files, _ := filepath.Glob("migrations/*.sql")
		other, _ := filepath.Glob("migrations/*." + string(map[database.Kind]database.Kind{
			database.SQLite: database.Postgres, database.Postgres: database.SQLite}[db.Kind]) + ".sql")
		if n != len(files)-len(other) || n == 0 || len(other) == 0 {
			t.Fatalf("schema_migrations has %d rows, want one per migration file of %s (%d)", n, db.Kind, len(files)-len(other))
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)`, "w1", "default", 1); err != nil {
			t.Fatalf("insert into migrated schema: %v", err)
		}
	})
}
