package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"
)

// NewMessage is a parsed message ready to store.
type NewMessage struct {
	Key          string // Message-ID without brackets, or a synthetic key
	Subject      string
	Text         string
	HTML         string
	Snippet      string
	Attachments  string // JSON metadata
	Size         int
	SentAt       time.Time
	Refs         []string // In-Reply-To and References ids
	Participants []NewParticipant
}

// NewParticipant is one address of a message.
type NewParticipant struct {
	Role, Email, Name string
}

// MessageIDsByKey returns the stored ids of the given keys.
func MessageIDsByKey(ctx context.Context, tx *sql.Tx, workspaceID string, keys []string) (map[string]string, error) {
	out := map[string]string{}
	for _, chunk := range chunks(keys, 500) {
		args := append([]any{workspaceID}, anys(chunk)...)
		rows, err := tx.QueryContext(ctx, `SELECT message_key, id FROM messages WHERE workspace_id = $1
			AND message_key IN (`+placeholders(2, len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("find messages by key: %w", err)
		}
		for rows.Next() {
			var k, id string
			if err := rows.Scan(&k, &id); err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// InsertMessages stores messages not stored yet (by key), threads them
// and links their participants; it returns the id of every key given,
// new or already stored. Call it inside the batch transaction.
func InsertMessages(ctx context.Context, tx *sql.Tx, workspaceID string, msgs []*NewMessage) (map[string]string, error) {
	keys := make([]string, len(msgs))
	for i, m := range msgs {
		keys[i] = m.Key
	}
	ids, err := MessageIDsByKey(ctx, tx, workspaceID, keys)
	if err != nil {
		return nil, err
	}
	touched := map[string]bool{}
	var fresh []*NewMessage
	for _, m := range msgs {
		if _, ok := ids[m.Key]; ok {
			continue
		}
		id := NewID()
		ids[m.Key] = id
		threadID, err := threadFor(ctx, tx, workspaceID, m, touched)
		if err != nil {
			return nil, err
		}
		if err := insertMessage(ctx, tx, workspaceID, id, threadID, m); err != nil {
			return nil, err
		}
		touched[threadID] = true
		fresh = append(fresh, m)
	}
	if err := insertParticipants(ctx, tx, workspaceID, ids, fresh); err != nil {
		return nil, err
	}
	for threadID := range touched {
		if err := refreshThread(ctx, tx, threadID); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

func messageRefs(m *NewMessage) []string {
	seen := map[string]bool{m.Key: true}
	refs := []string{m.Key}
	for _, r := range m.Refs {
		if r != "" && !seen[r] {
			seen[r] = true
			refs = append(refs, r)
		}
	}
	return refs
}

// threadFor finds the thread a new message joins: the thread of any stored
// message sharing one of its references (its own id, or an id it or they
// name). Several such threads are merged into the oldest; none makes a new one.
func threadFor(ctx context.Context, tx *sql.Tx, workspaceID string, m *NewMessage, touched map[string]bool) (string, error) {
	refs := messageRefs(m)
	args := append([]any{workspaceID}, anys(refs)...)
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT msg.thread_id FROM message_refs r
		JOIN messages msg ON msg.id = r.message_id
		WHERE r.workspace_id = $1 AND r.ref IN (`+placeholders(2, len(refs))+`)`, args...)
	if err != nil {
		return "", fmt.Errorf("find thread: %w", err)
	}
	var threads []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return "", err
		}
		threads = append(threads, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	switch len(threads) {
	case 0:
		id := NewID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO threads (id, workspace_id) VALUES ($1, $2)`, id, workspaceID); err != nil {
			return "", fmt.Errorf("create thread: %w", err)
		}
		return id, nil
	case 1:
		return threads[0], nil
	}
	return mergeThreads(ctx, tx, threads, touched)
}

// mergeThreads moves every message of the given threads into one of them
// (the smallest id, so concurrent merges agree) and deletes the others.
func mergeThreads(ctx context.Context, tx *sql.Tx, threads []string, touched map[string]bool) (string, error) {
	sort.Strings(threads)
	keep, others := threads[0], threads[1:]
	args := append([]any{keep}, anys(others)...)
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET thread_id = $1 WHERE thread_id IN (`+
		placeholders(2, len(others))+`)`, args...); err != nil {
		return "", fmt.Errorf("merge threads: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM threads WHERE id IN (`+placeholders(1, len(others))+`)`,
		anys(others)...); err != nil {
		return "", fmt.Errorf("merge threads: %w", err)
	}
	for _, id := range others {
		delete(touched, id)
	}
	return keep, nil
}

func insertMessage(ctx context.Context, tx *sql.Tx, workspaceID, id, threadID string, m *NewMessage) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO messages (id, workspace_id, thread_id, message_key, subject, text_body,
		html_body, snippet, attachments, size, sent_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		id, workspaceID, threadID, m.Key, m.Subject, m.Text, m.HTML, m.Snippet, m.Attachments, m.Size, Millis(m.SentAt), now())
	if err != nil {
		return fmt.Errorf("store message %s: %w", m.Key, err)
	}
	refs := messageRefs(m)
	var b strings.Builder
	args := make([]any, 0, 3*len(refs))
	for i, r := range refs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + placeholders(len(args)+1, 3) + ")")
		args = append(args, workspaceID, r, id)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO message_refs (workspace_id, ref, message_id) VALUES `+b.String()+
		` ON CONFLICT DO NOTHING`, args...); err != nil {
		return fmt.Errorf("store references of %s: %w", m.Key, err)
	}
	return nil
}

// refreshThread recomputes a thread's subject (its earliest message's),
// count and dates.
func refreshThread(ctx context.Context, tx *sql.Tx, threadID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE threads SET
		message_count = (SELECT COUNT(*) FROM messages WHERE thread_id = $1),
		first_message_at = COALESCE((SELECT MIN(sent_at) FROM messages WHERE thread_id = $1), 0),
		last_message_at = COALESCE((SELECT MAX(sent_at) FROM messages WHERE thread_id = $1), 0),
		subject = COALESCE((SELECT subject FROM messages WHERE thread_id = $1 ORDER BY sent_at, id LIMIT 1), '')
		WHERE id = $1`, threadID)
	if err != nil {
		return fmt.Errorf("refresh thread: %w", err)
	}
	return nil
}

func insertParticipants(ctx context.Context, tx *sql.Tx, workspaceID string, ids map[string]string, msgs []*NewMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	var emails []string
	seen := map[string]bool{}
	for _, m := range msgs {
		for _, p := range m.Participants {
			if p.Email != "" && !seen[p.Email] {
				seen[p.Email] = true
				emails = append(emails, p.Email)
			}
		}
	}
	people, err := personIDsByEmail(ctx, tx, workspaceID, emails)
	if err != nil {
		return err
	}
	members, err := memberIDsByEmail(ctx, tx, workspaceID, emails)
	if err != nil {
		return err
	}
	type row struct {
		msgID string
		pos   int
		p     NewParticipant
	}
	var rowsToInsert []row
	for _, m := range msgs {
		for i, p := range m.Participants {
			rowsToInsert = append(rowsToInsert, row{ids[m.Key], i, p})
		}
	}
	const cols = 8
	for start := 0; start < len(rowsToInsert); start += 400 {
		end := min(start+400, len(rowsToInsert))
		var b strings.Builder
		args := make([]any, 0, (end-start)*cols)
		for i, r := range rowsToInsert[start:end] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + placeholders(len(args)+1, cols) + ")")
			args = append(args, r.msgID, r.pos, workspaceID, r.p.Role, r.p.Email, r.p.Name,
				nullable(people[r.p.Email]), nullable(members[r.p.Email]))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO participants (message_id, position, workspace_id, role, email, name,
			person_id, member_id) VALUES `+b.String()+` ON CONFLICT DO NOTHING`, args...); err != nil {
			return fmt.Errorf("store participants: %w", err)
		}
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func personIDsByEmail(ctx context.Context, q querier, workspaceID string, emails []string) (map[string]string, error) {
	return lookup(ctx, q, `SELECT email, person_id FROM person_emails WHERE workspace_id = $1 AND email IN (%s)`, workspaceID, emails)
}

// memberIDsByEmail maps addresses to members: their login email, or the
// handle or an alias of one of their connected accounts.
func memberIDsByEmail(ctx context.Context, q querier, workspaceID string, emails []string) (map[string]string, error) {
	out, err := lookup(ctx, q, `SELECT email, id FROM members WHERE workspace_id = $1 AND email IN (%s)`, workspaceID, emails)
	if err != nil {
		return nil, err
	}
	for _, query := range []string{
		`SELECT handle, member_id FROM connected_accounts WHERE workspace_id = $1 AND handle IN (%s)`,
		`SELECT al.alias, a.member_id FROM account_aliases al JOIN connected_accounts a ON a.id = al.account_id
			WHERE a.workspace_id = $1 AND al.alias IN (%s)`,
	} {
		more, err := lookup(ctx, q, query, workspaceID, emails)
		if err != nil {
			return nil, err
		}
		for k, v := range more {
			if out[k] == "" {
				out[k] = v
			}
		}
	}
	return out, nil
}

// lookup runs a two-column query whose %s is an IN list of keys.
func lookup(ctx context.Context, q querier, query, workspaceID string, keys []string) (map[string]string, error) {
	out := map[string]string{}
	for _, chunk := range chunks(keys, 500) {
		args := append([]any{workspaceID}, anys(chunk)...)
		rows, err := q.QueryContext(ctx, fmt.Sprintf(query, placeholders(2, len(chunk))), args...)
		if err != nil {
			return nil, fmt.Errorf("lookup: %w", err)
		}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// deleteOrphans deletes, among the given messages, those no folder item
// points to any more, and refreshes or deletes their threads.
func deleteOrphans(ctx context.Context, tx *sql.Tx, workspaceID string, messageIDs []string) error {
	threads := map[string]bool{}
	for _, chunk := range chunks(messageIDs, 500) {
		args := append([]any{workspaceID}, anys(chunk)...)
		rows, err := tx.QueryContext(ctx, `SELECT id, thread_id FROM messages m WHERE workspace_id = $1
			AND id IN (`+placeholders(2, len(chunk))+`)
			AND NOT EXISTS (SELECT 1 FROM folder_items i WHERE i.message_id = m.id)`, args...)
		if err != nil {
			return fmt.Errorf("find orphan messages: %w", err)
		}
		var orphans []string
		for rows.Next() {
			var id, thread string
			if err := rows.Scan(&id, &thread); err != nil {
				rows.Close()
				return err
			}
			orphans = append(orphans, id)
			threads[thread] = true
		}
		rows.Close()
		if len(orphans) == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE id IN (`+placeholders(1, len(orphans))+`)`,
			anys(orphans)...); err != nil {
			return fmt.Errorf("delete orphan messages: %w", err)
		}
	}
	for id := range threads {
		if err := refreshThread(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM threads WHERE id = $1 AND message_count = 0`, id); err != nil {
			return fmt.Errorf("delete empty thread: %w", err)
		}
	}
	return nil
}

// deleteOrphanMessages deletes every message of a workspace that no folder
// item holds (after an account is removed).
func deleteOrphanMessages(ctx context.Context, tx *sql.Tx, workspaceID string) error {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM messages m WHERE workspace_id = $1
		AND NOT EXISTS (SELECT 1 FROM folder_items i WHERE i.message_id = m.id)`, workspaceID)
	if err != nil {
		return fmt.Errorf("find orphan messages: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	return deleteOrphans(ctx, tx, workspaceID, ids)
}

// RepairThreads merges threads that concurrent imports split. Two
// transactions that each store one message of a conversation cannot see
// each other's uncommitted references, so each may start a thread; once
// both committed, whichever repair runs last sees both and merges them.
// (SQLite runs write transactions one at a time and needs no repair.)
func (s *Store) RepairThreads(ctx context.Context, workspaceID string, keys []string) error {
	if s.DB.Kind != "postgres" || len(keys) == 0 {
		return nil
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		groups := map[string]map[string]bool{} // message -> threads sharing a reference with it
		for _, chunk := range chunks(keys, 500) {
			args := append([]any{workspaceID}, anys(chunk)...)
			rows, err := tx.QueryContext(ctx, `SELECT m.id, other.thread_id FROM messages m
				JOIN message_refs r ON r.message_id = m.id
				JOIN message_refs r2 ON r2.workspace_id = r.workspace_id AND r2.ref = r.ref
				JOIN messages other ON other.id = r2.message_id
				WHERE m.workspace_id = $1 AND m.message_key IN (`+placeholders(2, len(chunk))+`)`, args...)
			if err != nil {
				return fmt.Errorf("find split threads: %w", err)
			}
			for rows.Next() {
				var id, thread string
				if err := rows.Scan(&id, &thread); err != nil {
					rows.Close()
					return err
				}
				if groups[id] == nil {
					groups[id] = map[string]bool{}
				}
				groups[id][thread] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		merged := map[string]string{} // thread -> thread it was merged into
		for _, threads := range groups {
			set := map[string]bool{}
			for t := range threads {
				for merged[t] != "" {
					t = merged[t]
				}
				set[t] = true
			}
			if len(set) < 2 {
				continue
			}
			ids := make([]string, 0, len(set))
			for t := range set {
				ids = append(ids, t)
			}
			touched := map[string]bool{}
			keep, err := mergeThreads(ctx, tx, ids, touched)
			if err != nil {
				return err
			}
			for _, t := range ids {
				if t != keep {
					merged[t] = keep
				}
			}
			if err := refreshThread(ctx, tx, keep); err != nil {
				return err
			}
		}
		return nil
	})
}
