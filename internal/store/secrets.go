package store

import (
	"context"
	"database/sql"
	"fmt"
)

// sealedColumns lists every column holding values sealed with the secret
// key (package secrets), in tables keyed by id: Reseal re-seals them all.
// A feature that stores a new kind of secret adds its column here.
var sealedColumns = []struct{ table, column string }{
	{"connected_accounts", "secret"},
}

// Reseal replaces every sealed value stored with reseal(value), in one
// transaction: either every secret moves to the new key or none does.
// It returns how many values were rewritten.
func (s *Store) Reseal(ctx context.Context, reseal func(sealed string) (string, error)) (int, error) {
	n := 0
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		for _, c := range sealedColumns {
			done, err := resealColumn(ctx, tx, c.table, c.column, reseal)
			if err != nil {
				return err
			}
			n += done
		}
		return nil
	})
	return n, err
}

func resealColumn(ctx context.Context, tx *sql.Tx, table, column string, reseal func(string) (string, error)) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, `+column+` FROM `+table+` WHERE `+column+` <> ''`)
	if err != nil {
		return 0, fmt.Errorf("read %s.%s: %w", table, column, err)
	}
	type row struct{ id, value string }
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.value); err != nil {
			rows.Close()
			return 0, err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, r := range all {
		sealed, err := reseal(r.value)
		if err != nil {
			return 0, fmt.Errorf("%s %s: %w", table, r.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET `+column+` = $1 WHERE id = $2`, sealed, r.id); err != nil {
			return 0, fmt.Errorf("update %s %s: %w", table, r.id, err)
		}
	}
	return len(all), nil
}
