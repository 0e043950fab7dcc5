package ingest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/mailsync/mailsync/internal/contacts"
	"github.com/mailsync/mailsync/internal/mime"
	"github.com/mailsync/mailsync/internal/policy"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/rules"
	"github.com/mailsync/mailsync/internal/store"
)

// run is one sync of one account: the settings it applies and its progress.
type run struct {
	s       *Syncer
	owner   string // the sync's lease owner, checked by every batch
	account *store.Account
	// rules and dir are read by prepare, before the first message is parsed.
	rules    policy.Mailbox
	dir      *store.Directory
	prepared bool
	// forgot is set when a folder's items were forgotten (UIDVALIDITY
	// change): messages not found again are deleted at the end.
	forgot   bool
	progress Progress
	// listed holds each folder's server count, to report the total.
	listed map[string]int
	// refetch holds, by folder id, the uids a rule change asked to fetch
	// again, read when the run starts.
	refetch map[string][]string
	// refetching holds the uids of the current folder fetched again
	// because a rule change asked for it.
	refetching map[string]bool
	// sending is set when the run stores a message mailsync just sent:
	// its item is a placeholder (store.ItemSent) until a sync finds the
	// copy in the Sent folder.
	sending bool
}

// newRun starts a run; call prepare before parsing a message.
func (s *Syncer) newRun(a *store.Account, owner string, folders []*store.Folder) *run {
	r := &run{
		s:        s,
		owner:    owner,
		account:  a,
		progress: Progress{AccountID: a.ID, Handle: a.Handle},
		listed:   map[string]int{},
	}
	for _, f := range folders {
		if f.Selected && f.Listed > 0 {
			r.listed[f.ID] = f.Listed
		}
	}
	return r
}

// prepare reads what deciding and storing messages needs: the mailbox's
// settings as they are now, after pending rule changes were applied (a
// change made later is applied when the run ends), its rules and the
// workspace's directory. A sync that brings no message never needs them:
// it is 8 statements of a no-op sync's 22.
func (r *run) prepare(ctx context.Context) error {
	if r.prepared {
		return nil
	}
	a, err := r.s.Store.AccountForSync(ctx, r.account.ID)
	if err != nil {
		return err
	}
	if r.rules, err = rules.MailboxRules(ctx, r.s.Store, a); err != nil {
		return err
	}
	if r.dir, err = r.s.Store.LoadDirectory(ctx, a.WorkspaceID); err != nil {
		return err
	}
	r.prepared = true
	return nil
}

func (r *run) report() {
	total := 0
	for _, n := range r.listed {
		total += n
	}
	r.progress.Listed = total
	if r.s.OnProgress != nil {
		r.s.OnProgress(r.progress)
	}
}

func (r *run) syncFolder(ctx context.Context, mb provider.Mailbox, f *store.Folder) error {
	r.progress.Folder = f.Name
	refetch := r.refetch[f.ID]
	r.refetching = make(map[string]bool, len(refetch))
	for _, uid := range refetch {
		r.refetching[uid] = true
	}
	req := provider.FolderRequest{
		Folder:    provider.Folder{Name: f.Name, Role: f.Role},
		Cursor:    f.Cursor,
		Refetch:   refetch,
		BatchSize: r.s.BatchSize,
		Known: func(ctx context.Context, ids []string) (map[string]bool, error) {
			return r.s.Store.KnownUIDs(ctx, f.ID, ids)
		},
	}
	// A one-deep pipeline: while batch N is stored (one transaction, in
	// order), batch N+1 is parsed. Parsing is CPU work and storing mostly
	// waits on the database, so the two overlap well.
	var inFlight chan error
	wait := func() error {
		if inFlight == nil {
			return nil
		}
		err := <-inFlight
		inFlight = nil
		return err
	}
	// The store runs under the folder sync's context, not the batch's:
	// the provider may end that one as soon as its last batch is handed over.
	storeCtx := ctx
	err := mb.SyncFolder(ctx, req, func(_ context.Context, b provider.Batch) error {
		if !r.prepared && hasBodies(b) {
			// Not while a batch is stored: it reads the rules.
			if err := wait(); err != nil {
				return err
			}
			if err := r.prepare(ctx); err != nil {
				return err
			}
		}
		results := r.parseAll(b.Messages)
		if err := wait(); err != nil {
			return err
		}
		inFlight = make(chan error, 1)
		go func() { inFlight <- r.apply(storeCtx, f, b, results) }()
		return nil
	})
	if werr := wait(); err == nil {
		err = werr
	}
	return err
}

// hasBodies reports whether a batch brings messages to parse.
func hasBodies(b provider.Batch) bool {
	for _, m := range b.Messages {
		if m.Raw != nil {
			return true
		}
	}
	return false
}

// Rules recorded for what the import rules did not decide (docs/rules.md).
const (
	// ruleParse: the message could not be parsed; it is failed.
	ruleParse = "parse"
	// ruleLimit: the message is over a limit of docs/rules.md ("Limits"):
	// failed, or imported with what was left out named in the detail.
	ruleLimit = "limit"
)

// parsed is one fetched message after parsing and the import rules.
type parsed struct {
	msg      provider.Message
	mail     *mime.Message
	err      error
	decision policy.ImportDecision
	outgoing bool
}

// apply stores one batch, parsed, and its cursor in one transaction.
func (r *run) apply(ctx context.Context, f *store.Folder, b provider.Batch, results []parsed) error {
	if unchanged(f, b) {
		r.report()
		return nil
	}
	var flagOnly []provider.Message
	for _, m := range b.Messages {
		if m.Raw == nil {
			flagOnly = append(flagOnly, m)
		}
	}
	ws := r.account.WorkspaceID
	var removed, created, listed int
	var alone bool
	err := r.retry(ctx, func(tx *sql.Tx) error {
		if err := store.FenceLease(ctx, tx, r.account.ChannelID, r.owner, time.Now().Add(r.s.leaseTTL())); err != nil {
			return err
		}
		seq, err := store.EventSeq(ctx, tx, ws)
		if err != nil {
			return err
		}
		if b.Reset {
			if err := store.ForgetFolderItems(ctx, tx, f.ID); err != nil {
				return err
			}
			r.forgot = true
		}
		gone, err := r.vanished(ctx, tx, f, b)
		if err != nil {
			return err
		}
		if err := store.RemoveItems(ctx, tx, ws, f.ID, gone); err != nil {
			return err
		}
		removed = len(gone)
		for _, m := range flagOnly {
			if err := store.UpdateItemFlags(ctx, tx, f.ID, m.ID, m.Flags); err != nil {
				return err
			}
		}
		var err2 error
		if created, err2 = r.storeParsed(ctx, tx, f, results); err2 != nil {
			return err2
		}
		listed = listedCount(b)
		if b.CountRecorded {
			if listed, err = store.CountFolderItems(ctx, tx, f.ID); err != nil {
				return err
			}
		}
		if err := store.SetFolderCursor(ctx, tx, f.ID, b.Cursor, listed); err != nil {
			return err
		}
		first, err := store.FlushEvents(ctx, tx, ws)
		alone = first == 0 || first == seq+1
		return err
	})
	if err != nil {
		return err
	}
	if listed >= 0 {
		r.listed[f.ID] = listed
	}
	// A batch that ran alone saw every person before linking its
	// participants and every stored message before threading its own, and
	// nothing was stored unseen by the people it created: there is nothing
	// to re-link or repair (store.FlushEvents). Of two batches that
	// overlap, the one committing second does not run alone.
	if !alone {
		if err := r.s.Store.LinkUnlinked(ctx, ws, importedEmails(results)); err != nil {
			return err
		}
		if err := r.s.Store.RepairThreads(ctx, ws, importedKeys(results)); err != nil {
			return err
		}
	}
	r.count(results, removed)
	r.progress.Created += created
	r.report()
	return nil
}

// unchanged reports whether a batch would change nothing stored: no
// message, no removal, the folder's own cursor and count (a provider that
// found the folder as the cursor left it). It costs no transaction.
func unchanged(f *store.Folder, b provider.Batch) bool {
	listed := listedCount(b)
	return !b.Reset && b.Listing == nil && len(b.Removed) == 0 && len(b.Messages) == 0 && !b.CountRecorded &&
		f.Cursor != "" && b.Cursor == f.Cursor && !f.SyncedAt.IsZero() && (listed < 0 || listed == f.Listed)
}

// importedKeys lists the message keys of the imported messages.
func importedKeys(results []parsed) []string {
	var out []string
	for _, p := range results {
		if p.err == nil && p.decision.Import {
			out = append(out, p.mail.Key())
		}
	}
	return out
}

// importedEmails lists the participant addresses of the imported messages.
func importedEmails(results []parsed) []string {
	var out []string
	for _, p := range results {
		if p.err != nil || !p.decision.Import {
			continue
		}
		for _, pt := range p.mail.Participants {
			if pt.Email != "" {
				out = append(out, pt.Email)
			}
		}
	}
	return out
}

// listedCount is the folder's server count when the batch carries one,
// else -1 (the stored count is kept).
func listedCount(b provider.Batch) int {
	if b.Listing != nil || b.Listed > 0 {
		return b.Listed
	}
	return -1
}

// vanished returns the stored uids the server no longer has: those absent
// from a full listing, and those the provider says were removed.
func (r *run) vanished(ctx context.Context, tx *sql.Tx, f *store.Folder, b provider.Batch) ([]string, error) {
	gone := append([]string(nil), b.Removed...)
	if b.Listing == nil {
		return gone, nil
	}
	stored, err := store.FolderUIDs(ctx, tx, f.ID)
	if err != nil {
		return nil, err
	}
	for _, uid := range b.Listing {
		delete(stored, uid)
	}
	for uid := range stored {
		gone = append(gone, uid)
	}
	return gone, nil
}

func (r *run) count(results []parsed, removed int) {
	for _, p := range results {
		switch {
		case p.err != nil:
			r.progress.Failed++
		case p.decision.Import:
			r.progress.Imported++
		default:
			r.progress.Skipped++
		}
	}
	r.progress.Removed += removed
}

// parseAll parses the new messages of a batch (flag-only updates have no
// body) on every core: parsing is the CPU-heavy part of an import, and
// the batch is bounded, so the goroutines are too.
func (r *run) parseAll(batch []provider.Message) []parsed {
	var msgs []provider.Message
	for _, m := range batch {
		if m.Raw != nil {
			msgs = append(msgs, m)
		}
	}
	out := make([]parsed, len(msgs))
	workers := min(runtime.GOMAXPROCS(0), len(msgs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = r.parseOne(msgs[i])
			}
		}()
	}
	for i := range msgs {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

func (r *run) parseOne(m provider.Message) (p parsed) {
	p.msg = m
	defer func() {
		// A parser bug must not stop the sync: record the message as failed.
		if v := recover(); v != nil {
			p.err = fmt.Errorf("parser panic: %v", v)
		}
	}()
	if len(m.Raw) > provider.MaxMessageBytes {
		// A provider that cannot fetch part of a message (Gmail, Graph)
		// sent it whole: parse no more than IMAP would have fetched.
		m.FullSize, m.Raw = int64(len(m.Raw)), m.Raw[:provider.MaxMessageBytes]
	}
	p.mail, p.err = mime.Parse(m.Raw)
	if m.FullSize > 0 {
		cut := fmt.Sprintf("message of %s: only its first %s fetched", mime.Size(m.FullSize), mime.Size(int64(len(m.Raw))))
		if p.err != nil {
			p.err = fmt.Errorf("%s; %w", cut, p.err)
			return p
		}
		p.mail.Size = int(m.FullSize)
		p.mail.Limits = append([]string{cut}, p.mail.Limits...)
	}
	if p.err != nil {
		return p
	}
	pm := PolicyMessage(p.mail)
	p.outgoing = policy.Outgoing(r.rules, pm)
	p.decision = policy.DecideImport(r.rules, pm)
	return p
}

// PolicyMessage is what the rules read of a parsed message (preview runs
// the same rules on the same facts).
func PolicyMessage(m *mime.Message) policy.Message {
	pm := policy.Message{ListID: m.ListID, ListUnsubscribe: m.ListUnsubscribe, Precedence: m.Precedence, AutoSubmitted: m.AutoSubmitted}
	for _, p := range m.Participants {
		pm.Participants = append(pm.Participants, policy.Participant{Role: p.Role, Email: p.Email, Name: p.Name})
	}
	return pm
}

// storeParsed stores the imported messages and records every item; it
// returns how many people it created.
func (r *run) storeParsed(ctx context.Context, tx *sql.Tx, f *store.Folder, results []parsed) (int, error) {
	var msgs []*store.NewMessage
	for _, p := range results {
		if p.err == nil && p.decision.Import {
			msgs = append(msgs, newMessage(r.account.ID, p))
		}
	}
	ids, err := store.InsertMessages(ctx, tx, r.account.WorkspaceID, msgs)
	if err != nil {
		return 0, err
	}
	created, err := r.applyContacts(ctx, tx, results)
	if err != nil {
		return 0, err
	}
	held, err := r.releaseRefetched(ctx, tx, f, results)
	if err != nil {
		return 0, err
	}
	if !r.sending {
		// The real copies of messages sent from here replace their placeholders.
		if err := store.DropSentPlaceholders(ctx, tx, r.account.ChannelID, importedKeys(results)); err != nil {
			return 0, err
		}
	}
	items := make([]store.Item, 0, len(results))
	for _, p := range results {
		it := store.Item{FolderID: f.ID, UID: p.msg.ID, ChannelID: r.account.ChannelID, Flags: p.msg.Flags, ReceivedAt: p.msg.InternalDate}
		switch {
		case p.err != nil:
			it.Status, it.MessageKey, it.Rule, it.Detail = store.ItemFailed, rawMessageID(p.msg.Raw), ruleParse, p.err.Error()
			if errors.Is(p.err, mime.ErrLimit) {
				it.Rule = ruleLimit
			}
		case p.decision.Import:
			it.Status, it.MessageKey, it.MessageID = store.ItemImported, p.mail.Key(), ids[p.mail.Key()]
			if len(p.mail.Limits) > 0 {
				it.Rule, it.Detail = ruleLimit, strings.Join(p.mail.Limits, "; ")
			}
		default:
			it.Status, it.MessageKey, it.Rule, it.Detail = store.ItemSkipped, p.mail.Key(), p.decision.Rule, p.decision.Detail
		}
		if r.sending && it.Status == store.ItemImported {
			it.UID, it.Status = store.SentUID(it.MessageKey), store.ItemSent
		}
		if p.err == nil {
			it.Direction = direction(p.outgoing)
			it.Facts = rules.EncodeFacts(PolicyMessage(p.mail))
		}
		items = append(items, it)
	}
	if err := store.PutItems(ctx, tx, items); err != nil {
		return 0, err
	}
	return created, store.DeleteUnheld(ctx, tx, r.account.WorkspaceID, held)
}

// releaseRefetched prepares the re-decision of refetched items: it
// returns the messages they held (deleted after the batch if no item
// holds them any more) and forgets the contact decisions of those the
// rules now skip.
func (r *run) releaseRefetched(ctx context.Context, tx *sql.Tx, f *store.Folder, results []parsed) ([]string, error) {
	var uids, skipped []string
	for _, p := range results {
		if !r.refetching[p.msg.ID] {
			continue
		}
		uids = append(uids, p.msg.ID)
		if p.err == nil && !p.decision.Import {
			skipped = append(skipped, p.mail.Key())
		}
	}
	if len(uids) == 0 {
		return nil, nil
	}
	if err := store.ForgetContactDecisions(ctx, tx, r.account.ChannelID, skipped); err != nil {
		return nil, err
	}
	return store.HeldMessageIDs(ctx, tx, f.ID, uids)
}

// applyContacts creates the People and Companies the imported messages
// call for, after the messages so that participants link to them.
func (r *run) applyContacts(ctx context.Context, tx *sql.Tx, results []parsed) (int, error) {
	var msgs []contacts.Message
	for _, p := range results {
		if p.err == nil && p.decision.Import {
			msgs = append(msgs, contacts.Message{Key: p.mail.Key(), Policy: PolicyMessage(p.mail)})
		}
	}
	return contacts.Apply(ctx, tx, r.account.WorkspaceID, r.account.ChannelID, r.rules, r.dir, msgs)
}

func direction(outgoing bool) string {
	if outgoing {
		return "outgoing"
	}
	return "incoming"
}

// threadHintRef turns a provider's conversation id into a reference that
// only this mailbox's messages carry: Gmail thread ids are per mailbox,
// so two colleagues' ids never collide, and the shared-reference join of
// the store puts the conversation in one thread.
func threadHintRef(accountID, hint string) string {
	return "thread-hint." + hint + "@" + accountID + ".mailsync.invalid"
}

func newMessage(accountID string, p parsed) *store.NewMessage {
	m := p.mail
	sent := m.Date
	if sent.IsZero() {
		sent = p.msg.InternalDate.UTC()
	}
	nm := &store.NewMessage{
		Key:     m.Key(),
		Subject: m.Subject,
		Text:    m.Text,
		HTML:    m.HTML,
		Snippet: m.Snippet(),
		Size:    m.Size,
		SentAt:  sent,
		Refs:    append(append([]string(nil), m.InReplyTo...), m.References...),
	}
	if p.msg.ThreadHint != "" {
		nm.Refs = append(nm.Refs, threadHintRef(accountID, p.msg.ThreadHint))
	}
	if len(m.Attachments) > 0 {
		b, _ := json.Marshal(m.Attachments)
		nm.Attachments = string(b)
		for _, a := range m.Attachments {
			nm.AttachmentData = append(nm.AttachmentData, a.Content)
		}
	}
	for _, pt := range m.Participants {
		email := pt.Email
		if email == "" {
			email = strings.TrimSpace(pt.Raw)
		}
		nm.Participants = append(nm.Participants, store.NewParticipant{Role: pt.Role, Email: email, Name: pt.Name})
	}
	return nm
}
