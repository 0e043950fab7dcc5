package mime

import (
	"strings"
)

// maxIDLen bounds a usable message id; longer ones are junk and would not fit
// a database index.
const maxIDLen = 512

// messageID returns the first id of a Message-ID value, or "" when it has
// none that is usable.
func messageID(v string) string {
	ids := idList(v)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// idList extracts every "<...>" id from an In-Reply-To or References value in
// order, without duplicates, tolerating comments, missing separators and
// whitespace inserted by broken folding. A value without brackets is split at
// whitespace and its tokens containing "@" are taken as ids.
func idList(v string) []string {
	var (
		ids  []string
		seen = map[string]bool{}
	)
	add := func(id string) {
		id = squeeze(id)
		if id == "" || len(id) > maxIDLen || !printableASCII(id) || seen[id] {
			return
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if !strings.Contains(v, "<") {
		for _, tok := range strings.Fields(v) {
			if strings.Contains(tok, "@") {
				add(strings.Trim(tok, ">,;"))
			}
		}
		return ids
	}
	for {
		open := strings.IndexByte(v, '<')
		if open < 0 {
			return ids
		}
		v = v[open+1:]
		end := strings.IndexAny(v, "<>")
		if end < 0 {
			return ids
		}
		if v[end] == '>' {
			add(v[:end])
			v = v[end+1:]
		} else {
			v = v[end:] // an unclosed "<" before another id
		}
	}
}

// printableASCII reports whether s has only visible ASCII characters.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
