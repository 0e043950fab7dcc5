package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Decision is what happened to one message in one mailbox, for "why?".
type Decision struct {
	MessageKey string
	Folder     string
	Status     string // imported | skipped | failed
	Rule       string
	Detail     string
	Contacts   []ContactOutcome
}

// ContactOutcome is how one participant was treated as a contact.
type ContactOutcome struct {
	Email   string `json:"email"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
}

// MessageContactOutcome is a ContactOutcome of one message.
type MessageContactOutcome struct {
	MessageKey string
	ContactOutcome
}

// PutContactOutcomes records contact decisions of a batch of messages in
// one statement per few hundred rows.
func PutContactOutcomes(ctx context.Context, tx *sql.Tx, channelID string, outcomes []MessageContactOutcome) error {
	const cols = 5
	for start := 0; start < len(outcomes); start += 300 {
		end := min(start+300, len(outcomes))
		var b strings.Builder
		args := make([]any, 0, cols*(end-start))
		for i, o := range outcomes[start:end] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + placeholders(len(args)+1, cols) + ")")
			args = append(args, channelID, o.MessageKey, o.Email, o.Outcome, o.Reason)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO contact_decisions (channel_id, message_key, email, outcome, reason)
			VALUES `+b.String()+` ON CONFLICT (channel_id, message_key, email) DO UPDATE SET
			outcome = excluded.outcome, reason = excluded.reason`, args...)
		if err != nil {
			return fmt.Errorf("record contact decisions: %w", err)
		}
	}
	return nil
}

// Decisions returns what happened to a message (by Message-ID) in an
// account's folders, one entry per folder holding it.
func (s *Store) Decisions(ctx context.Context, accountID, messageKey string) ([]*Decision, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT i.message_key, f.name, i.status, i.rule, i.detail
		FROM folder_items i JOIN folders f ON f.id = i.folder_id
		JOIN channels c ON c.id = i.channel_id
		WHERE c.account_id = $1 AND i.message_key = $2 ORDER BY f.name`, accountID, messageKey)
	if err != nil {
		return nil, fmt.Errorf("find decisions: %w", err)
	}
	var out []*Decision
	for rows.Next() {
		d := &Decision{}
		if err := rows.Scan(&d.MessageKey, &d.Folder, &d.Status, &d.Rule, &d.Detail); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	crows, err := s.DB.QueryContext(ctx, `SELECT d.email, d.outcome, d.reason FROM contact_decisions d
		JOIN channels c ON c.id = d.channel_id WHERE c.account_id = $1 AND d.message_key = $2 ORDER BY d.email`,
		accountID, messageKey)
	if err != nil {
		return nil, fmt.Errorf("find contact decisions: %w", err)
	}
	defer crows.Close()
	var contacts []ContactOutcome
	for crows.Next() {
		var c ContactOutcome
		if err := crows.Scan(&c.Email, &c.Outcome, &c.Reason); err != nil {
			return nil, err
		}
		contacts = append(contacts, c)
	}
	for _, d := range out {
		d.Contacts = contacts
	}
	return out, crows.Err()
}
