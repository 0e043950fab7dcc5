package gmailsync

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"google.golang.org/api/gmail/v1"

	"github.com/mailsync/mailsync/internal/provider"
)

// pageSize is messages.list's largest page: listing ids is cheap, bodies
// are fetched in batches of the request's size.
const pageSize = 500

// folderSync is one SyncFolder call.
type folderSync struct {
	m      *Mailbox
	req    provider.FolderRequest
	apply  provider.ApplyFunc
	query  string
	folder string
	size   int // messages per batch
}

// SyncFolder brings one pseudo-folder up to date: a full listing while
// its cursor says so (or when Gmail no longer has the history it
// names), else the history since its cursor.
func (m *Mailbox) SyncFolder(ctx context.Context, req provider.FolderRequest, apply provider.ApplyFunc) error {
	q, err := query(req.Folder.Name)
	if err != nil {
		return err
	}
	cur, err := parseCursor(req.Cursor)
	if err != nil {
		return err
	}
	s := &folderSync{m: m, req: req, apply: apply, query: q, folder: req.Folder.Name, size: req.BatchSize}
	if s.size <= 0 {
		s.size = 100
	}
	if len(req.Refetch) > 0 {
		if err := s.refetch(ctx); err != nil {
			return err
		}
	}
	if cur.full {
		return s.list(ctx, cur)
	}
	return s.incremental(ctx, cur)
}

// list runs or resumes a full listing. The history id is read before the
// first page, so whatever changes while the listing runs is replayed
// from history afterwards. Bodies are fetched only for ids not recorded
// yet; the last batch carries the complete listing, which removes what
// was deleted meanwhile.
func (s *folderSync) list(ctx context.Context, cur cursor) error {
	restarted := false
	for {
		err := s.listFrom(ctx, cur)
		// A page token Gmail no longer accepts: list again from the start
		// (once); what is recorded already is not fetched again.
		if !isStatus(err, http.StatusBadRequest) || cur.pageToken == "" || restarted {
			return err
		}
		cur, restarted = cursor{full: true}, true
	}
}

func (s *folderSync) listFrom(ctx context.Context, cur cursor) error {
	resumed := cur.historyID != 0
	if !resumed {
		p, err := s.m.profile(ctx)
		if err != nil {
			return err
		}
		cur = cursor{full: true, historyID: p.HistoryId}
	}
	var listing []string
	for {
		page, err := s.m.listPage(ctx, s.query, cur.pageToken)
		if err != nil {
			return err
		}
		ids := make([]string, 0, len(page.Messages))
		for _, msg := range page.Messages {
			ids = append(ids, msg.Id)
		}
		listing = append(listing, ids...)
		next := cur
		next.pageToken = page.NextPageToken
		if page.NextPageToken == "" {
			next = cur // the last page: the listing batch moves on
		}
		if err := s.fetchNew(ctx, ids, cur, next); err != nil {
			return err
		}
		if page.NextPageToken == "" {
			break
		}
		cur = next
	}
	if resumed {
		// The pages before the stored token were listed by an earlier run.
		var err error
		if listing, err = s.m.listIDs(ctx, s.query); err != nil {
			return err
		}
	}
	listing = unique(listing)
	return s.apply(ctx, provider.Batch{Listing: listing, Listed: len(listing),
		Cursor: cursor{historyID: cur.historyID}.String()})
}

// fetchNew fetches the ids not recorded yet and applies them in batches;
// every batch but the last resumes at cur, the last one at next.
func (s *folderSync) fetchNew(ctx context.Context, ids []string, cur, next cursor) error {
	known, err := s.known(ctx, ids)
	if err != nil {
		return err
	}
	var todo []string
	for _, id := range ids {
		if !known[id] {
			todo = append(todo, id)
		}
	}
	if len(todo) == 0 {
		if next != cur {
			return s.apply(ctx, provider.Batch{CountRecorded: true, Cursor: next.String()})
		}
		return nil
	}
	for start := 0; start < len(todo); start += s.size {
		chunk := todo[start:min(start+s.size, len(todo))]
		msgs, err := s.m.fetchAll(ctx, chunk, "raw")
		if err != nil {
			return err
		}
		b := provider.Batch{CountRecorded: true, Cursor: cur.String()}
		if start+s.size >= len(todo) {
			b.Cursor = next.String()
		}
		for _, g := range msgs {
			if g != nil { // nil: deleted since the listing
				b.Messages = append(b.Messages, toMessage(g))
			}
		}
		if err := s.apply(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// refetch fetches the requested ids again; those gone or moved out of
// the folder are removed. The cursor does not move.
func (s *folderSync) refetch(ctx context.Context) error {
	for chunk := range slices.Chunk(s.req.Refetch, s.size) {
		msgs, err := s.m.fetchAll(ctx, chunk, "raw")
		if err != nil {
			return err
		}
		b := provider.Batch{CountRecorded: true, Cursor: s.req.Cursor}
		for i, g := range msgs {
			if g == nil || !InFolder(s.folder, g.LabelIds) {
				b.Removed = append(b.Removed, chunk[i])
				continue
			}
			b.Messages = append(b.Messages, toMessage(g))
		}
		if err := s.apply(ctx, b); err != nil {
			return fmt.Errorf("gmail refetch: %w", err)
		}
	}
	return nil
}

// known asks the core which ids are recorded, a bounded number at a time.
func (s *folderSync) known(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if s.req.Known == nil {
		return out, nil
	}
	for chunk := range slices.Chunk(ids, pageSize) {
		k, err := s.req.Known(ctx, chunk)
		if err != nil {
			return nil, fmt.Errorf("gmail: known ids: %w", err)
		}
		for id, ok := range k {
			if ok {
				out[id] = true
			}
		}
	}
	return out, nil
}

// listPage reads one page of message ids matching q.
func (m *Mailbox) listPage(ctx context.Context, q, token string) (*gmail.ListMessagesResponse, error) {
	if err := m.charge(ctx, costMessagesList); err != nil {
		return nil, err
	}
	call := m.svc.Users.Messages.List("me").Q(q).MaxResults(pageSize).Context(ctx)
	if token != "" {
		call = call.PageToken(token)
	}
	r, err := call.Do()
	if err != nil {
		return nil, wrap("gmail list messages", err)
	}
	return r, nil
}

// listIDs lists every message id matching q, newest first.
func (m *Mailbox) listIDs(ctx context.Context, q string) ([]string, error) {
	ids := []string{}
	token := ""
	for {
		page, err := m.listPage(ctx, q, token)
		if err != nil {
			return nil, err
		}
		for _, msg := range page.Messages {
			ids = append(ids, msg.Id)
		}
		if token = page.NextPageToken; token == "" {
			return ids, nil
		}
	}
}

// ListIDs lists every message id of a pseudo-folder, for reconciliation.
func (m *Mailbox) ListIDs(ctx context.Context, folder provider.Folder) ([]string, error) {
	q, err := query(folder.Name)
	if err != nil {
		return nil, err
	}
	return m.listIDs(ctx, q)
}

func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
