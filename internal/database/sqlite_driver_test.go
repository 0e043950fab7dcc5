package database

import (
	"context"
	"path/filepath"
	"testing"
)

func TestRebind(t *testing.T) {
	tests := []struct {
		in, want string
		order    []int
	}{
		{"SELECT 1", "SELECT 1", nil},
		{"SELECT a FROM t WHERE x = ? AND y = ?", "SELECT a FROM t WHERE x = ? AND y = ?", nil},
		{"SELECT $2, $1", "SELECT ?, ?", []int{2, 1}},
		{"UPDATE t SET a = (SELECT $1), b = $1 WHERE c = $12", "UPDATE t SET a = (SELECT ?), b = ? WHERE c = ?", []int{1, 1, 12}},
		{"SELECT json_extract(x, '$.a'), $1 FROM \"t$1\"", "SELECT json_extract(x, '$.a'), ? FROM \"t$1\"", []int{1}},
		{"SELECT 'it''s $1', $1", "SELECT 'it''s $1', ?", []int{1}},
	}
	for _, tt := range tests {
		got, order := rebind(tt.in)
		if got != tt.want || len(order) != len(tt.order) {
			t.Errorf("rebind(%q) = %q %v, want %q %v", tt.in, got, order, tt.want, tt.order)
			continue
		}
		for i := range order {
			if order[i] != tt.order[i] {
				t.Errorf("rebind(%q) order %v, want %v", tt.in, order, tt.order)
			}
		}
	}
}

func TestSQLiteBindsRepeatedAndReorderedPlaceholders(t *testing.T) {
	db, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var a, b, c string
	if err := db.QueryRow(`SELECT $2, $1, $2 || $1`, "x", "y").Scan(&a, &b, &c); err != nil {
		t.Fatal(err)
	}
	if a != "y" || b != "x" || c != "yx" {
		t.Fatalf("got %q %q %q", a, b, c)
	}
	stmt, err := db.Prepare(`SELECT $1 || '$1' || $1`)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	if err := stmt.QueryRow("z").Scan(&a); err != nil || a != "z$1z" {
		t.Fatalf("prepared: %q %v", a, err)
	}
}
