// Package contacts applies the contact rules to imported mail: it asks
// package policy who should become a Person (and Company), creates them
// idempotently in the sync's transaction, and records every outcome for
// "why?". It decides nothing itself: the decisions are policy's.
package contacts

import (
	"context"
	"database/sql"
	"maps"
	"slices"

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
//
// Creation is idempotent (SPEC §5.3): an address a Person already owns,
// perhaps since a moment ago by another mailbox's import, is linked, not
// created again. Companies are created first, then people, each in sorted
// order, so that concurrent imports take their locks in one order and do
// not deadlock on each other.
func Apply(ctx context.Context, tx *sql.Tx, workspaceID, channelID string, mb policy.Mailbox,
	dir policy.Directory, msgs []Message) (created int, err error) {
	type pending struct {
		key string
		d   policy.ContactDecision
	}
	var all []pending
	var emails []string
	for _, m := range msgs {
		for _, d := range policy.DecideContacts(mb, m.Policy, dir) {
			all = append(all, pending{m.Key, d})
			if d.Email != "" {
				emails = append(emails, d.Email)
			}
		}
	}
	existing, err := store.PersonIDsByEmail(ctx, tx, workspaceID, emails)
	if err != nil {
		return 0, err
	}
	toCreate := map[string]policy.ContactDecision{} // the first decision to create each address
	for _, p := range all {
		if _, taken := existing[p.d.Email]; p.d.Outcome == policy.OutcomeCreated && !taken {
			if _, seen := toCreate[p.d.Email]; !seen {
				toCreate[p.d.Email] = p.d
			}
		}
	}
	made, err := create(ctx, tx, workspaceID, toCreate)
	if err != nil {
		return 0, err
	}
	outcomes := make([]store.MessageContactOutcome, 0, len(all))
	for _, p := range all {
		o := store.MessageContactOutcome{MessageKey: p.key,
			ContactOutcome: store.ContactOutcome{Email: p.d.Email, Outcome: p.d.Outcome, Reason: p.d.Reason}}
		_, owned := toCreate[p.d.Email]
		switch {
		case p.d.Email == "":
			// A malformed address: nothing to link.
		case made[p.d.Email] && p.d.Outcome == policy.OutcomeCreated:
			made[p.d.Email] = false // the first message creating it says so
			created++
		case existing[p.d.Email] != "" || owned:
			// Whatever the rules say, a person owning the address is
			// linked (a person may well have a Gmail address, §4.3).
			o.Outcome, o.Reason = policy.OutcomeLinked, policy.ReasonExists
		}
		outcomes = append(outcomes, o)
	}
	return created, store.PutContactOutcomes(ctx, tx, channelID, outcomes)
}

// create creates the people of toCreate with their companies and reports,
// per address, whether this transaction made the person (false: another
// import owned the address first).
func create(ctx context.Context, tx *sql.Tx, workspaceID string, toCreate map[string]policy.ContactDecision) (map[string]bool, error) {
	emails := slices.Sorted(maps.Keys(toCreate))
	names := map[string]string{}
	for _, d := range toCreate {
		if d.CompanyDomain != "" && names[d.CompanyDomain] == "" {
			names[d.CompanyDomain] = d.CompanyName
		}
	}
	companies := map[string]string{}
	for _, domain := range slices.Sorted(maps.Keys(names)) {
		id, err := store.EnsureCompany(ctx, tx, workspaceID, domain, names[domain])
		if err != nil {
			return nil, err
		}
		companies[domain] = id
	}
	made := make(map[string]bool, len(emails))
	for _, e := range emails {
		d := toCreate[e]
		_, ok, err := store.CreatePersonIfAbsent(ctx, tx, workspaceID, store.NewPerson{FirstName: d.FirstName,
			LastName: d.LastName, Emails: []string{d.Email}, CompanyID: companies[d.CompanyDomain], CreatedBy: store.CreatedBySync})
		if err != nil {
			return nil, err
		}
		made[e] = ok
	}
	return made, nil
}
