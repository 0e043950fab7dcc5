package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// ErrLastEmail is returned when removing the only address of a person.
var ErrLastEmail = errors.New("a person needs at least one email address")

// AddPersonEmail gives a person another address (a user's edit). The
// address must be free in the workspace (ErrConflict otherwise); its
// suppression, if any, is lifted, and past messages from or to it link to
// the person at once (SPEC §5.1).
func (s *Store) AddPersonEmail(ctx context.Context, workspaceID, personID, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return errors.New("an email address is required")
	}
	if _, err := s.Person(ctx, workspaceID, personID); err != nil {
		return err
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO person_emails (workspace_id, email, person_id, is_primary)
			VALUES ($1, $2, $3, FALSE)`, workspaceID, email, personID)
		if isUniqueViolation(err) {
			return fmt.Errorf("email %s belongs to a person already: %w", email, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("add person email: %w", err)
		}
		if err := liftSuppression(ctx, tx, workspaceID, email); err != nil {
			return err
		}
		if err := emitPersonUpdated(ctx, tx, workspaceID, personID, "add-email"); err != nil {
			return err
		}
		if err := holdEventCounter(ctx, tx, workspaceID); err != nil {
			return err
		}
		return relinkPeople(ctx, tx, workspaceID, []string{email})
	})
}

// RemovePersonEmail takes an address from a person; past messages from or
// to it then link to nobody. Removing the primary address promotes the
// first additional one; removing the only address is ErrLastEmail (delete
// the person instead). The address is not suppressed: the user said it is
// not this person's, not that it must never become a contact.
func (s *Store) RemovePersonEmail(ctx context.Context, workspaceID, personID, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	p, err := s.Person(ctx, workspaceID, personID)
	if err != nil {
		return err
	}
	rest := make([]string, 0, len(p.AdditionalEmails))
	found := p.PrimaryEmail == email
	for _, e := range p.AdditionalEmails {
		if e == email {
			found = true
		} else {
			rest = append(rest, e)
		}
	}
	switch {
	case !found:
		return fmt.Errorf("person %s has no address %s: %w", personID, email, ErrNotFound)
	case p.PrimaryEmail == email && len(rest) == 0:
		return fmt.Errorf("%s is the only address of person %s: %w", email, personID, ErrLastEmail)
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM person_emails WHERE workspace_id = $1 AND email = $2 AND person_id = $3`,
			workspaceID, email, personID); err != nil {
			return fmt.Errorf("remove person email: %w", err)
		}
		if p.PrimaryEmail == email {
			if _, err := tx.ExecContext(ctx, `UPDATE person_emails SET is_primary = TRUE WHERE workspace_id = $1 AND email = $2`,
				workspaceID, rest[0]); err != nil {
				return fmt.Errorf("promote primary email: %w", err)
			}
		}
		if err := emitPersonUpdated(ctx, tx, workspaceID, personID, "remove-email"); err != nil {
			return err
		}
		if err := relinkPeople(ctx, tx, workspaceID, []string{email}); err != nil {
			return err
		}
		threads, err := threadsOfEmail(ctx, tx, workspaceID, email)
		if err != nil {
			return err
		}
		return refreshContactThreads(ctx, tx, threads)
	})
}

// MergePeople merges person other into person keep: keep gains other's
// addresses (as additional ones), and its own empty name or company are
// filled from other's; other's messages link to keep; other is deleted
// without a suppression (its addresses live on in keep).
func (s *Store) MergePeople(ctx context.Context, workspaceID, keepID, otherID string) (*Person, error) {
	if keepID == otherID {
		return nil, errors.New("cannot merge a person into itself")
	}
	keep, err := s.Person(ctx, workspaceID, keepID)
	if err != nil {
		return nil, err
	}
	other, err := s.Person(ctx, workspaceID, otherID)
	if err != nil {
		return nil, err
	}
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		threads, err := threadsOfPeople(ctx, tx, keepID, otherID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE person_emails SET person_id = $1, is_primary = FALSE
			WHERE workspace_id = $2 AND person_id = $3`, keepID, workspaceID, otherID); err != nil {
			return fmt.Errorf("move addresses: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE participants SET person_id = $1 WHERE person_id = $2`, keepID, otherID); err != nil {
			return fmt.Errorf("re-link messages: %w", err)
		}
		first, last := keep.FirstName, keep.LastName
		if first == "" && last == "" {
			first, last = other.FirstName, other.LastName
		}
		company := keep.CompanyID
		if company == nil {
			company = other.CompanyID
		}
		if _, err := tx.ExecContext(ctx, `UPDATE people SET first_name = $1, last_name = $2, company_id = $3 WHERE id = $4`,
			first, last, company, keepID); err != nil {
			return fmt.Errorf("update merged person: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM people WHERE id = $1`, otherID); err != nil {
			return fmt.Errorf("delete merged person: %w", err)
		}
		if err := refreshContactThreads(ctx, tx, threads); err != nil {
			return err
		}
		if err := emitPersonUpdated(ctx, tx, workspaceID, keepID, "merge"); err != nil {
			return err
		}
		return emitData(ctx, tx, workspaceID, EventPersonDeleted, map[string]any{"id": otherID, "mergedInto": keepID})
	})
	if err != nil {
		return nil, err
	}
	return s.Person(ctx, workspaceID, keepID)
}

func liftSuppression(ctx context.Context, tx *sql.Tx, workspaceID, email string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM suppressions WHERE workspace_id = $1 AND kind = 'email' AND value = $2`,
		workspaceID, email); err != nil {
		return fmt.Errorf("lift suppression: %w", err)
	}
	return nil
}

// Suppressed reports whether sync may not create a person for an address
// (a person with it was deleted).
func (s *Store) Suppressed(ctx context.Context, workspaceID, email string) (bool, error) {
	var n int
	err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM suppressions WHERE workspace_id = $1 AND kind = 'email' AND value = $2`,
		workspaceID, strings.ToLower(strings.TrimSpace(email))).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("find suppression: %w", err)
	}
	return n > 0, nil
}

// emitPersonUpdated records a change to a person: change says which
// (add-email, remove-email, merge).
func emitPersonUpdated(ctx context.Context, tx *sql.Tx, workspaceID, id, change string) error {
	return emitData(ctx, tx, workspaceID, EventPersonUpdated, map[string]any{"id": id, "change": change})
}
