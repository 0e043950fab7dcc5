// Package contacts applies the contact rules to imported mail: it asks
// package policy who should become a Person (and Company), creates them
// idempotently in the sync's transaction, and records every outcome for
// "why?". It decides nothing itself: the decisions are policy's.
package contacts

import (
	"context"
	"database/sql"

	"github.com/mailsync/mailsync/internal/policy"
	"github.com/mailsync/mailsync/internal/store"
)

// Message is an imported message with the facts the rules need.
type Message struct {
	Key    string
	Policy policy.Message
}

// Apply creates the contacts a batch of imported messages calls for and
// records, per message and address, what was done and why.
func Apply(ctx context.Context, tx *sql.Tx, workspaceID, channelID string, mb policy.Mailbox,
	dir policy.Directory, msgs []Message) (created int, err error) {
	type pending struct {
		key string
		d   policy.ContactDecision
	}
	var all []pending
	var emails []string
	seen := map[string]bool{}
	for _, m := range msgs {
		for _, d := range policy.DecideContacts(mb, m.Policy, dir) {
			all = append(all, pending{m.Key, d})
			if d.Email != "" && !seen[d.Email] {
				seen[d.Email] = true
				emails = append(emails, d.Email)
			}
		}
	}
	existing, err := store.PersonIDsByEmail(ctx, tx, workspaceID, emails)
	if err != nil {
		return 0, err
	}
	companies := map[string]string{} // domain -> id, for this batch
	outcomes := make([]store.MessageContactOutcome, 0, len(all))
	for _, p := range all {
		o := store.MessageContactOutcome{MessageKey: p.key,
			ContactOutcome: store.ContactOutcome{Email: p.d.Email, Outcome: p.d.Outcome, Reason: p.d.Reason}}
		switch {
		case p.d.Email == "":
			// A malformed address: nothing to link.
		case existing[p.d.Email] != "":
			// Whatever the rules say, an existing person is linked (a
			// person may well have a Gmail address, §4.3).
			o.Outcome, o.Reason = policy.OutcomeLinked, policy.ReasonExists
		case p.d.Outcome == policy.OutcomeCreated:
			id, made, err := createPerson(ctx, tx, workspaceID, p.d, companies)
			if err != nil {
				return created, err
			}
			existing[p.d.Email] = id
			if made {
				created++
			} else {
				o.Outcome, o.Reason = policy.OutcomeLinked, policy.ReasonExists
			}
		}
		outcomes = append(outcomes, o)
	}
	return created, store.PutContactOutcomes(ctx, tx, channelID, outcomes)
}

func createPerson(ctx context.Context, tx *sql.Tx, workspaceID string, d policy.ContactDecision,
	companies map[string]string) (string, bool, error) {
	var companyID string
	if d.CompanyDomain != "" {
		companyID = companies[d.CompanyDomain]
		if companyID == "" {
			id, err := store.EnsureCompany(ctx, tx, workspaceID, d.CompanyDomain, d.CompanyName)
			if err != nil {
				return "", false, err
			}
			companies[d.CompanyDomain], companyID = id, id
		}
	}
	return store.CreatePersonIfAbsent(ctx, tx, workspaceID, store.NewPerson{FirstName: d.FirstName, LastName: d.LastName,
		Emails: []string{d.Email}, CompanyID: companyID, CreatedBy: store.CreatedBySync})
}
