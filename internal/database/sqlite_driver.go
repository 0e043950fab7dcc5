package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strconv"
	"sync"
)

// mailsync writes its queries once, with PostgreSQL's $N placeholders,
// for both engines. SQLite accepts $N, but as *named* parameters: it
// looks each one up by name, linearly, when preparing and again when
// binding, which makes a multi-row INSERT with a few thousand parameters
// quadratic (a third of an import's CPU time, measured). This driver
// wraps modernc's and rewrites $N into plain positional "?" — reordering
// and repeating the arguments to match — so SQLite binds in linear time.
// Queries without $N (River's) pass through untouched.

const sqliteDriverName = "sqlite-mailsync"

var registerOnce sync.Once

func registerSQLiteDriver() {
	registerOnce.Do(func() {
		db, _ := sql.Open("sqlite", "")
		sql.Register(sqliteDriverName, rebindDriver{db.Driver()})
		db.Close()
	})
}

type rebindDriver struct{ driver.Driver }

func (d rebindDriver) Open(name string) (driver.Conn, error) {
	c, err := d.Driver.Open(name)
	if err != nil {
		return nil, err
	}
	return rebindConn{c}, nil
}

// rebindConn forwards everything to modernc's connection, rewriting
// queries on the way.
type rebindConn struct{ driver.Conn }

func (c rebindConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c rebindConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	q, order := rebind(query)
	s, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return rebindStmt{s, order}, nil
}

func (c rebindConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	q, order := rebind(query)
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, q, reorder(args, order))
}

func (c rebindConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, order := rebind(query)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, q, reorder(args, order))
}

func (c rebindConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

func (c rebindConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c rebindConn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }

type rebindStmt struct {
	driver.Stmt
	order []int
}

// NumInput is unknown to database/sql: the rewritten statement may take
// more arguments than the caller passes (a repeated $1).
func (s rebindStmt) NumInput() int { return -1 }

func (s rebindStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, reorder(args, s.order))
}

func (s rebindStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, reorder(args, s.order))
}

// rebind replaces each $N outside string literals and quoted identifiers
// with "?" and returns, for each "?", the N it stood for. order is nil
// when the query has no $N.
func rebind(query string) (string, []int) {
	var out []byte
	var order []int
	for i := 0; i < len(query); i++ {
		ch := query[i]
		switch {
		case ch == '\'' || ch == '"':
			j := i + 1
			for j < len(query) && query[j] != ch {
				j++
			}
			if out != nil {
				out = append(out, query[i:min(j+1, len(query))]...)
			}
			i = j
			continue
		case ch == '$' && i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(query[i+1 : j])
			if out == nil {
				out = append(make([]byte, 0, len(query)), query[:i]...)
			}
			out = append(out, '?')
			order = append(order, n)
			i = j - 1
			continue
		}
		if out != nil {
			out = append(out, ch)
		}
	}
	if out == nil {
		return query, nil
	}
	return string(out), order
}

// reorder lays the arguments out in placeholder order: args[order[k]-1]
// becomes argument k+1.
func reorder(args []driver.NamedValue, order []int) []driver.NamedValue {
	if order == nil {
		return args
	}
	out := make([]driver.NamedValue, len(order))
	for k, n := range order {
		if n >= 1 && n <= len(args) {
			out[k] = args[n-1]
		}
		out[k].Ordinal = k + 1
	}
	return out
}
