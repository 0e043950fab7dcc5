package store

import (
	"context"
	"database/sql"
	"fmt"
)

// The Emails tabs read person_threads and company_threads (migration
// 0012): a row per (person, thread) where the person is a participant of
// a message of the thread, and per (company, thread) where one of the
// company's people is, each with the thread's last_message_at. They are
// derived data, kept here in the same transaction as every write that
// changes what they derive from:
//
//   - a batch's new participants add their pairs (addBatchContactThreads);
//   - an address that gains an owner links its past participants
//     (relinkPeople: addContactThreadsOfEmails), and so do the
//     participants LinkUnlinked links (addContactThreadsOfMessages);
//   - a thread's date changes (refreshThread(s): syncContactThreadDates);
//   - threads merge (mergeThreads: moveContactThreads, then the merged-away
//     threads' rows go with them, ON DELETE CASCADE);
//   - anything that can take a thread away from a contact (a message
//     deleted, a person deleted or merged, an address removed from a
//     person, a person's company changed) recomputes the pairs of the
//     threads it touched (refreshContactThreads).
//
// Adding is cheap and runs on the import path, a fixed number of
// statements per batch; recomputing reads every participant of the
// threads and runs only on users' edits and deletions.

// addContactThreads records the person and company pairs of the
// participants p that where selects (its arguments numbered from $1),
// with their threads' current dates.
func addContactThreads(ctx context.Context, tx *sql.Tx, where string, args ...any) error {
	if err := lockThreads(ctx, tx, `SELECT p.thread_id FROM participants p WHERE `+where, args...); err != nil {
		return err
	}
	for _, q := range []string{
		`INSERT INTO person_threads (person_id, thread_id, last_message_at)
			SELECT DISTINCT p.person_id, p.thread_id, t.last_message_at
			FROM participants p JOIN threads t ON t.id = p.thread_id
			WHERE p.person_id IS NOT NULL AND ` + where + ` ORDER BY 1, 2 ON CONFLICT DO NOTHING`,
		`INSERT INTO company_threads (company_id, thread_id, last_message_at)
			SELECT DISTINCT pe.company_id, p.thread_id, t.last_message_at
			FROM participants p JOIN people pe ON pe.id = p.person_id JOIN threads t ON t.id = p.thread_id
			WHERE pe.company_id IS NOT NULL AND ` + where + ` ORDER BY 1, 2 ON CONFLICT DO NOTHING`,
	} {
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("add contact threads: %w", err)
		}
	}
	return nil
}

// addBatchContactThreads records the pairs of a batch's new messages: two
// statements per 500 messages. Their threads' dates are final by then
// (refreshThreads ran).
func addBatchContactThreads(ctx context.Context, tx *sql.Tx, ids map[string]string, fresh []*NewMessage) error {
	msgIDs := make([]string, len(fresh))
	for i, m := range fresh {
		msgIDs[i] = ids[m.Key]
	}
	return addContactThreadsOfMessages(ctx, tx, msgIDs)
}

// addContactThreadsOfMessages records the pairs of these messages'
// participants.
func addContactThreadsOfMessages(ctx context.Context, tx *sql.Tx, msgIDs []string) error {
	for _, chunk := range chunks(msgIDs, 500) {
		if err := addContactThreads(ctx, tx, `p.message_id IN (`+placeholders(1, len(chunk))+`)`, anys(chunk)...); err != nil {
			return err
		}
	}
	return nil
}

// addContactThreadsOfEmails records the pairs of the participants with
// these addresses, once they link to the addresses' owners.
func addContactThreadsOfEmails(ctx context.Context, tx *sql.Tx, workspaceID string, emails []string) error {
	args := append([]any{workspaceID}, anys(emails)...)
	return addContactThreads(ctx, tx, `p.workspace_id = $1 AND p.email IN (`+placeholders(2, len(emails))+`)`, args...)
}

// syncContactThreadDates copies the threads' dates, just refreshed, to
// their rows: two statements, writing only the rows whose date moved.
func syncContactThreadDates(ctx context.Context, tx *sql.Tx, threadIDs []string) error {
	for _, table := range []string{"person_threads", "company_threads"} {
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET last_message_at = t.last_message_at
			FROM threads t WHERE t.id = `+table+`.thread_id AND `+table+`.last_message_at <> t.last_message_at
			AND t.id IN (`+placeholders(1, len(threadIDs))+`)`, anys(threadIDs)...); err != nil {
			return fmt.Errorf("contact thread dates: %w", err)
		}
	}
	return nil
}

// moveContactThreads gives thread keep the contacts of the threads merged
// into it; their own rows are deleted with them. keep's date is synced
// when it is refreshed, right after.
func moveContactThreads(ctx context.Context, tx *sql.Tx, keep string, others []string) error {
	args := append([]any{keep}, anys(others)...)
	for _, q := range []string{
		`INSERT INTO person_threads (person_id, thread_id, last_message_at)
			SELECT person_id, $1, MAX(last_message_at) FROM person_threads WHERE thread_id IN (%s)
			GROUP BY person_id ORDER BY 1 ON CONFLICT DO NOTHING`,
		`INSERT INTO company_threads (company_id, thread_id, last_message_at)
			SELECT company_id, $1, MAX(last_message_at) FROM company_threads WHERE thread_id IN (%s)
			GROUP BY company_id ORDER BY 1 ON CONFLICT DO NOTHING`,
	} {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(q, placeholders(2, len(others))), args...); err != nil {
			return fmt.Errorf("merge contact threads: %w", err)
		}
	}
	return nil
}

// refreshContactThreads recomputes the pairs of these threads from their
// participants and the people's companies: four statements per 500
// threads, reading every participant of them. Threads deleted meanwhile
// have no rows left (ON DELETE CASCADE) and get none.
func refreshContactThreads(ctx context.Context, tx *sql.Tx, threadIDs []string) error {
	for _, chunk := range chunks(threadIDs, 500) {
		in := placeholders(1, len(chunk))
		if err := lockThreads(ctx, tx, `SELECT id FROM threads WHERE id IN (`+in+`)`, anys(chunk)...); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM person_threads WHERE thread_id IN (` + in + `) AND NOT EXISTS (SELECT 1 FROM participants p
				WHERE p.person_id = person_threads.person_id AND p.thread_id = person_threads.thread_id)`,
			`INSERT INTO person_threads (person_id, thread_id, last_message_at)
				SELECT DISTINCT p.person_id, m.thread_id, t.last_message_at
				FROM messages m JOIN participants p ON p.message_id = m.id JOIN threads t ON t.id = m.thread_id
				WHERE m.thread_id IN (` + in + `) AND p.person_id IS NOT NULL ORDER BY 1, 2 ON CONFLICT DO NOTHING`,
			`DELETE FROM company_threads WHERE thread_id IN (` + in + `) AND NOT EXISTS (SELECT 1 FROM person_threads pt
				JOIN people pe ON pe.id = pt.person_id
				WHERE pt.thread_id = company_threads.thread_id AND pe.company_id = company_threads.company_id)`,
			`INSERT INTO company_threads (company_id, thread_id, last_message_at)
				SELECT DISTINCT pe.company_id, pt.thread_id, pt.last_message_at
				FROM person_threads pt JOIN people pe ON pe.id = pt.person_id
				WHERE pt.thread_id IN (` + in + `) AND pe.company_id IS NOT NULL ORDER BY 1, 2 ON CONFLICT DO NOTHING`,
		} {
			if _, err := tx.ExecContext(ctx, q, anys(chunk)...); err != nil {
				return fmt.Errorf("refresh contact threads: %w", err)
			}
		}
	}
	return nil
}

// lockThreads takes a key-share lock on the threads that threadIDs (a
// query of thread ids) names, on PostgreSQL: a thread that a concurrent
// merge (RepairThreads, another mailbox's batch) is deleting is waited
// for, then left out, where a row inserted for it would fail on the
// foreign key once the merge commits; a thread locked here cannot be
// deleted until this transaction ends. SQLite runs one write transaction
// at a time.
func lockThreads(ctx context.Context, tx *sql.Tx, threadIDs string, args ...any) error {
	if ev, ok := open.Load(tx); !ok || !ev.(*txEvents).postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT id FROM threads WHERE id IN (`+threadIDs+`) FOR KEY SHARE`, args...); err != nil {
		return fmt.Errorf("lock threads: %w", err)
	}
	return nil
}

// threadsOfPeople returns the threads listed on these people's tabs, to
// refresh once an edit has changed their links or company.
func threadsOfPeople(ctx context.Context, tx *sql.Tx, personIDs ...string) ([]string, error) {
	return queryStrings(ctx, tx, "threads of people", `SELECT DISTINCT thread_id FROM person_threads WHERE person_id IN (`+
		placeholders(1, len(personIDs))+`)`, anys(personIDs)...)
}

// threadsOfEmail returns the threads with a participant with this
// address.
func threadsOfEmail(ctx context.Context, tx *sql.Tx, workspaceID, email string) ([]string, error) {
	return queryStrings(ctx, tx, "threads of an address", `SELECT DISTINCT thread_id FROM participants WHERE workspace_id = $1 AND email = $2`,
		workspaceID, email)
}

// RebuildContactThreads recomputes a workspace's Emails tab lists from
// scratch, as migration 0012 built them. For tools that write the tables
// directly (bench/readbench's generator).
func (s *Store) RebuildContactThreads(ctx context.Context, workspaceID string) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM person_threads WHERE person_id IN (SELECT id FROM people WHERE workspace_id = $1)`,
			`DELETE FROM company_threads WHERE company_id IN (SELECT id FROM companies WHERE workspace_id = $1)`,
			`INSERT INTO person_threads (person_id, thread_id, last_message_at)
				SELECT DISTINCT p.person_id, p.thread_id, t.last_message_at
				FROM participants p JOIN threads t ON t.id = p.thread_id
				WHERE p.workspace_id = $1 AND p.person_id IS NOT NULL`,
			`INSERT INTO company_threads (company_id, thread_id, last_message_at)
				SELECT DISTINCT pe.company_id, pt.thread_id, pt.last_message_at
				FROM person_threads pt JOIN people pe ON pe.id = pt.person_id
				WHERE pe.workspace_id = $1 AND pe.company_id IS NOT NULL`,
		} {
			if _, err := tx.ExecContext(ctx, q, workspaceID); err != nil {
				return fmt.Errorf("rebuild contact threads: %w", err)
			}
		}
		return nil
	})
}
