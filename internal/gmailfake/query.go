package gmailfake

import (
	"fmt"
	"slices"
	"strings"
)

// filter is what a messages.list request selects: labels every message
// must carry and labels none may carry.
type filter struct {
	require, exclude []string
}

// terms maps the search terms the fake understands to label ids.
var terms = map[string]string{
	"in:inbox": "INBOX", "in:sent": "SENT", "in:spam": "SPAM", "in:trash": "TRASH",
	"in:draft": "DRAFT", "in:drafts": "DRAFT", "in:starred": "STARRED", "is:starred": "STARRED",
	"is:unread": "UNREAD", "is:important": "IMPORTANT",
	"category:primary": "CATEGORY_PERSONAL", "category:personal": "CATEGORY_PERSONAL",
	"category:promotions": "CATEGORY_PROMOTIONS", "category:social": "CATEGORY_SOCIAL",
	"category:updates": "CATEGORY_UPDATES", "category:forums": "CATEGORY_FORUMS",
}

// parseFilter reads labelIds, q and includeSpamTrash. Spam and trash are
// left out unless includeSpamTrash is true or q asks for them.
func parseFilter(q map[string][]string) (filter, error) {
	f := filter{require: q["labelIds"]}
	for _, t := range strings.Fields(strings.ToLower(first(q, "q"))) {
		neg := strings.HasPrefix(t, "-")
		t = strings.TrimPrefix(t, "-")
		label, ok := terms[t]
		if name, isLabel := strings.CutPrefix(t, "label:"); isLabel {
			label, ok = strings.ToUpper(name), true
		}
		if !ok {
			return f, fmt.Errorf("invalid query: the fake does not understand %q", t)
		}
		if neg {
			f.exclude = append(f.exclude, label)
		} else {
			f.require = append(f.require, label)
		}
	}
	if first(q, "includeSpamTrash") != "true" {
		for _, l := range []string{"SPAM", "TRASH"} {
			if !slices.Contains(f.require, l) {
				f.exclude = append(f.exclude, l)
			}
		}
	}
	return f, nil
}

func (f filter) match(labels []string) bool {
	for _, l := range f.require {
		if !slices.Contains(labels, l) {
			return false
		}
	}
	for _, l := range f.exclude {
		if slices.Contains(labels, l) {
			return false
		}
	}
	return true
}
