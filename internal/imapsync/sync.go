package imapsync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailsync/mailsync/internal/provider"
)

const (
	defaultBatchSize = 500
	// maxBatchBytes bounds the message bytes of one batch; a larger
	// message travels alone.
	maxBatchBytes = 32 << 20
)

// cursor is the position in a folder after an applied batch.
type cursor struct {
	uidValidity uint32
	lastUID     imap.UID // highest UID fetched as new
	modSeq      uint64   // flag changes up to here are applied (CONDSTORE; 0: none)
	// count is how many messages the folder held at or below lastUID
	// when the cursor was made, or more (one expunged meanwhile), never
	// fewer: UIDs only grow, so the same count later means nothing at or
	// below lastUID was expunged. -1: unknown (a v1 cursor).
	count int64
	// uidNext is the folder's UIDNEXT when every message below it was
	// fetched or gone; 0 when not known (an intermediate batch).
	uidNext imap.UID
}

// Cursor versions: v1 has no count and no uidNext; v2 has both.
const (
	cursorV1 = "v1"
	cursorV2 = "v2"
)

func (c cursor) String() string {
	return fmt.Sprintf("%s:%d:%d:%d:%d:%d", cursorV2, c.uidValidity, c.lastUID, c.modSeq, max(c.count, 0), c.uidNext)
}

func parseCursor(s string) (cursor, error) {
	parts := strings.Split(s, ":")
	switch {
	case len(parts) == 4 && parts[0] == cursorV1:
		parts = append(parts, "-1", "0")
	case len(parts) == 6 && parts[0] == cursorV2:
	default:
		return cursor{}, fmt.Errorf("unknown cursor %q", s)
	}
	validity, err1 := strconv.ParseUint(parts[1], 10, 32)
	last, err2 := strconv.ParseUint(parts[2], 10, 32)
	modSeq, err3 := strconv.ParseUint(parts[3], 10, 64)
	count, err4 := strconv.ParseInt(parts[4], 10, 64)
	next, err5 := strconv.ParseUint(parts[5], 10, 32)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return cursor{}, fmt.Errorf("bad cursor %q: %w", s, err)
	}
	return cursor{uidValidity: uint32(validity), lastUID: imap.UID(last), modSeq: modSeq, count: count, uidNext: imap.UID(next)}, nil
}

// plan is what one SyncFolder sends, decided before any body is fetched.
type plan struct {
	first       provider.Batch       // Reset, Listing, Listed
	flagUpdates [][]provider.Message // CONDSTORE flag changes, in batches
	fetches     []chunk              // messages to download, in batches
	from        cursor               // position before the first batch
	modSeq      uint64               // HIGHESTMODSEQ once flag updates are applied
	uidNext     imap.UID             // UIDNEXT once every batch is applied
	// baseCount is how many messages the folder holds at or below
	// from.lastUID, and newUIDs those above it the batches fetch: the
	// count of each batch's cursor.
	baseCount int64
	newUIDs   []imap.UID
}

// countAt is the cursor count once the batches up to lastUID are applied.
func (p *plan) countAt(lastUID imap.UID) int64 {
	n, _ := slices.BinarySearch(p.newUIDs, lastUID+1)
	return p.baseCount + int64(n)
}

// chunk is one batch of messages to download.
type chunk struct {
	uids    []imap.UID
	lastUID imap.UID // cursor position once applied
}

// SyncFolder streams the changes of a folder since req.Cursor. The first
// batch lists every UID in the folder, unless the cursor shows that no
// message at or below its last UID was expunged (then it only carries the
// count); then come CONDSTORE flag changes (Raw nil) and new or refetched
// messages, in batches of at most req.BatchSize messages and 32 MiB. The
// next batch is downloaded while apply runs on the current one. A folder
// whose STATUS shows no change since the cursor is not selected at all:
// its one batch is empty, with the same cursor.
func (m *Mailbox) SyncFolder(ctx context.Context, req provider.FolderRequest, apply provider.ApplyFunc) error {
	defer m.guard(ctx)()
	p, err := m.plan(ctx, req)
	if err != nil {
		return fmt.Errorf("sync %s: %w", req.Folder.Name, ctxError(ctx, err))
	}
	if err := m.stream(ctx, p, apply); err != nil {
		return fmt.Errorf("sync %s: %w", req.Folder.Name, err)
	}
	return nil
}

// plan selects the folder and decides every batch.
func (m *Mailbox) plan(ctx context.Context, req provider.FolderRequest) (*plan, error) {
	prev, reset := cursor{count: -1}, false
	if req.Cursor != "" {
		c, err := parseCursor(req.Cursor)
		// A cursor we cannot read is treated like a new UIDVALIDITY.
		reset = err != nil
		if !reset {
			prev = c
		}
	}
	condStore := m.c.Caps().Has(imap.CapCondStore)
	if !reset && len(req.Refetch) == 0 {
		same, err := m.unchanged(req.Folder.Name, prev, condStore)
		if err != nil {
			return nil, err
		}
		if same {
			return &plan{from: prev, modSeq: prev.modSeq, uidNext: prev.uidNext, baseCount: prev.count,
				first: provider.Batch{Listed: int(prev.count)}}, nil
		}
	}
	sel, err := m.c.Select(req.Folder.Name, &imap.SelectOptions{ReadOnly: true, CondStore: condStore}).Wait()
	if err != nil {
		return nil, fmt.Errorf("examine: %w", err)
	}
	if req.Cursor != "" && !reset && prev.uidValidity != sel.UIDValidity {
		reset, prev = true, cursor{count: -1}
	}
	p := &plan{from: prev, uidNext: sel.UIDNext}
	p.from.uidValidity = sel.UIDValidity
	if condStore && sel.HighestModSeq > 0 {
		p.modSeq = sel.HighestModSeq
	} else {
		p.from.modSeq = 0 // without CONDSTORE flag changes are not tracked
	}
	batchSize := req.BatchSize
	if batchSize <= 0 {
		batchSize = defaultBatchSize
	}

	var listing []imap.UID
	var sizes []sized
	quick := false // no listing needed
	if !reset && prev.count >= 0 && len(req.Refetch) == 0 {
		// No listing when the folder holds as many messages at or below
		// the last UID as the cursor counted: none was expunged.
		if sizes, err = m.newSizes(sel, prev.lastUID); err != nil {
			return nil, err
		}
		if int64(sel.NumMessages)-int64(len(sizes)) == prev.count {
			p.first = provider.Batch{Listed: int(sel.NumMessages)}
			p.baseCount = prev.count
			for _, s := range sizes {
				p.newUIDs = append(p.newUIDs, s.uid)
			}
			quick = true
		}
	}
	var refetch []imap.UID
	if !quick {
		if listing, err = m.listUIDs(); err != nil {
			return nil, err
		}
		p.first = provider.Batch{Reset: reset, Listing: uidStrings(listing), Listed: len(listing)}
		at, _ := slices.BinarySearch(listing, prev.lastUID+1)
		p.baseCount, p.newUIDs = int64(at), listing[at:]
		refetch = refetchUIDs(req.Refetch, listing, prev.lastUID)
	}

	if p.from.modSeq > 0 && prev.lastUID > 0 && p.modSeq > p.from.modSeq {
		updates, err := m.flagChanges(prev.lastUID, p.from.modSeq, refetch)
		if err != nil {
			return nil, err
		}
		for b := range slices.Chunk(updates, batchSize) {
			p.flagUpdates = append(p.flagUpdates, b)
		}
	}
	if !quick {
		var want imap.UIDSet
		want.AddNum(refetch...)
		want.AddNum(p.newUIDs...)
		if len(want) > 0 {
			if sizes, err = m.sizes(want); err != nil {
				return nil, err
			}
		}
	}
	p.fetches = chunks(sizes, prev.lastUID, batchSize)
	return p, nil
}

// unchanged reports whether STATUS shows the folder as the cursor left
// it: the same UIDVALIDITY, UIDNEXT (nothing added), number of messages
// (nothing expunged) and, with CONDSTORE, HIGHESTMODSEQ (no flag changed).
func (m *Mailbox) unchanged(folder string, c cursor, condStore bool) (bool, error) {
	if c.count < 0 || c.uidNext == 0 {
		return false, nil
	}
	// STATUS of the selected folder may answer the session's view, which
	// has not seen what arrived since (Dovecot does): select it again.
	if sel := m.c.Mailbox(); sel != nil && sel.Name == folder {
		return false, nil
	}
	st, err := m.status(folder, condStore)
	if err != nil {
		return false, err
	}
	return st.UIDValidity == c.uidValidity && st.UIDNext == c.uidNext && st.NumMessages != nil &&
		int64(*st.NumMessages) == c.count && (!condStore || st.HighestModSeq == c.modSeq), nil
}

// status returns the folder's STATUS.
func (m *Mailbox) status(folder string, condStore bool) (*imap.StatusData, error) {
	st, err := m.c.Status(folder, statusItems(condStore)).Wait()
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	return st, nil
}

// statusItems are what unchanged compares.
func statusItems(condStore bool) *imap.StatusOptions {
	return &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true, HighestModSeq: condStore}
}

// newSizes returns the UIDs above lastUID in the selected folder with
// their sizes, without a command when UIDNEXT shows none can exist.
func (m *Mailbox) newSizes(sel *imap.SelectData, lastUID imap.UID) ([]sized, error) {
	if sel.NumMessages == 0 || (sel.UIDNext != 0 && sel.UIDNext <= lastUID+1) {
		return nil, nil
	}
	var set imap.UIDSet
	set.AddRange(lastUID+1, 0) // lastUID+1:*, which names the last message even when it is below
	sizes, err := m.sizes(set)
	if err != nil {
		return nil, err
	}
	at, _ := slices.BinarySearchFunc(sizes, lastUID+1, func(s sized, uid imap.UID) int { return cmp.Compare(s.uid, uid) })
	return sizes[at:], nil
}

// listUIDs returns every UID of the selected folder, ascending.
func (m *Mailbox) listUIDs() ([]imap.UID, error) {
	var opts *imap.SearchOptions
	if m.c.Caps().Has(imap.CapESearch) {
		opts = &imap.SearchOptions{ReturnAll: true} // ranges, not one number per message
	}
	data, err := m.c.UIDSearch(&imap.SearchCriteria{}, opts).Wait()
	if err != nil {
		return nil, fmt.Errorf("list UIDs: %w", err)
	}
	set, ok := data.All.(imap.UIDSet)
	if !ok {
		return nil, nil // no message
	}
	uids, ok := set.Nums()
	if !ok {
		return nil, fmt.Errorf("list UIDs: server answered a dynamic set %v", set)
	}
	slices.Sort(uids)
	return slices.Compact(uids), nil
}

// refetchUIDs keeps the requested ids still in the folder and at or below
// lastUID (those above are fetched as new anyway).
func refetchUIDs(ids []string, listing []imap.UID, lastUID imap.UID) []imap.UID {
	var uids []imap.UID
	for _, id := range ids {
		n, err := strconv.ParseUint(id, 10, 32)
		uid := imap.UID(n)
		if err != nil || uid == 0 || uid > lastUID {
			continue
		}
		if _, found := slices.BinarySearch(listing, uid); found {
			uids = append(uids, uid)
		}
	}
	slices.Sort(uids)
	return slices.Compact(uids)
}

// flagChanges returns the flags of messages up to lastUID changed since
// modSeq, leaving out those about to be refetched.
func (m *Mailbox) flagChanges(lastUID imap.UID, modSeq uint64, skip []imap.UID) ([]provider.Message, error) {
	var set imap.UIDSet
	set.AddRange(1, lastUID)
	cmd := m.c.Fetch(set, &imap.FetchOptions{UID: true, Flags: true, ChangedSince: modSeq})
	defer cmd.Close()
	var updates []provider.Message
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		buf, err := msg.Collect()
		if err != nil {
			return nil, fmt.Errorf("fetch flag changes: %w", err)
		}
		if _, found := slices.BinarySearch(skip, buf.UID); found || buf.UID == 0 {
			continue
		}
		updates = append(updates, provider.Message{ID: uidString(buf.UID), Flags: flagStrings(buf.Flags)})
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("fetch flag changes: %w", err)
	}
	return updates, nil
}

type sized struct {
	uid  imap.UID
	size int64
}

// sizes fetches RFC822.SIZE of the messages in set, ascending by UID.
// Messages expunged meanwhile are left out.
func (m *Mailbox) sizes(set imap.UIDSet) ([]sized, error) {
	cmd := m.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true})
	defer cmd.Close()
	var out []sized
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		buf, err := msg.Collect()
		if err != nil {
			return nil, fmt.Errorf("fetch sizes: %w", err)
		}
		if buf.UID != 0 {
			out = append(out, sized{buf.UID, buf.RFC822Size})
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("fetch sizes: %w", err)
	}
	slices.SortFunc(out, func(a, b sized) int { return int(a.uid) - int(b.uid) })
	return out, nil
}

// chunks splits messages into batches of at most batchSize messages and
// maxBatchBytes. Each chunk's lastUID is the cursor position once it is
// applied: the highest new UID so far (refetched UIDs are below prevLast).
func chunks(msgs []sized, prevLast imap.UID, batchSize int) []chunk {
	var out []chunk
	var cur chunk
	var bytes int64
	last := prevLast
	for _, msg := range msgs {
		if len(cur.uids) > 0 && (len(cur.uids) == batchSize || bytes+min(msg.size, provider.MaxMessageBytes) > maxBatchBytes) {
			out = append(out, cur)
			cur, bytes = chunk{}, 0
		}
		cur.uids = append(cur.uids, msg.uid)
		bytes += min(msg.size, provider.MaxMessageBytes) // what fetch downloads
		last = max(last, msg.uid)
		cur.lastUID = last
	}
	if len(cur.uids) > 0 {
		out = append(out, cur)
	}
	return out
}

// stream sends the planned batches to apply, downloading batch N+1 while
// apply runs on batch N (never further ahead).
func (m *Mailbox) stream(ctx context.Context, p *plan, apply provider.ApplyFunc) error {
	fetchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan provider.Batch)
	fetchErr := make(chan error, 1)
	go func() {
		defer close(batches)
		fetchErr <- m.produce(fetchCtx, p, batches)
	}()

	for b := range batches {
		if err := apply(ctx, b); err != nil {
			cancel()
			for range batches { // let the download in flight finish
			}
			<-fetchErr
			return fmt.Errorf("apply batch ending at %s: %w", b.Cursor, err)
		}
	}
	if err := <-fetchErr; err != nil {
		return ctxError(ctx, err)
	}
	return nil
}

// produce builds the batches of p in order and sends them to out.
func (m *Mailbox) produce(ctx context.Context, p *plan, out chan<- provider.Batch) error {
	pos := p.from
	first := true
	left := max(len(p.flagUpdates)+len(p.fetches), 1)
	send := func(b provider.Batch) error {
		if first {
			b.Reset, b.Listing, b.Listed = p.first.Reset, p.first.Listing, p.first.Listed
			first = false
		}
		pos.count, pos.uidNext = p.countAt(pos.lastUID), 0
		if left--; left == 0 {
			pos.uidNext = p.uidNext // every message below it is fetched, or gone
		}
		b.Cursor = pos.String()
		select {
		case out <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for i, updates := range p.flagUpdates {
		if i == len(p.flagUpdates)-1 {
			pos.modSeq = p.modSeq
		}
		if err := send(provider.Batch{Messages: updates}); err != nil {
			return err
		}
	}
	pos.modSeq = p.modSeq
	for _, c := range p.fetches {
		msgs, err := m.fetch(ctx, c.uids)
		if err != nil {
			return err
		}
		pos.lastUID = c.lastUID
		if err := send(provider.Batch{Messages: msgs}); err != nil {
			return err
		}
	}
	if first { // nothing changed: still record listing and cursor
		return send(provider.Batch{})
	}
	return nil
}

// fetch downloads messages without setting \Seen: whole, or the first
// provider.MaxMessageBytes of a larger one (a partial fetch, so the rest
// never crosses the network). Each body is read into a buffer of the
// literal's announced size: a message is held once, not regrown.
func (m *Mailbox) fetch(ctx context.Context, uids []imap.UID) ([]provider.Message, error) {
	cmd := m.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{
		UID:          true,
		Flags:        true,
		InternalDate: true,
		RFC822Size:   true,
		BodySection: []*imap.FetchItemBodySection{{
			Peek:    true,
			Partial: &imap.SectionPartial{Offset: 0, Size: provider.MaxMessageBytes},
		}},
	})
	defer cmd.Close()
	msgs := make([]provider.Message, 0, len(uids))
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err // Close drains the rest: the session stays usable
		}
		pm, err := readMessage(msg)
		if err != nil {
			return nil, fmt.Errorf("fetch messages: %w", err)
		}
		if pm.ID == "" || pm.Raw == nil {
			continue // expunged meanwhile
		}
		msgs = append(msgs, pm)
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("fetch messages %v: %w", imap.UIDSetNum(uids...), err)
	}
	return msgs, nil
}

// readMessage reads one FETCH response, its body into a buffer of exactly
// the literal's size (at most provider.MaxMessageBytes, even from a server
// that ignores the partial fetch).
func readMessage(msg *imapclient.FetchMessageData) (provider.Message, error) {
	var (
		pm   provider.Message
		size int64
	)
	for item := msg.Next(); item != nil; item = msg.Next() {
		switch item := item.(type) {
		case imapclient.FetchItemDataUID:
			if item.UID != 0 {
				pm.ID = uidString(item.UID)
			}
		case imapclient.FetchItemDataFlags:
			pm.Flags = flagStrings(item.Flags)
		case imapclient.FetchItemDataInternalDate:
			pm.InternalDate = item.Time
		case imapclient.FetchItemDataRFC822Size:
			size = item.Size
		case imapclient.FetchItemDataBodySection:
			if item.Literal == nil {
				continue
			}
			pm.Raw = make([]byte, min(item.Literal.Size(), provider.MaxMessageBytes))
			if _, err := io.ReadFull(item.Literal, pm.Raw); err != nil {
				return pm, fmt.Errorf("read body: %w", err)
			}
		}
	}
	if pm.Raw != nil && size > int64(len(pm.Raw)) {
		pm.FullSize = size
	}
	return pm, nil
}

func uidString(uid imap.UID) string { return strconv.FormatUint(uint64(uid), 10) }

func uidStrings(uids []imap.UID) []string {
	out := make([]string, len(uids))
	for i, uid := range uids {
		out[i] = uidString(uid)
	}
	return out
}

// flagStrings converts flags, dropping \Recent: it belongs to the session.
func flagStrings(flags []imap.Flag) []string {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		if !strings.EqualFold(string(f), `\Recent`) {
			out = append(out, string(f))
		}
	}
	return out
}
