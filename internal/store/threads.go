package store

import (
	"context"
	"database/sql"
	"fmt"
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
}

// ThreadsForPerson lists the threads with a message where the person is
// a participant, newest activity first.
func (s *Store) ThreadsForPerson(ctx context.Context, workspaceID, personID string, limit, offset int) (int, []*ThreadSummary, error) {
	return s.threadsWhere(ctx, workspaceID, `SELECT m.thread_id FROM messages m JOIN participants p ON p.message_id = m.id
		WHERE p.person_id = $2`, personID, limit, offset)
}

// ThreadsForCompany lists the threads involving any person of the company.
func (s *Store) ThreadsForCompany(ctx context.Context, workspaceID, companyID string, limit, offset int) (int, []*ThreadSummary, error) {
	return s.threadsWhere(ctx, workspaceID, `SELECT m.thread_id FROM messages m JOIN participants p ON p.message_id = m.id
		JOIN people pe ON pe.id = p.person_id WHERE pe.company_id = $2`, companyID, limit, offset)
}

func (s *Store) threadsWhere(ctx context.Context, workspaceID, threadIDs, arg string, limit, offset int) (int, []*ThreadSummary, error) {
	var total int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM threads t WHERE t.workspace_id = $1 AND t.id IN (`+threadIDs+`)`,
		workspaceID, arg).Scan(&total); err != nil {
		return 0, nil, fmt.Errorf("count threads: %w", err)
	}
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT t.id, t.subject, t.message_count, t.last_message_at FROM threads t
		WHERE t.workspace_id = $1 AND t.id IN (`+threadIDs+`)
		ORDER BY t.last_message_at DESC, t.id LIMIT $3 OFFSET $4`, workspaceID, arg, limit, max(offset, 0))
	if err != nil {
		return 0, nil, fmt.Errorf("list threads: %w", err)
	}
	var out []*ThreadSummary
	for rows.Next() {
		t := &ThreadSummary{}
		var last int64
		if err := rows.Scan(&t.ID, &t.Subject, &t.MessageCount, &last); err != nil {
			rows.Close()
			return 0, nil, err
		}
		t.LastMessageAt = FromMillis(last)
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	for _, t := range out {
		if err := s.fillThread(ctx, t); err != nil {
			return 0, nil, err
		}
	}
	return total, out, nil
}

// fillThread adds a summary's participants (senders first), holders and
// latest snippet.
func (s *Store) fillThread(ctx context.Context, t *ThreadSummary) error {
	rows, err := s.DB.QueryContext(ctx, `SELECT p.role, p.email, p.name FROM participants p
		JOIN messages m ON m.id = p.message_id WHERE m.thread_id = $1 ORDER BY m.sent_at, m.id, p.position`, t.ID)
	if err != nil {
		return fmt.Errorf("thread participants: %w", err)
	}
	var senders, others []Address
	seen := map[string]bool{}
	for rows.Next() {
		var role string
		var a Address
		if err := rows.Scan(&role, &a.Email, &a.Name); err != nil {
			rows.Close()
			return err
		}
		if a.Email == "" || seen[a.Email] || role == "reply-to" {
			continue
		}
		seen[a.Email] = true
		if role == "from" {
			senders = append(senders, a)
		} else {
			others = append(others, a)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	t.Participants = append(senders, others...)
	if t.Holders, err = s.holders(ctx, `m.thread_id = $1`, t.ID); err != nil {
		return err
	}
	var latest string
	err = s.DB.QueryRowContext(ctx, `SELECT id, snippet FROM messages WHERE thread_id = $1 ORDER BY sent_at DESC, id DESC LIMIT 1`,
		t.ID).Scan(&latest, &t.Snippet)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return fmt.Errorf("thread snippet: %w", err)
	}
	t.SnippetHolders, err = s.holders(ctx, `m.id = $1`, latest)
	return err
}

func (s *Store) holders(ctx context.Context, where string, arg string) ([]Holder, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT DISTINCT a.member_id, c.visibility, i.direction, a.id FROM messages m
		JOIN folder_items i ON i.message_id = m.id
		JOIN channels c ON c.id = i.channel_id
		JOIN connected_accounts a ON a.id = c.account_id
		WHERE `+where, arg)
	if err != nil {
		return nil, fmt.Errorf("message holders: %w", err)
	}
	defer rows.Close()
	var out []Holder
	for rows.Next() {
		var h Holder
		if err := rows.Scan(&h.MemberID, &h.Visibility, &h.Direction, &h.AccountID); err != nil {
			return nil, err
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
	if err := s.fillThread(ctx, t); err != nil {
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
	for _, m := range out {
		if err := s.fillMessage(ctx, m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) fillMessage(ctx context.Context, m *StoredMessage) error {
	rows, err := s.DB.QueryContext(ctx, `SELECT role, email, name, person_id, member_id FROM participants
		WHERE message_id = $1 ORDER BY position`, m.ID)
	if err != nil {
		return fmt.Errorf("message participants: %w", err)
	}
	for rows.Next() {
		var p StoredParticipant
		var person, member sql.NullString
		if err := rows.Scan(&p.Role, &p.Email, &p.Name, &person, &member); err != nil {
			rows.Close()
			return err
		}
		if person.Valid {
			p.PersonID = &person.String
		}
		if member.Valid {
			p.MemberID = &member.String
		}
		m.Participants = append(m.Participants, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	m.Holders, err = s.holders(ctx, `m.id = $1`, m.ID)
	return err
}
