package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Holder is one mailbox holding a message: whose it is and how it shares.
type Holder struct {
	MemberID   string
	Visibility string
	Direction  string
	AccountID  string
}

// Address is a participant address for display.
type Address struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// ThreadSummary is a row of an Emails tab.
type ThreadSummary struct {
	ID            string
	Subject       string
	MessageCount  int
	LastMessageAt time.Time
	Snippet       string // of the latest message
	Participants  []Address
	Holders       []Holder // of every message of the thread
	// Granted lists the members an access grant opens the thread to.
	Granted []string
	// SnippetHolders hold the latest message: its snippet is shown at
	// that message's own level, not the thread's.
	SnippetHolders []Holder
}

// StoredParticipant is a participant as stored, with its links.
type StoredParticipant struct {
	Role     string
	Email    string
	Name     string
	PersonID *string
	MemberID *string
}

// StoredMessage is a message with everything a reader may be shown;
// package visibility decides what a given viewer actually gets.
type StoredMessage struct {
	ID           string
	ThreadID     string
	Key          string
	Subject      string
	Text         string
	HTML         string
	Snippet      string
	Attachments  string
	SentAt       time.Time
	Participants []StoredParticipant
	Holders      []Holder
	Granted      []string // members an access grant opens the message's thread to
}

// ThreadsForPerson lists the threads with a message where the person is
// a participant, newest activity first.
func (s *Store) ThreadsForPerson(ctx context.Context, workspaceID, personID string, limit, offset int) (int, []*ThreadSummary, error) {
	return s.contactThreads(ctx, contactList{table: "person_threads", key: "person_id", owner: "people"},
		workspaceID, personID, limit, offset)
}

// ThreadsForCompany lists the threads involving any person of the company.
func (s *Store) ThreadsForCompany(ctx context.Context, workspaceID, companyID string, limit, offset int) (int, []*ThreadSummary, error) {
	return s.contactThreads(ctx, contactList{table: "company_threads", key: "company_id", owner: "companies"},
		workspaceID, companyID, limit, offset)
}

// contactList names a contact's list of threads (contact_threads.go) and
// the table of the contacts, which scopes them to a workspace.
type contactList struct{ table, key, owner string }

// contactThreads lists a page of a contact's threads, newest activity
// first, with their total. A page costs a fixed number of statements
// whatever its length: the page with its total, then the participants,
// snippets and holders of all its threads at once.
//
// The page is read from the newest end of the contact's (contact, date,
// thread) index, which holds every column it needs: the offset skips
// index entries only, and the threads themselves are looked up for the
// page's rows alone. The total counts the contact's entries in the
// primary key; it is one scalar subquery, run once.
func (s *Store) contactThreads(ctx context.Context, l contactList, workspaceID, contactID string, limit, offset int) (int, []*ThreadSummary, error) {
	if limit <= 0 {
		limit = 50
	}
	offset = max(offset, 0)
	mine := `l.` + l.key + ` = $2 AND EXISTS (SELECT 1 FROM ` + l.owner + ` o WHERE o.id = $2 AND o.workspace_id = $1)`
	count := `SELECT COUNT(*) FROM ` + l.table + ` l WHERE ` + mine
	rows, err := s.DB.QueryContext(ctx, `SELECT t.id, t.subject, t.message_count, t.last_message_at, (`+count+`)
		FROM (SELECT l.thread_id, l.last_message_at FROM `+l.table+` l WHERE `+mine+`
			ORDER BY l.last_message_at DESC, l.thread_id LIMIT $3 OFFSET $4) page
		JOIN threads t ON t.id = page.thread_id
		ORDER BY page.last_message_at DESC, page.thread_id`, workspaceID, contactID, limit, offset)
	if err != nil {
		return 0, nil, fmt.Errorf("list threads: %w", err)
	}
	var out []*ThreadSummary
	total := -1
	for rows.Next() {
		t := &ThreadSummary{}
		var last int64
		if err := rows.Scan(&t.ID, &t.Subject, &t.MessageCount, &last, &total); err != nil {
			rows.Close()
			return 0, nil, fmt.Errorf("list threads: %w", err)
		}
		t.LastMessageAt = FromMillis(last)
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("list threads: %w", err)
	}
	if total < 0 {
		// A page past the end has no row to carry the total.
		if err := s.DB.QueryRowContext(ctx, count, workspaceID, contactID).Scan(&total); err != nil {
			return 0, nil, fmt.Errorf("count threads: %w", err)
		}
	}
	return total, out, s.fillThreads(ctx, workspaceID, out)
}

// fillThreads adds each summary's participants (senders first), holders
// and latest snippet, in three statements for all of them.
func (s *Store) fillThreads(ctx context.Context, workspaceID string, ts []*ThreadSummary) error {
	if len(ts) == 0 {
		return nil
	}
	byID := make(map[string]*ThreadSummary, len(ts))
	ids := make([]string, len(ts))
	for i, t := range ts {
		byID[t.ID], ids[i] = t, t.ID
	}
	latest, threadOf, err := s.threadParticipants(ctx, ids, byID)
	if err != nil {
		return err
	}
	if err := s.threadHolders(ctx, threadOf, byID, latest); err != nil {
		return err
	}
	latestIDs := make([]string, 0, len(latest))
	for _, id := range latest {
		latestIDs = append(latestIDs, id)
	}
	snippets, err := lookup(ctx, s.DB, `SELECT id, snippet FROM messages WHERE workspace_id = $1 AND id IN (%s)`,
		workspaceID, latestIDs)
	if err != nil {
		return fmt.Errorf("thread snippets: %w", err)
	}
	grants, err := s.grantsOf(ctx, ids)
	if err != nil {
		return err
	}
	for _, t := range ts {
		t.Snippet = snippets[latest[t.ID]]
		t.Granted = grants[t.ID]
	}
	return nil
}

// threadParticipants sets the threads' participants, each address once,
// senders first, in the order of their messages; it returns each thread's
// latest message, and the thread of each message.
func (s *Store) threadParticipants(ctx context.Context, ids []string, byID map[string]*ThreadSummary) (latest, threadOf map[string]string, err error) {
	type acc struct {
		senders, others []Address
		seen            map[string]bool
	}
	accs := map[string]*acc{}
	latest, threadOf = map[string]string{}, map[string]string{}
	for _, chunk := range chunks(ids, 500) {
		rows, err := s.DB.QueryContext(ctx, `SELECT m.thread_id, m.id, p.role, p.email, p.name FROM messages m
			LEFT JOIN participants p ON p.message_id = m.id WHERE m.thread_id IN (`+placeholders(1, len(chunk))+`)
			ORDER BY m.thread_id, m.sent_at, m.id, p.position`, anys(chunk)...)
		if err != nil {
			return nil, nil, fmt.Errorf("thread participants: %w", err)
		}
		for rows.Next() {
			var thread, msg string
			var role, email, name sql.NullString
			if err := rows.Scan(&thread, &msg, &role, &email, &name); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("thread participants: %w", err)
			}
			latest[thread], threadOf[msg] = msg, thread
			a := accs[thread]
			if a == nil {
				a = &acc{seen: map[string]bool{}}
				accs[thread] = a
			}
			if email.String == "" || a.seen[email.String] || role.String == "reply-to" {
				continue
			}
			a.seen[email.String] = true
			if role.String == "from" {
				a.senders = append(a.senders, Address{Email: email.String, Name: name.String})
			} else {
				a.others = append(a.others, Address{Email: email.String, Name: name.String})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("thread participants: %w", err)
		}
	}
	for id, a := range accs {
		byID[id].Participants = append(a.senders, a.others...)
	}
	return latest, threadOf, nil
}

// threadHolders sets the mailboxes holding each thread's messages, and
// those holding its latest message. It reads the messages' folder items
// by message id: the messages table, whose rows are wide, is not read
// again.
func (s *Store) threadHolders(ctx context.Context, threadOf map[string]string, byID map[string]*ThreadSummary, latest map[string]string) error {
	msgIDs := slices.Sorted(maps.Keys(threadOf))
	for _, chunk := range chunks(msgIDs, 500) {
		rows, err := s.DB.QueryContext(ctx, `SELECT DISTINCT i.message_id, a.member_id, c.visibility, i.direction, a.id
			FROM folder_items i
			JOIN channels c ON c.id = i.channel_id
			JOIN connected_accounts a ON a.id = c.account_id
			WHERE i.message_id IN (`+placeholders(1, len(chunk))+`) ORDER BY i.message_id, a.id, i.direction`, anys(chunk)...)
		if err != nil {
			return fmt.Errorf("thread holders: %w", err)
		}
		for rows.Next() {
			var msg string
			var h Holder
			if err := rows.Scan(&msg, &h.MemberID, &h.Visibility, &h.Direction, &h.AccountID); err != nil {
				rows.Close()
				return fmt.Errorf("thread holders: %w", err)
			}
			thread := threadOf[msg]
			t := byID[thread]
			if !slices.Contains(t.Holders, h) {
				t.Holders = append(t.Holders, h)
			}
			if msg == latest[thread] {
				t.SnippetHolders = append(t.SnippetHolders, h)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("thread holders: %w", err)
		}
	}
	return nil
}

// messageHolder is a mailbox holding one message.
type messageHolder struct {
	Holder
	threadID, messageID string
}

// holdersWhere lists the mailboxes holding the messages where selects,
// each (message, mailbox, direction) once.
func (s *Store) holdersWhere(ctx context.Context, where string, args ...any) ([]messageHolder, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT DISTINCT m.thread_id, m.id, a.member_id, c.visibility, i.direction, a.id
		FROM messages m
		JOIN folder_items i ON i.message_id = m.id
		JOIN channels c ON c.id = i.channel_id
		JOIN connected_accounts a ON a.id = c.account_id
		WHERE `+where+` ORDER BY m.id, a.id, i.direction`, args...)
	if err != nil {
		return nil, fmt.Errorf("message holders: %w", err)
	}
	defer rows.Close()
	var out []messageHolder
	for rows.Next() {
		var h messageHolder
		if err := rows.Scan(&h.threadID, &h.messageID, &h.MemberID, &h.Visibility, &h.Direction, &h.AccountID); err != nil {
			return nil, fmt.Errorf("message holders: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Thread returns a thread and its messages, oldest first.
func (s *Store) Thread(ctx context.Context, workspaceID, id string) (*ThreadSummary, []*StoredMessage, error) {
	t := &ThreadSummary{}
	var last int64
	err := s.DB.QueryRowContext(ctx, `SELECT id, subject, message_count, last_message_at FROM threads
		WHERE workspace_id = $1 AND id = $2`, workspaceID, id).Scan(&t.ID, &t.Subject, &t.MessageCount, &last)
	if err != nil {
		return nil, nil, notFound(err, "thread "+id)
	}
	t.LastMessageAt = FromMillis(last)
	if err := s.fillThreads(ctx, workspaceID, []*ThreadSummary{t}); err != nil {
		return nil, nil, err
	}
	msgs, err := s.messages(ctx, `m.workspace_id = $1 AND m.thread_id = $2 ORDER BY m.sent_at, m.id`, workspaceID, id)
	return t, msgs, err
}

// Messages lists a workspace's messages, newest first; accountID limits
// them to one mailbox.
func (s *Store) Messages(ctx context.Context, workspaceID, accountID string, limit, offset int) ([]*StoredMessage, error) {
	if limit <= 0 {
		limit = 100
	}
	if accountID != "" {
		return s.messages(ctx, `m.workspace_id = $1 AND m.id IN (SELECT i.message_id FROM folder_items i
			JOIN channels c ON c.id = i.channel_id WHERE c.account_id = $2)
			ORDER BY m.sent_at DESC, m.id LIMIT $3 OFFSET $4`, workspaceID, accountID, limit, max(offset, 0))
	}
	return s.messages(ctx, `m.workspace_id = $1 ORDER BY m.sent_at DESC, m.id LIMIT $2 OFFSET $3`, workspaceID, limit, max(offset, 0))
}

// Message returns one message.
func (s *Store) Message(ctx context.Context, workspaceID, id string) (*StoredMessage, error) {
	msgs, err := s.messages(ctx, `m.workspace_id = $1 AND m.id = $2`, workspaceID, id)
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, fmt.Errorf("message %s: %w", id, ErrNotFound)
	}
	return msgs[0], nil
}

func (s *Store) messages(ctx context.Context, where string, args ...any) ([]*StoredMessage, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT m.id, m.thread_id, m.message_key, m.subject, m.text_body, m.html_body,
		m.snippet, m.attachments, m.sent_at FROM messages m WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	var out []*StoredMessage
	for rows.Next() {
		m := &StoredMessage{}
		var sent int64
		if err := rows.Scan(&m.ID, &m.ThreadID, &m.Key, &m.Subject, &m.Text, &m.HTML, &m.Snippet, &m.Attachments, &sent); err != nil {
			rows.Close()
			return nil, err
		}
		m.SentAt = FromMillis(sent)
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.fillMessages(ctx, out)
}

// fillMessages adds the messages' participants and holders, in two
// statements per 500 messages.
func (s *Store) fillMessages(ctx context.Context, msgs []*StoredMessage) error {
	byID := make(map[string]*StoredMessage, len(msgs))
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		byID[m.ID], ids[i] = m, m.ID
	}
	for _, chunk := range chunks(ids, 500) {
		if err := s.messageParticipants(ctx, chunk, byID); err != nil {
			return err
		}
		hs, err := s.holdersWhere(ctx, `m.id IN (`+placeholders(1, len(chunk))+`)`, anys(chunk)...)
		if err != nil {
			return err
		}
		for _, h := range hs {
			m := byID[h.messageID]
			m.Holders = append(m.Holders, h.Holder)
		}
	}
	threads := map[string]bool{}
	var threadIDs []string
	for _, m := range msgs {
		if !threads[m.ThreadID] {
			threads[m.ThreadID] = true
			threadIDs = append(threadIDs, m.ThreadID)
		}
	}
	grants, err := s.grantsOf(ctx, threadIDs)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		m.Granted = grants[m.ThreadID]
	}
	return nil
}

func (s *Store) messageParticipants(ctx context.Context, ids []string, byID map[string]*StoredMessage) error {
	rows, err := s.DB.QueryContext(ctx, `SELECT message_id, role, email, name, person_id, member_id FROM participants
		WHERE message_id IN (`+placeholders(1, len(ids))+`) ORDER BY message_id, position`, anys(ids)...)
	if err != nil {
		return fmt.Errorf("message participants: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var p StoredParticipant
		var person, member sql.NullString
		if err := rows.Scan(&id, &p.Role, &p.Email, &p.Name, &person, &member); err != nil {
			return fmt.Errorf("message participants: %w", err)
		}
		if person.Valid {
			p.PersonID = &person.String
		}
		if member.Valid {
			p.MemberID = &member.String
		}
		byID[id].Participants = append(byID[id].Participants, p)
	}
	return rows.Err()
}
