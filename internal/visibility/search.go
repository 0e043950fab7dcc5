package visibility

import (
	"cmp"
	"slices"
	"strings"

	"github.com/mailsync/mailsync/internal/store"
)

// Weights of a word found in each field: a name or address says most
// about what a message is, a subject more than a body.
const (
	weightParticipant = 3
	weightSubject     = 2
	weightBody        = 1
)

// SearchWords splits a query into the lowercase words that must all
// match, each once, at most n of them.
func SearchWords(q string, n int) []string {
	var out []string
	for _, w := range strings.Fields(strings.ToLower(q)) {
		if !slices.Contains(out, w) && len(out) < n {
			out = append(out, w)
		}
	}
	return out
}

// Score reports whether every word (lowercase, as SearchWords gives
// them) occurs in a field of m that the viewer sees, and how well m
// matches from those fields alone: a withheld subject or body neither
// matches nor counts in the rank.
func Score(viewerID string, m *store.StoredMessage, words []string) (int, bool) {
	level := levelOf(viewerID, m.Holders, m.Granted)
	score := 0
	for _, w := range words {
		s := 0
		for _, p := range m.Participants {
			if contains(p.Name, w) || contains(p.Email, w) {
				s += weightParticipant
				break
			}
		}
		if ShowsSubject(level) && contains(m.Subject, w) {
			s += weightSubject
		}
		if ShowsBody(level) && contains(m.Text, w) {
			s += weightBody
		}
		if s == 0 {
			return 0, false
		}
		score += s
	}
	return score, true
}

func contains(field, word string) bool {
	return strings.Contains(strings.ToLower(field), word)
}

// SearchPage is one page of search results and how many there are.
type SearchPage struct {
	Total    int           `json:"total"`
	Messages []MessageView `json:"messages"`
}

// Page cuts a page from ranked results.
func Page(views []MessageView, limit, offset int) SearchPage {
	p := SearchPage{Total: len(views), Messages: []MessageView{}}
	if offset < len(views) {
		p.Messages = views[offset:min(len(views), offset+limit)]
	}
	return p
}

// Search keeps the messages that match every word for the viewer, best
// match first (newest first among equals), each redacted as Message does.
func Search(viewerID string, msgs []*store.StoredMessage, words []string) []MessageView {
	type hit struct {
		m     *store.StoredMessage
		score int
	}
	var hits []hit
	for _, m := range msgs {
		if s, ok := Score(viewerID, m, words); ok {
			hits = append(hits, hit{m, s})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		return cmp.Or(cmp.Compare(b.score, a.score), b.m.SentAt.Compare(a.m.SentAt), cmp.Compare(a.m.ID, b.m.ID))
	})
	out := make([]MessageView, 0, len(hits))
	for _, h := range hits {
		out = append(out, Message(viewerID, h.m))
	}
	return out
}
