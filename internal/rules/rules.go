// Package rules makes changes of the import rules act on mail already
// synced (SPEC §4.4, §4.2 and §4.1): blocking an address removes its past
// mail from the member's mailboxes, unblocking it brings that mail back, and
// so do turning "exclude group emails" on or off and the workspace's
// "import internal mail" off or on. The CLI and the web UI call it; the
// sync calls ApplyPending so that no change is ever lost.
//
// It decides nothing itself (package policy does, from the facts stored
// with each item) and fetches nothing: an item a rule no longer keeps out
// is marked, and the next sync fetches it again.
package rules

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mailsync/mailsync/internal/policy"
	"github.com/mailsync/mailsync/internal/store"
)

// Result says what a rule change did to past mail.
type Result struct {
	// Removed counts imported items the rules now skip: the message left
	// the mailbox.
	Removed int `json:"removed"`
	// Deleted counts messages deleted because no mailbox holds them any
	// more (a colleague's copy keeps a message).
	Deleted int `json:"deleted"`
	// Refetch counts skipped items the next sync fetches again, because
	// no rule keeps them out now.
	Refetch int `json:"refetch"`
	// Pending lists accounts being synced right now: the change applies
	// to them when that sync ends.
	Pending []string `json:"pending"`
	// Resync lists the accounts whose next sync has work from the change:
	// messages to fetch again, or the change itself when pending. Callers
	// ask for a sync of each.
	Resync []string `json:"resync"`
}

func (r *Result) add(o Result) {
	r.Removed += o.Removed
	r.Deleted += o.Deleted
	r.Refetch += o.Refetch
	r.Pending = append(r.Pending, o.Pending...)
	r.Resync = append(r.Resync, o.Resync...)
}

// leaseTTL bounds how long a crashed re-decision can hold a mailbox.
const leaseTTL = 2 * time.Minute

// chunkSize is how many items are re-decided per transaction.
const chunkSize = 500

// AddBlocklistEntry adds an entry (normalized by
// policy.ValidBlocklistEntry) to a member's blocklist and removes the
// matching messages already imported into the member's mailboxes.
func AddBlocklistEntry(ctx context.Context, st *store.Store, memberID, entry string) (Result, error) {
	if err := st.AddBlocklistEntry(ctx, memberID, entry); err != nil {
		return Result{}, err
	}
	return applyMember(ctx, st, memberID)
}

// RemoveBlocklistEntry removes an entry from a member's blocklist and
// marks what it kept out of the member's mailboxes for the next sync to
// fetch again (unless another rule still keeps it out).
func RemoveBlocklistEntry(ctx context.Context, st *store.Store, memberID, entry string) (Result, error) {
	if err := st.RemoveBlocklistEntry(ctx, memberID, entry); err != nil {
		return Result{}, err
	}
	return applyMember(ctx, st, memberID)
}

// UpdateSettings changes a mailbox's settings and applies to its past
// mail those that decide what is imported ("exclude group emails").
// The others (auto-creation, personal providers, sharing level) apply to
// the next sync or the next read.
func UpdateSettings(ctx context.Context, st *store.Store, workspaceID, accountID string, in store.ChannelSettings) (Result, error) {
	if err := st.UpdateChannelSettings(ctx, workspaceID, accountID, in); err != nil {
		return Result{}, err
	}
	return ApplyNow(ctx, st, accountID)
}

// SetImportInternal turns the workspace's import of internal mail (SPEC
// §4.1) on or off and re-decides the past mail of all its mailboxes: off,
// internal mail already imported leaves them at once; on, the internal
// mail they skipped is marked for the next sync to fetch again.
func SetImportInternal(ctx context.Context, st *store.Store, workspaceID string, on bool) (Result, error) {
	if err := st.SetImportInternal(ctx, workspaceID, on); err != nil {
		return Result{}, err
	}
	ids, err := st.WorkspaceAccountIDs(ctx, workspaceID)
	if err != nil {
		return Result{}, err
	}
	return ApplyNow(ctx, st, ids...)
}

func applyMember(ctx context.Context, st *store.Store, memberID string) (Result, error) {
	ids, err := st.MemberAccountIDs(ctx, memberID)
	if err != nil {
		return Result{}, err
	}
	return ApplyNow(ctx, st, ids...)
}

// ApplyNow re-decides the past mail of each account whose rules changed,
// unless a sync holds the account: that sync applies the change when it
// ends, and the account is listed in Result.Pending.
func ApplyNow(ctx context.Context, st *store.Store, accountIDs ...string) (Result, error) {
	var total Result
	for _, id := range accountIDs {
		res, err := applyLeased(ctx, st, id)
		if err != nil {
			return total, err
		}
		total.add(res)
	}
	return total, nil
}

func applyLeased(ctx context.Context, st *store.Store, accountID string) (Result, error) {
	a, err := st.AccountByID(ctx, accountID)
	if err != nil {
		return Result{}, err
	}
	owner := "rules:" + store.NewSecret()[:16]
	renew := func(ctx context.Context) error {
		ok, err := st.AcquireLease(ctx, a.ChannelID, owner, time.Now().Add(leaseTTL))
		if err == nil && !ok {
			err = errors.New("another process took the mailbox")
		}
		return err
	}
	ok, err := st.AcquireLease(ctx, a.ChannelID, owner, time.Now().Add(leaseTTL))
	if err != nil {
		return Result{}, err
	}
	if !ok {
		return Result{Pending: []string{accountID}, Resync: []string{accountID}}, nil
	}
	defer st.ReleaseLease(context.WithoutCancel(ctx), a.ChannelID, owner)
	res, err := applyPending(ctx, st, accountID, renew)
	if res.Refetch > 0 {
		res.Resync = append(res.Resync, accountID)
	}
	return res, err
}

// ApplyPending re-decides an account's past mail if its rules changed
// since they were last applied. The caller holds the account's sync
// lease: the sync calls it before fetching and again when done.
func ApplyPending(ctx context.Context, st *store.Store, accountID string) (Result, error) {
	return applyPending(ctx, st, accountID, nil)
}

func applyPending(ctx context.Context, st *store.Store, accountID string, renew func(context.Context) error) (Result, error) {
	a, err := st.AccountForSync(ctx, accountID)
	if err != nil {
		return Result{}, err
	}
	version, pending, err := st.PendingRules(ctx, a.ChannelID)
	if err != nil || !pending {
		return Result{}, err
	}
	// Read the rules after the version: they are at least that recent.
	a, err = st.AccountForSync(ctx, accountID)
	if err != nil {
		return Result{}, err
	}
	res, err := reapply(ctx, st, a, renew)
	if err != nil {
		return res, fmt.Errorf("apply rule changes to %s: %w", a.Handle, err)
	}
	return res, st.SetRulesApplied(ctx, a.ChannelID, version)
}

// MailboxRules gathers what the import rules need to know about an
// account: its addresses and settings, its owner's blocklist, its
// workspace's domains.
func MailboxRules(ctx context.Context, st *store.Store, a *store.Account) (policy.Mailbox, error) {
	ws, err := st.Workspace(ctx, a.WorkspaceID)
	if err != nil {
		return policy.Mailbox{}, err
	}
	blocklist, err := st.Blocklist(ctx, a.MemberID)
	if err != nil {
		return policy.Mailbox{}, err
	}
	return policy.Mailbox{
		Handle:          a.Handle,
		Aliases:         a.Aliases,
		OwnDomains:      ws.Domains,
		ImportInternal:  ws.ImportInternal,
		ExcludeGroup:    a.ExcludeGroup,
		ExcludePersonal: a.ExcludePersonal,
		AutoCreate:      a.AutoCreate,
		Blocklist:       blocklist,
	}, nil
}

// reapply re-decides every imported or rule-skipped item of an account
// with the current rules, a chunk per transaction.
func reapply(ctx context.Context, st *store.Store, a *store.Account, renew func(context.Context) error) (Result, error) {
	mb, err := MailboxRules(ctx, st, a)
	if err != nil {
		return Result{}, err
	}
	var res Result
	var after store.RuleItem
	for {
		items, err := st.RuleItems(ctx, a.ChannelID, after, chunkSize)
		if err != nil || len(items) == 0 {
			return res, err
		}
		after = items[len(items)-1]
		changes, err := decideChunk(ctx, st, mb, items, &res)
		if err != nil {
			return res, err
		}
		deleted, err := st.ChangeItems(ctx, a.WorkspaceID, a.ChannelID, changes)
		if err != nil {
			return res, err
		}
		res.Deleted += deleted
		if renew != nil {
			if err := renew(ctx); err != nil {
				return res, err
			}
		}
	}
}

// decideChunk returns the changes the current rules make to items.
func decideChunk(ctx context.Context, st *store.Store, mb policy.Mailbox, items []store.RuleItem, res *Result) ([]store.ItemChange, error) {
	// Items stored before facts were recorded: read what the store has.
	var legacy []string
	for _, it := range items {
		if it.Facts == "" && it.Status == store.ItemImported && it.MessageID != "" {
			legacy = append(legacy, it.MessageID)
		}
	}
	parts, err := st.MessageParticipants(ctx, legacy)
	if err != nil {
		return nil, err
	}
	var changes []store.ItemChange
	for _, it := range items {
		c, changed := decide(mb, it, parts)
		if !changed {
			continue
		}
		switch {
		case c.Skip:
			res.Removed++
		case c.Refetch && !it.Refetch:
			res.Refetch++
		}
		changes = append(changes, c)
	}
	return changes, nil
}

// ruleSkipped reports whether a skip came from an import rule (and may
// change with the rules), not from a parse failure or a folder choice.
func ruleSkipped(rule string) bool {
	switch rule {
	case policy.RuleBlocklist, policy.RuleInternal, policy.RuleGroupSender, policy.RuleBulk:
		return true
	}
	return false
}

// decide re-decides one item; changed is false when nothing changes.
func decide(mb policy.Mailbox, it store.RuleItem, parts map[string][]store.NewParticipant) (c store.ItemChange, changed bool) {
	c = store.ItemChange{FolderID: it.FolderID, UID: it.UID}
	if it.Status == store.ItemSkipped && !ruleSkipped(it.Rule) {
		return c, false
	}
	m, known := itemFacts(it, parts)
	if !known {
		// A skipped item stored without facts: only fetching it again
		// can tell whether a rule still keeps it out.
		c.Rule, c.Detail, c.Refetch = it.Rule, it.Detail, true
		return c, it.Status == store.ItemSkipped && !it.Refetch
	}
	d := policy.DecideImport(mb, m)
	if it.Status == store.ItemImported {
		if d.Import {
			return c, false
		}
		c.Skip, c.Rule, c.Detail = true, d.Rule, d.Detail
		return c, true
	}
	if d.Import {
		c.Rule, c.Detail, c.Refetch = it.Rule, it.Detail, true
	} else {
		c.Rule, c.Detail = d.Rule, d.Detail
	}
	return c, c.Rule != it.Rule || c.Detail != it.Detail || c.Refetch != it.Refetch
}

// itemFacts rebuilds what the rules read of an item's message.
func itemFacts(it store.RuleItem, parts map[string][]store.NewParticipant) (policy.Message, bool) {
	if it.Facts != "" {
		m, err := DecodeFacts(it.Facts)
		return m, err == nil
	}
	if it.Status != store.ItemImported {
		return policy.Message{}, false
	}
	var m policy.Message
	for _, p := range parts[it.MessageID] {
		m.Participants = append(m.Participants, policy.Participant{Role: p.Role, Email: p.Email, Name: p.Name})
	}
	return m, len(m.Participants) > 0
}
