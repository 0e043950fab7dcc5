package gmailsync

import (
	"context"
	"net/http"
	"slices"

	"google.golang.org/api/gmail/v1"

	"github.com/mailsync/mailsync/internal/provider"
)

// change is where one message ended after the history records replayed.
type change struct {
	id        string
	labels    []string // labels after the last record; nil when no record told
	deleted   bool
	relabeled bool
}

// incremental applies the history since the cursor. Whether a message
// was in the folder before is what the core has recorded (Known); where
// it is now follows from its labels after the records are replayed.
func (s *folderSync) incremental(ctx context.Context, cur cursor) error {
	records, newID, err := s.m.history(ctx, cur.historyID)
	if isStatus(err, http.StatusNotFound) {
		// Gmail keeps history for about a week: list again; Known keeps
		// recorded messages from being fetched twice.
		return s.list(ctx, cursor{full: true})
	}
	if err != nil {
		return err
	}
	changes := replay(records)
	ids := make([]string, len(changes))
	for i, c := range changes {
		ids[i] = c.id
	}
	known, err := s.known(ctx, ids)
	if err != nil {
		return err
	}
	var removed []string
	var work []change // to fetch (raw when new, minimal when labels are unknown) or flag updates
	for _, c := range changes {
		switch {
		case c.deleted || (c.labels != nil && !InFolder(s.folder, c.labels)):
			if known[c.id] {
				removed = append(removed, c.id)
			}
		case known[c.id] && (c.relabeled || c.labels == nil):
			work = append(work, c)
		case !known[c.id]:
			work = append(work, c)
		}
	}
	return s.applyChanges(ctx, removed, work, known, cur, cursor{historyID: max(newID, cur.historyID)})
}

// applyChanges sends removals, flag updates and new messages in batches
// of the request's size; only the last batch moves the cursor to next.
func (s *folderSync) applyChanges(ctx context.Context, removed []string, work []change, known map[string]bool, cur, next cursor) error {
	if len(work) == 0 {
		return s.apply(ctx, provider.Batch{Removed: removed, CountRecorded: true, Cursor: next.String()})
	}
	for start := 0; start < len(work); start += s.size {
		chunk := work[start:min(start+s.size, len(work))]
		msgs, gone, err := s.resolve(ctx, chunk, known)
		if err != nil {
			return err
		}
		b := provider.Batch{Messages: msgs, Removed: gone, CountRecorded: true, Cursor: cur.String()}
		if start == 0 {
			b.Removed = append(b.Removed, removed...)
		}
		if start+s.size >= len(work) {
			b.Cursor = next.String()
		}
		if err := s.apply(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// resolve turns changes into messages: a recorded message whose labels
// are known becomes a flag update without any call; the others are
// fetched, raw when not recorded, minimal (labels only) when recorded.
// Fetched messages outside the folder are dropped, or removed when
// recorded.
func (s *folderSync) resolve(ctx context.Context, chunk []change, known map[string]bool) ([]provider.Message, []string, error) {
	var raw, minimal []string
	var msgs []provider.Message
	for _, c := range chunk {
		switch {
		case !known[c.id]:
			raw = append(raw, c.id)
		case c.labels == nil:
			minimal = append(minimal, c.id)
		default:
			msgs = append(msgs, provider.Message{ID: c.id, Flags: c.labels})
		}
	}
	fetchedRaw, err := s.m.fetchAll(ctx, raw, "raw")
	if err != nil {
		return nil, nil, err
	}
	fetchedMin, err := s.m.fetchAll(ctx, minimal, "minimal")
	if err != nil {
		return nil, nil, err
	}
	var gone []string
	ids := append(slices.Clone(raw), minimal...)
	for i, g := range append(fetchedRaw, fetchedMin...) {
		id := ids[i]
		switch {
		case g != nil && InFolder(s.folder, g.LabelIds):
			msgs = append(msgs, toMessage(g))
		case known[id]:
			gone = append(gone, id)
		}
	}
	return msgs, gone, nil
}

// history reads every history record after start and the mailbox's
// historyId at the time.
func (m *Mailbox) history(ctx context.Context, start uint64) ([]*gmail.History, uint64, error) {
	var out []*gmail.History
	var latest uint64
	token := ""
	for {
		if err := m.charge(ctx, costHistoryList); err != nil {
			return nil, 0, err
		}
		call := m.svc.Users.History.List("me").StartHistoryId(start).MaxResults(pageSize).Context(ctx)
		if token != "" {
			call = call.PageToken(token)
		}
		r, err := call.Do()
		if err != nil {
			return nil, 0, wrap("gmail list history", err)
		}
		out = append(out, r.History...)
		latest = max(latest, r.HistoryId)
		if token = r.NextPageToken; token == "" {
			return out, latest, nil
		}
	}
}

// replay folds history records, in order, into one change per message,
// in the order messages first appear. Label additions and removals are
// set operations, so applying them to the labels a record reports
// (before or after its own change) gives the final labels either way.
func replay(records []*gmail.History) []change {
	var order []string
	byID := map[string]*change{}
	get := func(m *gmail.Message) *change {
		c, ok := byID[m.Id]
		if !ok {
			c = &change{id: m.Id}
			byID[m.Id] = c
			order = append(order, m.Id)
		}
		if c.labels == nil && m.LabelIds != nil {
			c.labels = slices.Clone(m.LabelIds)
		}
		return c
	}
	for _, h := range records {
		for _, a := range h.MessagesAdded {
			if a.Message != nil {
				c := get(a.Message)
				c.deleted = false
				c.labels = slices.Clone(a.Message.LabelIds)
			}
		}
		for _, a := range h.LabelsAdded {
			if a.Message != nil {
				c := get(a.Message)
				c.relabeled = true
				if c.labels != nil {
					c.labels = addLabels(c.labels, a.LabelIds)
				}
			}
		}
		for _, r := range h.LabelsRemoved {
			if r.Message != nil {
				c := get(r.Message)
				c.relabeled = true
				if c.labels != nil {
					c.labels = slices.DeleteFunc(c.labels, func(l string) bool { return slices.Contains(r.LabelIds, l) })
				}
			}
		}
		for _, d := range h.MessagesDeleted {
			if d.Message != nil {
				get(d.Message).deleted = true
			}
		}
	}
	out := make([]change, len(order))
	for i, id := range order {
		out[i] = *byID[id]
	}
	return out
}

func addLabels(labels, add []string) []string {
	for _, l := range add {
		if !slices.Contains(labels, l) {
			labels = append(labels, l)
		}
	}
	return labels
}
