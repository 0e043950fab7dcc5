package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Event types of the feed (CONTRACT part 2, "Events and webhooks").
const (
	EventMessageCreated = "message.created"
	EventMessageDeleted = "message.deleted"
	EventThreadUpdated  = "thread.updated"
	EventPersonCreated  = "person.created"
	EventPersonUpdated  = "person.updated"
	EventPersonDeleted  = "person.deleted"
	EventCompanyCreated = "company.created"
	EventCompanyDeleted = "company.deleted"
	EventAccountStatus  = "account.status"
)

// EventTypes lists every type the feed carries.
var EventTypes = []string{EventMessageCreated, EventMessageDeleted, EventThreadUpdated,
	EventPersonCreated, EventPersonUpdated, EventPersonDeleted,
	EventCompanyCreated, EventCompanyDeleted, EventAccountStatus}

// Event is one entry of a workspace's feed. ID is its cursor: the decimal
// sequence number, which grows in commit order within the workspace.
type Event struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	OccurredAt time.Time       `json:"occurredAt"`
	Data       json.RawMessage `json:"data"`
	Seq        int64           `json:"-"`
}

// queued is an event recorded by a store function inside a transaction,
// written when the transaction is about to commit. A message.created or
// thread.updated event names only its id: its data is read at that point,
// when the batch has linked the message's people and counted the thread.
type queued struct {
	workspaceID, typ string
	data             map[string]any
	message, thread  string // resolved at flush
	at               int64
}

// txEvents are the events of one open transaction, and the number each
// workspace's first event got once written.
type txEvents struct {
	list  []queued
	first map[string]int64
	// postgres: the transaction runs on PostgreSQL (lockThreads).
	postgres bool
}

// open maps each transaction run by Store.Tx to its events.
var open sync.Map // *sql.Tx → *txEvents

// emit records an event in tx. Inside Store.Tx it is written just before
// commit (so the workspace's sequence lock is held as briefly as possible);
// in a transaction begun elsewhere it is written at once.
func emit(ctx context.Context, tx *sql.Tx, q queued) error {
	q.at = now()
	if v, ok := open.Load(tx); ok {
		ev := v.(*txEvents)
		ev.list = append(ev.list, q)
		return nil
	}
	return (&txEvents{list: []queued{q}}).flush(ctx, tx)
}

func emitData(ctx context.Context, tx *sql.Tx, workspaceID, typ string, data map[string]any) error {
	return emit(ctx, tx, queued{workspaceID: workspaceID, typ: typ, data: data})
}

// flush writes the transaction's events, workspace by workspace. Taking
// the workspace's counter row (UPDATE … RETURNING) locks it until commit:
// a concurrent transaction of the same workspace waits here, and gets the
// following numbers only once this one has committed or rolled back.
func (ev *txEvents) flush(ctx context.Context, tx *sql.Tx) error {
	if len(ev.list) == 0 {
		return nil
	}
	byWS := map[string][]queued{}
	var order []string
	for _, q := range ev.list {
		if byWS[q.workspaceID] == nil {
			order = append(order, q.workspaceID)
		}
		byWS[q.workspaceID] = append(byWS[q.workspaceID], q)
	}
	for _, ws := range order {
		rows, err := resolve(ctx, tx, ws, byWS[ws])
		if err != nil {
			return err
		}
		first, err := writeEvents(ctx, tx, ws, rows)
		if err != nil {
			return err
		}
		if ev.first == nil {
			ev.first = map[string]int64{}
		}
		if _, ok := ev.first[ws]; !ok && first > 0 {
			ev.first[ws] = first
		}
	}
	ev.list = nil
	return nil
}

// EventSeq returns the number of the workspace's last event, as tx sees
// it now (0 before the first).
func EventSeq(ctx context.Context, tx *sql.Tx, workspaceID string) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, `SELECT seq FROM event_counters WHERE workspace_id = $1`, workspaceID).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read event counter: %w", err)
	}
	return seq, nil
}

// FlushEvents writes the events a transaction of Store.Tx has queued so
// far, instead of at commit, and returns the number the workspace's first
// event of the transaction got (0 if it wrote none). It locks the
// workspace's counter row until commit: call it last.
//
// Every transaction that stores a message or gives an address an owner
// writes an event, so a transaction whose first event follows the number
// EventSeq read at its start ran alone: no other one committed a
// workspace's write in between (the ingest skips LinkUnlinked then).
func FlushEvents(ctx context.Context, tx *sql.Tx, workspaceID string) (int64, error) {
	v, ok := open.Load(tx)
	if !ok {
		return 0, errors.New("flush events: not a transaction of Store.Tx")
	}
	ev := v.(*txEvents)
	if err := ev.flush(ctx, tx); err != nil {
		return 0, err
	}
	return ev.first[workspaceID], nil
}

// holdEventCounter locks the workspace's event counter row until tx ends,
// creating it if need be, without numbering anything. A user's edit that
// gives an address an owner (AddPerson, AddPersonEmail) takes it before it
// links the address's participants, so that an import batch committing
// meanwhile cannot look as if it ran alone (see FlushEvents): either the
// batch numbered its events first, and the edit's link, waiting here until
// the batch commits, sees its participants; or the edit holds the row
// first, and the batch's first event does not follow the number it read,
// so the batch re-links after both committed. Import batches themselves
// do not need it: of two overlapping batches, the second re-links.
func holdEventCounter(ctx context.Context, tx *sql.Tx, workspaceID string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO event_counters (workspace_id, seq) VALUES ($1, 0)
		ON CONFLICT (workspace_id) DO UPDATE SET seq = event_counters.seq`, workspaceID); err != nil {
		return fmt.Errorf("lock event counter: %w", err)
	}
	return nil
}

// writeEvents numbers and inserts one workspace's events.
// It returns the first one's number (0 if there are none).
func writeEvents(ctx context.Context, tx *sql.Tx, workspaceID string, evs []queued) (int64, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO event_counters (workspace_id, seq) VALUES ($1, $2)
		ON CONFLICT (workspace_id) DO UPDATE SET seq = event_counters.seq + $2 RETURNING seq`,
		workspaceID, len(evs)).Scan(&last); err != nil {
		return 0, fmt.Errorf("number events: %w", err)
	}
	first := last - int64(len(evs)) + 1
	rows := make([][]any, len(evs))
	for i, q := range evs {
		data, err := json.Marshal(q.data)
		if err != nil {
			return 0, fmt.Errorf("encode %s event: %w", q.typ, err)
		}
		rows[i] = []any{workspaceID, first + int64(i), q.typ, q.at, string(data)}
	}
	return first, insertRows(ctx, tx, `INSERT INTO events (workspace_id, seq, type, occurred_at, data) VALUES `, "", rows)
}

// resolve fills in the data of message.created and thread.updated events
// from the rows as they stand at the end of the transaction; an event
// about a message or thread the same transaction removed again is dropped
// (for messages) or says messageCount 0 (for threads).
func resolve(ctx context.Context, tx *sql.Tx, workspaceID string, evs []queued) ([]queued, error) {
	var msgIDs, threadIDs []string
	for _, q := range evs {
		switch {
		case q.message != "":
			msgIDs = append(msgIDs, q.message)
		case q.thread != "":
			threadIDs = append(threadIDs, q.thread)
		}
	}
	msgs, err := messageEventData(ctx, tx, msgIDs)
	if err != nil {
		return nil, err
	}
	threads, err := threadEventData(ctx, tx, threadIDs)
	if err != nil {
		return nil, err
	}
	out := evs[:0]
	seenThread := map[string]bool{}
	for _, q := range evs {
		switch {
		case q.message != "":
			d, ok := msgs[q.message]
			if !ok {
				continue
			}
			q.data = d
		case q.thread != "":
			if seenThread[q.thread] {
				continue
			}
			seenThread[q.thread] = true
			q.data = threads[q.thread]
			if q.data == nil {
				q.data = map[string]any{"id": q.thread, "messageCount": 0}
			}
		}
		out = append(out, q)
	}
	return out, nil
}

// messageEventData reads what a message.created event says of each
// message: ids, direction, the mailbox that brought it, and the people
// and companies it is linked to. Never its subject or body.
func messageEventData(ctx context.Context, tx *sql.Tx, ids []string) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	for _, chunk := range chunks(ids, 400) {
		in := placeholders(1, len(chunk))
		// By id alone: with the workspace in the condition too, SQLite
		// walked the workspace's messages by its (workspace_id,
		// message_key) index, testing each id, at every batch (0.85 s of a
		// 20,000-message import instead of 0.12 s).
		rows, err := tx.QueryContext(ctx, `SELECT m.id, m.message_key, m.thread_id, m.sent_at,
			COALESCE(c.account_id, ''), COALESCE(i.direction, '')
			FROM messages m LEFT JOIN folder_items i ON i.message_id = m.id
			LEFT JOIN channels c ON c.id = i.channel_id
			WHERE m.id IN (`+in+`) ORDER BY m.id, i.direction DESC`, anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("read created messages: %w", err)
		}
		for rows.Next() {
			var id, key, thread, account, dir string
			var sent int64
			if err := rows.Scan(&id, &key, &thread, &sent, &account, &dir); err != nil {
				rows.Close()
				return nil, err
			}
			if out[id] != nil {
				continue
			}
			out[id] = map[string]any{"id": id, "messageId": key, "threadId": thread, "accountId": account,
				"direction": dir, "sentAt": FromMillis(sent), "personIds": []string{}, "companyIds": []string{}}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		links, err := tx.QueryContext(ctx, `SELECT DISTINCT p.message_id, p.person_id, COALESCE(pe.company_id, '')
			FROM participants p JOIN people pe ON pe.id = p.person_id
			WHERE p.message_id IN (`+placeholders(1, len(chunk))+`) ORDER BY p.message_id, p.person_id`, anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("read created messages' people: %w", err)
		}
		for links.Next() {
			var msg, person, company string
			if err := links.Scan(&msg, &person, &company); err != nil {
				links.Close()
				return nil, err
			}
			d := out[msg]
			if d == nil {
				continue
			}
			d["personIds"] = appendUnique(d["personIds"].([]string), person)
			if company != "" {
				d["companyIds"] = appendUnique(d["companyIds"].([]string), company)
			}
		}
		links.Close()
		if err := links.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

// threadEventData reads a thread.updated event's data: counts and dates.
func threadEventData(ctx context.Context, tx *sql.Tx, ids []string) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	for _, chunk := range chunks(ids, 400) {
		rows, err := tx.QueryContext(ctx, `SELECT id, message_count, first_message_at, last_message_at
			FROM threads WHERE id IN (`+placeholders(1, len(chunk))+`)`, anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("read updated threads: %w", err)
		}
		for rows.Next() {
			var id string
			var count int
			var first, last int64
			if err := rows.Scan(&id, &count, &first, &last); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = map[string]any{"id": id, "messageCount": count,
				"firstMessageAt": FromMillis(first), "lastMessageAt": FromMillis(last)}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ParseCursor reads an event id given by a client; "" is the start.
func ParseCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w %q: use an event id from this feed, or nothing to start at the beginning", ErrBadCursor, s)
	}
	return n, nil
}

// Events returns up to limit events of the workspace after the cursor, in
// order. Every event after the cursor that exists now, or is committed
// later, has a larger seq than any returned (docs/events.md).
func (s *Store) Events(ctx context.Context, workspaceID string, after int64, limit int) ([]*Event, error) {
	return queryAll(ctx, s.DB, "read events", scanEvent, `SELECT seq, type, occurred_at, data FROM events
		WHERE workspace_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, workspaceID, after, limit)
}

func scanEvent(row interface{ Scan(...any) error }) (*Event, error) {
	var e Event
	var at int64
	var data string
	if err := row.Scan(&e.Seq, &e.Type, &at, &data); err != nil {
		return nil, err
	}
	e.ID = strconv.FormatInt(e.Seq, 10)
	e.OccurredAt = FromMillis(at)
	e.Data = json.RawMessage(data)
	return &e, nil
}

// PruneEvents deletes events older than the cutoff, and returns how many.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM events WHERE occurred_at < $1`, Millis(before))
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	return res.RowsAffected()
}

// ErrBadCursor is a cursor that is not an event id.
var ErrBadCursor = errors.New("invalid cursor")

// Feed is one page of the event feed, the document of GET /api/v1/events
// and `events list`: Next is the cursor to read on from (the last event's
// id, or the cursor given when no event follows it yet).
type Feed struct {
	Events []*Event `json:"events"`
	Next   string   `json:"next"`
}

// MaxFeedPage bounds a page of the feed.
const MaxFeedPage = 1000

// Feed reads the events after a client's cursor ("" = from the oldest
// kept), at most limit of them (1 to MaxFeedPage).
func (s *Store) Feed(ctx context.Context, workspaceID, after string, limit int) (*Feed, error) {
	cursor, err := ParseCursor(after)
	if err != nil {
		return nil, err
	}
	evs, err := s.Events(ctx, workspaceID, cursor, min(max(limit, 1), MaxFeedPage))
	if err != nil {
		return nil, err
	}
	f := &Feed{Events: evs, Next: after}
	if len(evs) > 0 {
		f.Next = evs[len(evs)-1].ID
	}
	return f, nil
}
