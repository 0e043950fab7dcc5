package policy

import (
	"fmt"
	"strings"
)

// IsBulk reports whether the message's headers mark it as sent to many:
// a List-Id or List-Unsubscribe header, Precedence bulk, list or junk, or
// an Auto-Submitted value other than "no" (RFC 2369, RFC 2919, RFC 3834).
func IsBulk(m Message) bool {
	return bulkDetail(m) != ""
}

// bulkDetail says in words why m is bulk, or returns "" when it is not.
func bulkDetail(m Message) string {
	switch {
	case strings.TrimSpace(m.ListID) != "":
		return "List-Id header present"
	case strings.TrimSpace(m.ListUnsubscribe) != "":
		return "List-Unsubscribe header present"
	}
	switch p := headerToken(m.Precedence); p {
	case "bulk", "list", "junk":
		return fmt.Sprintf("Precedence: %s", p)
	}
	if a := headerToken(m.AutoSubmitted); a != "" && a != "no" {
		return fmt.Sprintf("Auto-Submitted: %s", a)
	}
	return ""
}

// headerToken returns the first token of a header value, lower-cased,
// without parameters or comments: "Auto-Replied; owner=x" gives
// "auto-replied".
func headerToken(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexAny(v, ";( \t"); i >= 0 {
		v = v[:i]
	}
	return v
}
