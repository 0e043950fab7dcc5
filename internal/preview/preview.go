// Package preview shows what connecting a mailbox would do: which of its
// newest messages the import rules would take or skip, and which people and
// companies the contact rules would create. It runs the real rules (package
// policy, as ingest and contacts apply them) and stores nothing.
package preview

import (
	"container/heap"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/mailsync/mailsync/internal/accounts"
	"github.com/mailsync/mailsync/internal/ingest"
	"github.com/mailsync/mailsync/internal/mime"
	"github.com/mailsync/mailsync/internal/policy"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/rules"
	"github.com/mailsync/mailsync/internal/store"
)

// DefaultLimit is how many of the newest messages a preview reads.
const DefaultLimit = 500

// Result is the preview document (CONTRACT part 2, "Preview before connecting").
type Result struct {
	Listed      int            `json:"listed"`
	WouldImport int            `json:"wouldImport"`
	WouldSkip   map[string]int `json:"wouldSkip"`
	WouldCreate Creations      `json:"wouldCreate"`
	Failed      int            `json:"failed"` // messages that did not parse
}

// Creations are the contacts an import would create.
type Creations struct {
	People    []Person  `json:"people"`
	Companies []Company `json:"companies"`
}

// Person is a person an import would create.
type Person struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// Company is a company an import would create.
type Company struct {
	Domain string `json:"domain"`
	Name   string `json:"name"`
}

// Existing says which addresses and domains already have a person or a
// company in the workspace (those are linked, not created).
type Existing struct {
	People    map[string]bool
	Companies map[string]bool
}

// Run reads the newest limit messages of the folders an import would sync
// (the default set) and decides each with the mailbox's rules.
func Run(ctx context.Context, mb provider.Mailbox, rules policy.Mailbox, dir policy.Directory, existing Existing, limit int) (*Result, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	msgs, err := newest(ctx, mb, limit)
	if err != nil {
		return nil, err
	}
	res := &Result{Listed: len(msgs), WouldSkip: map[string]int{}, WouldCreate: Creations{People: []Person{}, Companies: []Company{}}}
	people, companies := map[string]Person{}, map[string]Company{}
	seen := map[string]bool{}
	for _, m := range msgs {
		mail, err := mime.Parse(m.Raw)
		if err != nil {
			res.Failed++
			continue
		}
		if seen[mail.Key()] { // one message in two folders is stored once
			res.Listed--
			continue
		}
		seen[mail.Key()] = true
		pm := ingest.PolicyMessage(mail)
		d := policy.DecideImport(rules, pm)
		if !d.Import {
			res.WouldSkip[d.Rule]++
			continue
		}
		res.WouldImport++
		for _, c := range policy.DecideContacts(rules, pm, dir) {
			if c.Outcome != policy.OutcomeCreated || c.Email == "" || existing.People[c.Email] {
				continue
			}
			if _, ok := people[c.Email]; !ok {
				people[c.Email] = Person{Email: c.Email, Name: joinName(c.FirstName, c.LastName)}
			}
			if c.CompanyDomain != "" && !existing.Companies[c.CompanyDomain] {
				companies[c.CompanyDomain] = Company{Domain: c.CompanyDomain, Name: c.CompanyName}
			}
		}
	}
	for _, e := range slices.Sorted(maps.Keys(people)) {
		res.WouldCreate.People = append(res.WouldCreate.People, people[e])
	}
	for _, d := range slices.Sorted(maps.Keys(companies)) {
		res.WouldCreate.Companies = append(res.WouldCreate.Companies, companies[d])
	}
	return res, nil
}

func joinName(first, last string) string {
	switch {
	case first == "":
		return last
	case last == "":
		return first
	}
	return first + " " + last
}

// newest streams the default folders and keeps the limit newest messages
// by date (a bounded heap: memory stays at limit messages however large
// the mailbox).
func newest(ctx context.Context, mb provider.Mailbox, limit int) ([]provider.Message, error) {
	remote, err := mb.Folders(ctx)
	if err != nil {
		return nil, fmt.Errorf("list folders: %w", err)
	}
	h := &byDate{}
	for _, spec := range ingest.FolderSpecs(remote, nil) {
		if !spec.Selected {
			continue
		}
		f := provider.Folder{Name: spec.Name, Role: spec.Role}
		err := mb.SyncFolder(ctx, provider.FolderRequest{Folder: f}, func(ctx context.Context, b provider.Batch) error {
			for _, m := range b.Messages {
				if m.Raw == nil {
					continue
				}
				heap.Push(h, m)
				if h.Len() > limit {
					heap.Pop(h)
				}
			}
			return ctx.Err()
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.Name, err)
		}
	}
	out := make([]provider.Message, h.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(provider.Message)
	}
	return out, nil
}

// byDate is a min-heap of messages by date: the oldest is dropped first.
type byDate []provider.Message

func (h byDate) Len() int           { return len(h) }
func (h byDate) Less(i, j int) bool { return date(h[i]).Before(date(h[j])) }
func (h byDate) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *byDate) Push(x any)        { *h = append(*h, x.(provider.Message)) }
func (h *byDate) Pop() any {
	old := *h
	m := old[len(old)-1]
	*h = old[:len(old)-1]
	return m
}

func date(m provider.Message) time.Time { return m.InternalDate }

// Load reads what a preview needs from the workspace: its directory and
// the people and companies that exist already. It only reads.
func Load(ctx context.Context, st *store.Store, workspaceID string) (*store.Directory, Existing, error) {
	dir, err := st.LoadDirectory(ctx, workspaceID)
	if err != nil {
		return nil, Existing{}, err
	}
	ex := Existing{People: map[string]bool{}, Companies: map[string]bool{}}
	people, err := st.People(ctx, workspaceID)
	if err != nil {
		return nil, ex, err
	}
	for _, p := range people {
		ex.People[p.PrimaryEmail] = true
		for _, e := range p.AdditionalEmails {
			ex.People[e] = true
		}
	}
	companies, err := st.Companies(ctx, workspaceID)
	if err != nil {
		return nil, ex, err
	}
	for _, c := range companies {
		if c.Domain != nil {
			ex.Companies[*c.Domain] = true
		}
	}
	return dir, ex, nil
}

// Mailbox settings a new mailbox starts with (the channels table's
// defaults): the preview shows what connecting with them would do.
const (
	newAutoCreate      = "sent"
	newExcludeGroup    = true
	newExcludePersonal = true
)

// ForAccount connects to a mailbox that is not saved (a, with its
// workspace, owner, handle and aliases set), and previews its newest limit
// messages with a new mailbox's settings and the workspace's rules.
func ForAccount(ctx context.Context, st *store.Store, connect ingest.ConnectFunc, a *store.Account, secret string, limit int) (*Result, error) {
	mb, err := accounts.Dial(ctx, connect, a, secret)
	if err != nil {
		return nil, err
	}
	defer mb.Close()
	return ForMailbox(ctx, st, mb, a, limit)
}

// ForMailbox previews a connected mailbox that is not saved (a names its
// workspace, owner, handle and aliases).
func ForMailbox(ctx context.Context, st *store.Store, mb provider.Mailbox, a *store.Account, limit int) (*Result, error) {
	a.AutoCreate, a.ExcludeGroup, a.ExcludePersonal = newAutoCreate, newExcludeGroup, newExcludePersonal
	mbRules, err := rules.MailboxRules(ctx, st, a)
	if err != nil {
		return nil, err
	}
	dir, existing, err := Load(ctx, st, a.WorkspaceID)
	if err != nil {
		return nil, err
	}
	return Run(ctx, mb, mbRules, dir, existing, limit)
}
