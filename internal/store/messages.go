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
	Key         string // Message-ID without brackets, or a synthetic key
	Subject     string
	Text        string
	HTML        string
	Snippet     string
	Attachments string // JSON metadata
	// AttachmentData holds the attachments' bytes in MIME order; stored
	// with a new message, or for a stored one whose bytes are missing.
	AttachmentData [][]byte
	Size           int
	SentAt         time.Time
	Refs           []string // In-Reply-To and References ids
	Participants   []NewParticipant
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
// new or already stored. Call it inside the batch transaction. It runs a
// fixed number of statements per batch, whatever its size: an import's
// cost is dominated by round trips otherwise.
func InsertMessages(ctx context.Context, tx *sql.Tx, workspaceID string, msgs []*NewMessage) (map[string]string, error) {
	keys := make([]string, len(msgs))
	for i, m := range msgs {
		keys[i] = m.Key
	}
	ids, err := MessageIDsByKey(ctx, tx, workspaceID, keys)
	if err != nil {
		return nil, err
	}
	var fresh []*NewMessage
	contents := map[string][][]byte{}
	for _, m := range msgs {
		if _, ok := ids[m.Key]; !ok {
			ids[m.Key] = NewID()
			fresh = append(fresh, m)
		}
		if len(m.AttachmentData) > 0 {
			contents[ids[m.Key]] = m.AttachmentData
		}
	}
	if len(fresh) == 0 {
		return ids, putAttachments(ctx, tx, contents)
	}
	threadOf, touched, err := assignThreads(ctx, tx, workspaceID, fresh)
	if err != nil {
		return nil, err
	}
	if err := insertMessageRows(ctx, tx, workspaceID, ids, threadOf, fresh); err != nil {
		return nil, err
	}
	if err := insertRefs(ctx, tx, workspaceID, ids, fresh); err != nil {
		return nil, err
	}
	if err := insertParticipants(ctx, tx, workspaceID, ids, threadOf, fresh); err != nil {
		return nil, err
	}
	if err := indexForSearch(ctx, tx, workspaceID, ids, fresh); err != nil {
		return nil, err
	}
	if err := putAttachments(ctx, tx, contents); err != nil {
		return nil, err
	}
	if err := refreshThreads(ctx, tx, touched); err != nil {
		return nil, err
	}
	if err := addBatchContactThreads(ctx, tx, ids, fresh); err != nil {
		return nil, err
	}
	return ids, emitCreated(ctx, tx, workspaceID, ids, fresh, touched)
}

// emitCreated records message.created for each new message and
// thread.updated for each thread they joined or started; their data is
// read at commit (events.go).
func emitCreated(ctx context.Context, tx *sql.Tx, workspaceID string, ids map[string]string, fresh []*NewMessage, threads []string) error {
	for _, m := range fresh {
		if err := emit(ctx, tx, queued{workspaceID: workspaceID, typ: EventMessageCreated, message: ids[m.Key]}); err != nil {
			return err
		}
	}
	return emitThreads(ctx, tx, workspaceID, threads)
}

func emitThreads(ctx context.Context, tx *sql.Tx, workspaceID string, threads []string) error {
	for _, t := range threads {
		if err := emit(ctx, tx, queued{workspaceID: workspaceID, typ: EventThreadUpdated, thread: t}); err != nil {
			return err
		}
	}
	return nil
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

// assignThreads decides the thread of each new message (by key): a
// message joins the thread of any stored message sharing one of its
// references (its own id, or an id it or they name), and new messages of
// the batch sharing a reference join each other. Stored threads that a
// batch connects are merged into the one with the smallest id; messages
// connected to no stored thread get a new one. It returns the threads to
// refresh.
func assignThreads(ctx context.Context, tx *sql.Tx, workspaceID string, fresh []*NewMessage) (map[string]string, []string, error) {
	var all []string
	seen := map[string]bool{}
	for _, m := range fresh {
		for _, r := range messageRefs(m) {
			if !seen[r] {
				seen[r] = true
				all = append(all, r)
			}
		}
	}
	stored, err := threadsByRef(ctx, tx, workspaceID, all)
	if err != nil {
		return nil, nil, err
	}
	// Union-find over messages ("m"+key), references ("r"+ref) and stored threads ("t"+id).
	uf := unionFind{}
	for _, m := range fresh {
		for _, r := range messageRefs(m) {
			uf.union("m"+m.Key, "r"+r)
			for _, t := range stored[r] {
				uf.union("r"+r, "t"+t)
			}
		}
	}
	type component struct{ threads []string }
	comps := map[string]*component{}
	for node := range uf {
		if node[0] != 't' {
			continue
		}
		root := uf.find(node)
		if comps[root] == nil {
			comps[root] = &component{}
		}
		comps[root].threads = append(comps[root].threads, node[1:])
	}
	threadOf := map[string]string{}
	var touched, newThreads []string
	for _, m := range fresh {
		root := uf.find("m" + m.Key)
		c := comps[root]
		if c == nil {
			c = &component{}
			comps[root] = c
		}
		if len(c.threads) == 0 {
			id := NewID()
			c.threads = []string{id}
			newThreads = append(newThreads, id)
		} else if len(c.threads) > 1 {
			keep, err := mergeThreads(ctx, tx, c.threads, map[string]bool{})
			if err != nil {
				return nil, nil, err
			}
			c.threads = []string{keep}
		}
		threadOf[m.Key] = c.threads[0]
	}
	for _, c := range comps {
		if len(c.threads) == 1 {
			touched = append(touched, c.threads[0])
		}
	}
	return threadOf, touched, insertThreads(ctx, tx, workspaceID, newThreads)
}

// threadsByRef maps each reference to the threads of the stored messages
// carrying it.
func threadsByRef(ctx context.Context, tx *sql.Tx, workspaceID string, refs []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, chunk := range chunks(refs, 500) {
		args := append([]any{workspaceID}, anys(chunk)...)
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT r.ref, msg.thread_id FROM message_refs r
			JOIN messages msg ON msg.id = r.message_id
			WHERE r.workspace_id = $1 AND r.ref IN (`+placeholders(2, len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("find threads: %w", err)
		}
		for rows.Next() {
			var ref, thread string
			if err := rows.Scan(&ref, &thread); err != nil {
				rows.Close()
				return nil, err
			}
			out[ref] = append(out[ref], thread)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// unionFind is a disjoint-set forest over string nodes.
type unionFind map[string]string

func (u unionFind) find(x string) string {
	if _, ok := u[x]; !ok {
		u[x] = x
	}
	for u[x] != x {
		u[x] = u[u[x]] // path halving
		x = u[x]
	}
	return x
}

func (u unionFind) union(a, b string) {
	ra, rb := u.find(a), u.find(b)
	if ra != rb {
		u[ra] = rb
	}
}

func insertThreads(ctx context.Context, tx *sql.Tx, workspaceID string, ids []string) error {
	rows := make([][]any, len(ids))
	for i, id := range ids {
		rows[i] = []any{id, workspaceID}
	}
	return insertRows(ctx, tx, `INSERT INTO threads (id, workspace_id) VALUES `, "", rows)
}

func insertMessageRows(ctx context.Context, tx *sql.Tx, workspaceID string, ids, threadOf map[string]string, fresh []*NewMessage) error {
	rows := make([][]any, len(fresh))
	created := now()
	for i, m := range fresh {
		rows[i] = []any{ids[m.Key], workspaceID, threadOf[m.Key], m.Key, m.Subject, m.Text, m.HTML, m.Snippet,
			m.Attachments, m.Size, Millis(m.SentAt), created}
	}
	if err := insertRows(ctx, tx, `INSERT INTO messages (id, workspace_id, thread_id, message_key, subject, text_body,
		html_body, snippet, attachments, size, sent_at, created_at) VALUES `, "", rows); err != nil {
		return fmt.Errorf("store messages: %w", err)
	}
	return nil
}

func insertRefs(ctx context.Context, tx *sql.Tx, workspaceID string, ids map[string]string, fresh []*NewMessage) error {
	var rows [][]any
	for _, m := range fresh {
		for _, r := range messageRefs(m) {
			rows = append(rows, []any{workspaceID, r, ids[m.Key]})
		}
	}
	if err := insertRows(ctx, tx, `INSERT INTO message_refs (workspace_id, ref, message_id) VALUES `,
		` ON CONFLICT DO NOTHING`, rows); err != nil {
		return fmt.Errorf("store references: %w", err)
	}
	return nil
}

// insertRows runs a multi-row INSERT in chunks of at most ~2,000 parameters.
func insertRows(ctx context.Context, tx *sql.Tx, head, tail string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	per := max(1, 2000/len(rows[0]))
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, (end-start)*len(rows[0]))
		for i, row := range rows[start:end] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + placeholders(len(args)+1, len(row)) + ")")
			args = append(args, row...)
		}
		b.WriteString(tail)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// mergeThreads moves every message of the given threads into one of them
// (the smallest id, so concurrent merges agree) and deletes the others.
func mergeThreads(ctx context.Context, tx *sql.Tx, threads []string, touched map[string]bool) (string, error) {
	sort.Strings(threads)
	keep, others := threads[0], threads[1:]
	args := append([]any{keep}, anys(others)...)
	// Participants first, found through their messages' thread index.
	for _, q := range []string{
		`UPDATE participants SET thread_id = $1 WHERE message_id IN (SELECT id FROM messages WHERE thread_id IN (%s))`,
		`UPDATE messages SET thread_id = $1 WHERE thread_id IN (%s)`,
		`UPDATE access_requests SET thread_id = $1 WHERE thread_id IN (%s)`,
	} {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(q, placeholders(2, len(others))), args...); err != nil {
			return "", fmt.Errorf("merge threads: %w", err)
		}
	}
	if err := moveContactThreads(ctx, tx, keep, others); err != nil {
		return "", err
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
	return syncContactThreadDates(ctx, tx, []string{threadID})
}

// refreshThreads recomputes several threads in one statement per chunk.
func refreshThreads(ctx context.Context, tx *sql.Tx, ids []string) error {
	for _, chunk := range chunks(ids, 500) {
		_, err := tx.ExecContext(ctx, `UPDATE threads SET
			message_count = (SELECT COUNT(*) FROM messages m WHERE m.thread_id = threads.id),
			first_message_at = COALESCE((SELECT MIN(sent_at) FROM messages m WHERE m.thread_id = threads.id), 0),
			last_message_at = COALESCE((SELECT MAX(sent_at) FROM messages m WHERE m.thread_id = threads.id), 0),
			subject = COALESCE((SELECT subject FROM messages m WHERE m.thread_id = threads.id ORDER BY sent_at, id LIMIT 1), '')
			WHERE id IN (`+placeholders(1, len(chunk))+`)`, anys(chunk)...)
		if err != nil {
			return fmt.Errorf("refresh threads: %w", err)
		}
		if err := syncContactThreadDates(ctx, tx, chunk); err != nil {
			return err
		}
	}
	return nil
}

func insertParticipants(ctx context.Context, tx *sql.Tx, workspaceID string, ids, threadOf map[string]string, msgs []*NewMessage) error {
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
		msgID, threadID string
		pos             int
		p               NewParticipant
	}
	var rowsToInsert []row
	for _, m := range msgs {
		for i, p := range m.Participants {
			rowsToInsert = append(rowsToInsert, row{ids[m.Key], threadOf[m.Key], i, p})
		}
	}
	const cols = 9
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
				nullable(people[r.p.Email]), nullable(members[r.p.Email]), r.threadID)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO participants (message_id, position, workspace_id, role, email, name,
			person_id, member_id, thread_id) VALUES `+b.String()+` ON CONFLICT DO NOTHING`, args...); err != nil {
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
		rows, err := tx.QueryContext(ctx, `SELECT id, thread_id, message_key FROM messages m WHERE workspace_id = $1
			AND id IN (`+placeholders(2, len(chunk))+`)
			AND NOT EXISTS (SELECT 1 FROM folder_items i WHERE i.message_id = m.id)`, args...)
		if err != nil {
			return fmt.Errorf("find orphan messages: %w", err)
		}
		var orphans []string
		for rows.Next() {
			var id, thread, key string
			if err := rows.Scan(&id, &thread, &key); err != nil {
				rows.Close()
				return err
			}
			orphans = append(orphans, id)
			threads[thread] = true
			if err := emitData(ctx, tx, workspaceID, EventMessageDeleted,
				map[string]any{"id": id, "messageId": key, "threadId": thread}); err != nil {
				rows.Close()
				return err
			}
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
	if err := refreshContactThreads(ctx, tx, sortedKeys(threads)); err != nil {
		return err
	}
	return emitThreads(ctx, tx, workspaceID, sortedKeys(threads))
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
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
