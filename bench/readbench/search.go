package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/store"
)

// searchQuery is one kind of mail search a user types, drawn at random
// for each request.
type searchQuery struct {
	name string
	q    func(rng *rand.Rand) string
}

// benchSearch times GET /api/v1/search: -requests requests in all, a
// quarter for each kind of query, each asked in turn by three members
// whose own mailboxes share everything, the subject and metadata (the
// generator's levels), so that every viewer sees some messages whole,
// some by subject and some by participants only.
func benchSearch(ctx context.Context, cfg config, kind database.Kind, db *database.DB, ws, base string, counter *statements, out io.Writer) error {
	queries, err := searchQueries(ctx, db, ws)
	if err != nil {
		return err
	}
	tokens, err := searchTokens(ctx, db, ws)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(cfg.shape.seed, 3))
	var all []time.Duration
	for _, sq := range queries {
		name := "search, " + sq.name
		if !strings.Contains(name, cfg.only) {
			continue
		}
		n, i := max(1, cfg.requests/len(queries)), 0
		var times []time.Duration
		var stmts int64
		for _, token := range tokens { // n requests in all, the viewers in turn
			share := n/len(tokens) + btoi(i < n%len(tokens))
			i++
			ts, st, err := measure(ctx, base, token, share, func() string {
				return "/api/v1/search?q=" + url.QueryEscape(sq.q(rng))
			}, counter)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			times, stmts = append(times, ts...), stmts+st
		}
		all = append(all, times...)
		perReq := "-"
		if kind == database.Postgres {
			perReq = fmt.Sprintf("%.1f", float64(stmts)/float64(len(times)))
		}
		fmt.Fprintf(out, "%s\t%.1f\t%.1f\t%.1f\t%s\t\n", name, ms(pct(times, 50)), ms(pct(times, 95)), ms(pct(times, 100)), perReq)
	}
	if len(all) > 0 {
		fmt.Fprintf(out, "search, all of the above\t%.1f\t%.1f\t%.1f\t-\t\n", ms(pct(all, 50)), ms(pct(all, 95)), ms(pct(all, 100)))
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// searchTokens creates an API token for each of the first three members
// (member0, member1, member2: their mailboxes share everything, the
// subject and metadata).
func searchTokens(ctx context.Context, db *database.DB, ws string) ([]string, error) {
	st := store.New(db)
	var tokens []string
	for i := range 3 {
		m, err := st.MemberByEmail(ctx, ws, fmt.Sprintf("member%d@ourco.example", i))
		if err != nil {
			return nil, fmt.Errorf("search viewer: %w", err)
		}
		_, token, err := st.CreateToken(ctx, m.ID, "readbench search")
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, token)
	}
	return tokens, nil
}

// searchQueries draws realistic queries from the generated mail: a
// subject is "<topic> <n>", a body "Hello <first> <last>, about <topic>
// <n>: lorem ipsum …", participants are people "<first> <last>
// <first>.<last><i>@c<k>.example" and members.
func searchQueries(ctx context.Context, db *database.DB, ws string) ([]searchQuery, error) {
	subjects, err := column(ctx, db, `SELECT subject FROM threads WHERE workspace_id = $1 LIMIT 2000`, ws)
	if err != nil {
		return nil, err
	}
	emails, err := column(ctx, db, `SELECT email FROM person_emails WHERE workspace_id = $1 LIMIT 2000`, ws)
	if err != nil {
		return nil, err
	}
	if len(subjects) == 0 || len(emails) == 0 {
		return nil, fmt.Errorf("search queries: no threads or people")
	}
	pick := func(rng *rand.Rand, s []string) string { return s[rng.IntN(len(s))] }
	return []searchQuery{
		// Every body holds lorem; a tenth of the threads are about renewals.
		{"a common word", func(rng *rand.Rand) string { return pick(rng, []string{"lorem", "renewal", "pricing", "quote"}) }},
		// A thread's number: one thread's subject and bodies.
		{"a rare word", func(rng *rand.Rand) string {
			f := strings.Fields(pick(rng, subjects))
			return f[len(f)-1]
		}},
		// A topic and a last name, as in "pricing tanaka".
		{"two words", func(rng *rand.Rand) string {
			topic := strings.Fields(pick(rng, subjects))[0]
			return topic + " " + pick(rng, lastNames)
		}},
		// Someone's name and address, as copied from a message.
		{"a participant", func(rng *rand.Rand) string {
			e := pick(rng, emails)
			local, _, _ := strings.Cut(e, "@")
			first, last, _ := strings.Cut(local, ".")
			return first + " " + strings.TrimRight(last, "0123456789") + " " + e
		}},
	}, nil
}
