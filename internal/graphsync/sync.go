package graphsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailsync/mailsync/internal/provider"
)

// A folder's cursor is one of:
//
//	"full:" + link   a first (or repeated) full listing is under way; link
//	                 is the delta page to fetch again to resume it
//	"delta:" + link  the folder is synced; link is the deltaLink of the
//	                 last round, or the nextLink of an incremental round
//	                 under way
//
// The kind matters because a full listing ends with a Listing batch
// that finds messages deleted while nothing tracked them.
const (
	fullPrefix  = "full:"
	deltaPrefix = "delta:"
)

// deltaSelect is what a delta page says of each message: enough for
// flags, the received date and the thread hint; the body comes from $value.
const deltaSelect = "id,receivedDateTime,isRead,flag,conversationId"

// errSyncState means Graph rejected a delta or next link: its sync state
// expired or is not valid, and the folder must be listed again in full.
var errSyncState = errors.New("delta token rejected")

type graphMessage struct {
	ID      string `json:"id"`
	Removed *struct {
		Reason string `json:"reason"`
	} `json:"@removed"`
	ReceivedDateTime time.Time `json:"receivedDateTime"`
	IsRead           bool      `json:"isRead"`
	Flag             struct {
		FlagStatus string `json:"flagStatus"`
	} `json:"flag"`
	ConversationID string `json:"conversationId"`
	ParentFolderID string `json:"parentFolderId"`
}

func (g graphMessage) flags() []string {
	var f []string
	if g.IsRead {
		f = append(f, `\Seen`)
	}
	if g.Flag.FlagStatus == "flagged" {
		f = append(f, `\Flagged`)
	}
	return f
}

type deltaPage struct {
	Value     []graphMessage `json:"value"`
	NextLink  string         `json:"@odata.nextLink"`
	DeltaLink string         `json:"@odata.deltaLink"`
}

// SyncFolder streams the folder's delta since req.Cursor. A delta or next
// link Graph rejects starts a full listing over, which fetches bodies
// only for ids not yet recorded (req.Known).
func (m *Mailbox) SyncFolder(ctx context.Context, req provider.FolderRequest, apply provider.ApplyFunc) error {
	id, err := m.folderID(ctx, req.Folder.Name)
	if err != nil {
		return err
	}
	s := &folderSync{m: m, req: req, apply: apply, folderID: id, batchSize: req.BatchSize, fetched: map[string]bool{}}
	if s.batchSize <= 0 {
		s.batchSize = 100
	}
	if err := s.refetch(ctx); err != nil {
		return err
	}
	full, link := true, s.startLink()
	resumed := false
	if kind, l, ok := m.parseCursor(req.Cursor); ok {
		full, link, resumed = kind == fullPrefix, l, true
	}
	err = s.run(ctx, full, link)
	if resumed && errors.Is(err, errSyncState) {
		// Graph keeps delta state for a limited time (days to weeks).
		err = s.run(ctx, true, s.startLink())
	}
	if err != nil {
		return fmt.Errorf("graph: folder %s: %w", req.Folder.Name, err)
	}
	return nil
}

// parseCursor splits a stored cursor. A link that does not point at the
// configured API (the base URL changed) is not followed: the bearer
// token must not go elsewhere, and the folder is listed again instead.
func (m *Mailbox) parseCursor(cursor string) (kind, link string, ok bool) {
	for _, p := range []string{fullPrefix, deltaPrefix} {
		if l, found := strings.CutPrefix(cursor, p); found && strings.HasPrefix(l, m.cfg.BaseURL+"/") {
			return p, l, true
		}
	}
	return "", "", false
}

// folderSync is one SyncFolder call.
type folderSync struct {
	m         *Mailbox
	req       provider.FolderRequest
	apply     provider.ApplyFunc
	folderID  string
	batchSize int
	// fetched and previous hold the ids whose body was handed over with
	// the current and the previous page: the core stores one batch behind
	// the one it is given, so Known may not see them yet. Older pages are
	// stored by then, which keeps these sets small on any folder.
	fetched, previous map[string]bool
}

func (s *folderSync) startLink() string {
	return s.m.url("/me/mailFolders/" + url.PathEscape(s.folderID) + "/messages/delta?$select=" + deltaSelect)
}

// run follows delta pages from link. Each page's batches carry the
// page's own link as cursor until its last, which carries the next one;
// a full listing ends with a Listing batch carrying the delta link.
func (s *folderSync) run(ctx context.Context, full bool, link string) error {
	kind := deltaPrefix
	if full {
		kind = fullPrefix
	}
	for {
		page, err := s.page(ctx, link)
		if err != nil {
			return err
		}
		var after string
		switch {
		case page.NextLink != "":
			after = kind + page.NextLink
		case page.DeltaLink == "":
			return fmt.Errorf("delta page without next or delta link")
		case full:
			after = kind + link // done only once the Listing batch is applied
		default:
			after = deltaPrefix + page.DeltaLink
		}
		if err := s.applyPage(ctx, page.Value, kind+link, after); err != nil {
			return err
		}
		if page.NextLink == "" {
			if full {
				return s.applyListing(ctx, deltaPrefix+page.DeltaLink)
			}
			return nil
		}
		link = page.NextLink
	}
}

// page fetches one delta page. A link carrying a token that Graph
// rejects (410 SyncStateNotFound, or 400/404) yields errSyncState.
func (s *folderSync) page(ctx context.Context, link string) (*deltaPage, error) {
	var page deltaPage
	err := s.m.getJSON(ctx, link, &page, "odata.maxpagesize="+strconv.Itoa(s.m.cfg.PageSize))
	hasToken := strings.Contains(link, "$skiptoken=") || strings.Contains(link, "$deltatoken=") ||
		strings.Contains(link, "%24skiptoken=") || strings.Contains(link, "%24deltatoken=")
	if hasToken && statusIs(err, http.StatusGone, http.StatusBadRequest, http.StatusNotFound) {
		return nil, fmt.Errorf("%w: %w", errSyncState, err)
	}
	if err != nil {
		return nil, fmt.Errorf("delta: %w", err)
	}
	return &page, nil
}

// applyPage hands one page over in batches: removals first, known ids as
// flag updates, new ones with their bodies.
func (s *folderSync) applyPage(ctx context.Context, items []graphMessage, cursor, after string) error {
	s.previous, s.fetched = s.fetched, map[string]bool{}
	var removed []string
	var present []graphMessage
	var ids []string
	for _, it := range items {
		if it.Removed != nil {
			removed = append(removed, it.ID)
		} else {
			present = append(present, it)
			ids = append(ids, it.ID)
		}
	}
	known, err := s.known(ctx, ids)
	if err != nil {
		return err
	}
	for start := 0; start == 0 || start < len(present); start += s.batchSize {
		chunk := present[start:min(start+s.batchSize, len(present))]
		b := provider.Batch{Removed: removed, CountRecorded: true, Cursor: cursor}
		removed = nil
		if start+s.batchSize >= len(present) {
			b.Cursor = after
		}
		if err := s.fill(ctx, &b, chunk, known); err != nil {
			return err
		}
		if err := s.apply(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

func (s *folderSync) known(ctx context.Context, ids []string) (map[string]bool, error) {
	known := make(map[string]bool, len(ids))
	if s.req.Known != nil && len(ids) > 0 {
		stored, err := s.req.Known(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("known ids: %w", err)
		}
		for id, ok := range stored {
			known[id] = ok
		}
	}
	for _, id := range ids {
		if s.fetched[id] || s.previous[id] {
			known[id] = true
		}
	}
	return known, nil
}

// fill puts chunk into b: flag updates for known ids, downloaded
// messages for the others (in the page's order), removals for those
// deleted before their body could be read.
func (s *folderSync) fill(ctx context.Context, b *provider.Batch, chunk []graphMessage, known map[string]bool) error {
	var fetch []graphMessage
	for _, g := range chunk {
		if !known[g.ID] {
			fetch = append(fetch, g)
		}
	}
	bodies, err := s.m.bodies(ctx, fetch, s.m.cfg.Concurrency)
	if err != nil {
		return err
	}
	for _, g := range chunk {
		msg := provider.Message{ID: g.ID, Flags: g.flags()}
		if !known[g.ID] {
			raw, ok := bodies[g.ID]
			if !ok {
				b.Removed = append(b.Removed, g.ID)
				continue
			}
			msg.Raw, msg.InternalDate, msg.ThreadHint = raw, g.ReceivedDateTime, g.ConversationID
			s.fetched[g.ID] = true
		}
		b.Messages = append(b.Messages, msg)
	}
	return nil
}

// bodies downloads the MIME bytes of msgs, at most n at once. A message
// deleted meanwhile (404) is left out of the result.
func (m *Mailbox) bodies(ctx context.Context, msgs []graphMessage, n int) (map[string][]byte, error) {
	out := make(map[string][]byte, len(msgs))
	if len(msgs) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, n)
	for _, g := range msgs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			raw, err := m.body(ctx, g.ID)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case statusIs(err, http.StatusNotFound):
			case err != nil:
				if firstErr == nil {
					firstErr = err
					cancel() // the batch fails anyway: stop the other downloads
				}
			default:
				out[g.ID] = raw
			}
		})
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return out, firstErr
}

// body reads one message's MIME bytes.
func (m *Mailbox) body(ctx context.Context, id string) ([]byte, error) {
	resp, err := m.get(ctx, m.url("/me/messages/"+url.PathEscape(id)+"/$value"))
	if err != nil {
		return nil, fmt.Errorf("message %s: %w", id, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("message %s: read body: %w", id, classify(ctx, err))
	}
	if raw == nil {
		raw = []byte{} // Raw nil would mean a flag-only update
	}
	return raw, nil
}

// applyListing ends a full listing: a batch whose Listing is every id in
// the folder now, so messages deleted while no delta state tracked them
// are found, with the delta link as cursor.
func (s *folderSync) applyListing(ctx context.Context, cursor string) error {
	ids, err := s.m.listIDs(ctx, s.folderID)
	if err != nil {
		return err
	}
	if ids == nil {
		ids = []string{} // an empty folder still lists: nil would mean no listing
	}
	return s.apply(ctx, provider.Batch{Listing: ids, Listed: len(ids), CountRecorded: true, Cursor: cursor})
}

// refetch downloads req.Refetch again, in batches that keep the cursor.
func (s *folderSync) refetch(ctx context.Context) error {
	for start := 0; start < len(s.req.Refetch); start += s.batchSize {
		b := provider.Batch{CountRecorded: true, Cursor: s.req.Cursor}
		var metas []graphMessage
		for _, id := range s.req.Refetch[start:min(start+s.batchSize, len(s.req.Refetch))] {
			g, err := s.m.message(ctx, id)
			switch {
			case statusIs(err, http.StatusNotFound):
				b.Removed = append(b.Removed, id)
			case err != nil:
				return err
			case g.ParentFolderID != s.folderID:
				b.Removed = append(b.Removed, id) // moved away: the delta reports it too
			default:
				metas = append(metas, *g)
			}
		}
		if err := s.fill(ctx, &b, metas, nil); err != nil {
			return err
		}
		if err := s.apply(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

func (m *Mailbox) message(ctx context.Context, id string) (*graphMessage, error) {
	var g graphMessage
	link := m.url("/me/messages/" + url.PathEscape(id) + "?$select=" + deltaSelect + ",parentFolderId")
	if err := m.getJSON(ctx, link, &g); err != nil {
		return nil, fmt.Errorf("message %s: %w", id, err)
	}
	return &g, nil
}

// ListIDs returns the id of every message in the folder.
func (m *Mailbox) ListIDs(ctx context.Context, folder provider.Folder) ([]string, error) {
	id, err := m.folderID(ctx, folder.Name)
	if err != nil {
		return nil, err
	}
	ids, err := m.listIDs(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("graph: folder %s: %w", folder.Name, err)
	}
	return ids, nil
}

func (m *Mailbox) listIDs(ctx context.Context, folderID string) ([]string, error) {
	var ids []string
	link := m.url("/me/mailFolders/" + url.PathEscape(folderID) + "/messages?$select=id&$top=1000")
	for link != "" {
		var page struct {
			Value []struct {
				ID string `json:"id"`
			} `json:"value"`
			NextLink string `json:"@odata.nextLink"`
		}
		if err := m.getJSON(ctx, link, &page); err != nil {
			return nil, fmt.Errorf("list ids: %w", err)
		}
		for _, v := range page.Value {
			ids = append(ids, v.ID)
		}
		link = page.NextLink
	}
	return ids, nil
}
