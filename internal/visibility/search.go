package visibility

import (
	"github.com/mailsync/mailsync/internal/fulltext"
	"github.com/mailsync/mailsync/internal/store"
)

// SearchWords splits a query into the words that must all match, each
// once, at most n of them: the words the index holds (fulltext.Words),
// so "Jane.Doe@ACME" is jane, doe, acme.
func SearchWords(q string, n int) []string {
	words := fulltext.Words(q)
	return words[:min(n, len(words))]
}

// Sees reports whether the viewer sees every field a hit was found in:
// the store finds each field only where the viewer sees it, and this is
// that decision made again from the message's holders and grants.
func Sees(viewerID string, h store.SearchHit) bool {
	level := levelOf(viewerID, h.Message.Holders, h.Message.Granted)
	switch h.Found {
	case store.FoundInParticipants:
		return true
	case store.FoundInSubject:
		return ShowsSubject(level)
	case store.FoundInBody:
		return ShowsBody(level)
	}
	return false
}

// SearchPage is one page of search results and how many there are.
type SearchPage struct {
	Total    int           `json:"total"`
	Messages []MessageView `json:"messages"`
}

// Search makes a page of the store's ranked hits, each redacted as
// Message does; a hit found through a field the viewer does not see
// (which the store never returns) is left out.
func Search(viewerID string, total int, hits []store.SearchHit) SearchPage {
	p := SearchPage{Total: total, Messages: []MessageView{}}
	for _, h := range hits {
		if Sees(viewerID, h) {
			p.Messages = append(p.Messages, Message(viewerID, h.Message))
		}
	}
	return p
}
