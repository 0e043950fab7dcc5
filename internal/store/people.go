package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Person is a CRM contact.
type Person struct {
	ID               string   `json:"id"`
	FirstName        string   `json:"firstName"`
	LastName         string   `json:"lastName"`
	PrimaryEmail     string   `json:"primaryEmail"`
	AdditionalEmails []string `json:"additionalEmails"`
	CompanyID        *string  `json:"companyId"`
	CreatedBy        string   `json:"createdBy"`
}

// Who made a contact.
const (
	CreatedByUser = "user"
	CreatedBySync = "sync"
)

// NewPerson is what AddPerson needs. Emails[0] is the primary address.
type NewPerson struct {
	FirstName, LastName string
	Emails              []string
	CompanyID           string
	CreatedBy           string
}

// AddPerson creates a person. Its addresses must be free in the workspace
// (ErrConflict otherwise). Past messages from or to them link to the new
// person at once. A person created by a user lifts the suppression of its
// addresses (§5.4: re-creating a deleted contact by hand is allowed).
func (s *Store) AddPerson(ctx context.Context, workspaceID string, in NewPerson) (*Person, error) {
	var p *Person
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		p, err = AddPersonTx(ctx, tx, workspaceID, in)
		return err
	})
	return p, err
}

// AddPersonTx is AddPerson inside the caller's transaction.
func AddPersonTx(ctx context.Context, tx *sql.Tx, workspaceID string, in NewPerson) (*Person, error) {
	emails := normalizeEmails(in.Emails)
	if len(emails) == 0 {
		return nil, fmt.Errorf("a person needs at least one email address")
	}
	p := &Person{ID: NewID(), FirstName: in.FirstName, LastName: in.LastName, PrimaryEmail: emails[0],
		AdditionalEmails: emails[1:], CreatedBy: in.CreatedBy}
	if in.CompanyID != "" {
		p.CompanyID = &in.CompanyID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO people (id, workspace_id, first_name, last_name, company_id, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, p.ID, workspaceID, p.FirstName, p.LastName, nullable(in.CompanyID), in.CreatedBy, now()); err != nil {
		return nil, fmt.Errorf("add person: %w", err)
	}
	for i, e := range emails {
		_, err := tx.ExecContext(ctx, `INSERT INTO person_emails (workspace_id, email, person_id, is_primary) VALUES ($1, $2, $3, $4)`,
			workspaceID, e, p.ID, i == 0)
		if isUniqueViolation(err) {
			return nil, fmt.Errorf("email %s belongs to another person: %w", e, ErrConflict)
		}
		if err != nil {
			return nil, fmt.Errorf("add person email: %w", err)
		}
	}
	if in.CreatedBy == CreatedByUser {
		for _, e := range emails {
			if _, err := tx.ExecContext(ctx, `DELETE FROM suppressions WHERE workspace_id = $1 AND kind = 'email' AND value = $2`,
				workspaceID, e); err != nil {
				return nil, fmt.Errorf("lift suppression: %w", err)
			}
		}
	}
	if err := emitPersonCreated(ctx, tx, workspaceID, p.ID, emails[0], in); err != nil {
		return nil, err
	}
	if err := holdEventCounter(ctx, tx, workspaceID); err != nil {
		return nil, err
	}
	return p, relinkPeople(ctx, tx, workspaceID, emails)
}

func emitPersonCreated(ctx context.Context, tx *sql.Tx, workspaceID, id, email string, in NewPerson) error {
	return emitData(ctx, tx, workspaceID, EventPersonCreated, map[string]any{"id": id, "primaryEmail": email,
		"companyId": nullable(in.CompanyID), "createdBy": in.CreatedBy})
}

func normalizeEmails(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range in {
		e = strings.ToLower(strings.TrimSpace(e))
		if e != "" && !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

// relinkPeople points the participants with these addresses at whoever
// owns each address now (or nobody).
func relinkPeople(ctx context.Context, tx *sql.Tx, workspaceID string, emails []string) error {
	for _, chunk := range chunks(emails, 500) {
		args := append([]any{workspaceID}, anys(chunk)...)
		if _, err := tx.ExecContext(ctx, `UPDATE participants SET person_id = (SELECT pe.person_id FROM person_emails pe
			WHERE pe.workspace_id = participants.workspace_id AND pe.email = participants.email)
			WHERE workspace_id = $1 AND email IN (`+placeholders(2, len(chunk))+`)`, args...); err != nil {
			return fmt.Errorf("re-link messages: %w", err)
		}
		if err := addContactThreadsOfEmails(ctx, tx, workspaceID, chunk); err != nil {
			return err
		}
	}
	return nil
}

const personSelect = `SELECT p.id, p.first_name, p.last_name, p.company_id, p.created_by FROM people p`

// People lists a workspace's people.
func (s *Store) People(ctx context.Context, workspaceID string) ([]*Person, error) {
	return s.people(ctx, personSelect+` WHERE p.workspace_id = $1 ORDER BY p.last_name, p.first_name, p.id`, workspaceID)
}

// Person returns one person.
func (s *Store) Person(ctx context.Context, workspaceID, id string) (*Person, error) {
	ps, err := s.people(ctx, personSelect+` WHERE p.workspace_id = $1 AND p.id = $2`, workspaceID, id)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("person %s: %w", id, ErrNotFound)
	}
	return ps[0], nil
}

func (s *Store) people(ctx context.Context, query string, args ...any) ([]*Person, error) {
	rows, err := s.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list people: %w", err)
	}
	var out []*Person
	byID := map[string]*Person{}
	for rows.Next() {
		p := &Person{AdditionalEmails: []string{}}
		var company sql.NullString
		if err := rows.Scan(&p.ID, &p.FirstName, &p.LastName, &company, &p.CreatedBy); err != nil {
			rows.Close()
			return nil, err
		}
		if company.Valid {
			p.CompanyID = &company.String
		}
		out = append(out, p)
		byID[p.ID] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]string, len(out))
	for i, p := range out {
		ids[i] = p.ID
	}
	for _, chunk := range chunks(ids, 500) {
		if err := s.fillPersonEmails(ctx, byID, chunk); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) fillPersonEmails(ctx context.Context, byID map[string]*Person, ids []string) error {
	rows, err := s.DB.QueryContext(ctx, `SELECT person_id, email, is_primary FROM person_emails
		WHERE person_id IN (`+placeholders(1, len(ids))+`) ORDER BY email`, anys(ids)...)
	if err != nil {
		return fmt.Errorf("list person emails: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, email string
		var primary bool
		if err := rows.Scan(&id, &email, &primary); err != nil {
			return err
		}
		if p := byID[id]; p != nil && primary {
			p.PrimaryEmail = email
		} else if p != nil {
			p.AdditionalEmails = append(p.AdditionalEmails, email)
		}
	}
	return rows.Err()
}

// DeletePerson deletes a person and records a suppression for each of its
// addresses, so that sync never creates it again (§5.4). Its messages stay
// and link to nobody.
func (s *Store) DeletePerson(ctx context.Context, workspaceID, id string) error {
	p, err := s.Person(ctx, workspaceID, id)
	if err != nil {
		return err
	}
	emails := append([]string{p.PrimaryEmail}, p.AdditionalEmails...)
	return s.Tx(ctx, func(tx *sql.Tx) error {
		for _, e := range emails {
			if err := suppress(ctx, tx, workspaceID, "email", e); err != nil {
				return err
			}
		}
		threads, err := threadsOfPeople(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE participants SET person_id = NULL WHERE person_id = $1`, id); err != nil {
			return fmt.Errorf("unlink messages: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM people WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete person: %w", err)
		}
		if err := refreshContactThreads(ctx, tx, threads); err != nil {
			return err
		}
		return emitData(ctx, tx, workspaceID, EventPersonDeleted, map[string]any{"id": id})
	})
}

func suppress(ctx context.Context, tx *sql.Tx, workspaceID, kind, value string) error {
	if value == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO suppressions (workspace_id, kind, value, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, workspaceID, kind, value, now())
	if err != nil {
		return fmt.Errorf("record suppression: %w", err)
	}
	return nil
}
