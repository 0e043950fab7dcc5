package mime

import (
	"net/mail"
	"strings"
	"time"
)

// fallbackDateLayouts are formats seen in the wild that net/mail rejects.
var fallbackDateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	time.RFC3339,
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"Mon Jan _2 15:04:05 2006",
	"Mon Jan _2 15:04:05 MST 2006",
	"Mon, 2 Jan 2006 15:04:05 MST -0700",
	"Mon, 2 Jan 2006 15:04:05 -0700 MST",
	"Mon, 2 Jan 2006 15:04:05",
	"2 Jan 2006 15:04:05",
	"Monday, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 January 2006 15:04:05 -0700",
}

// parseDate parses a Date header into UTC; the zero time when it is missing
// or unparseable.
func parseDate(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	// The overwhelmingly common form first: it saves net/mail's layout loop.
	if t, err := time.Parse("Mon, 2 Jan 2006 15:04:05 -0700", v); err == nil {
		return t.UTC()
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t.UTC()
	}
	v = strings.Join(strings.Fields(stripComment(v)), " ")
	v = strings.Replace(v, " GMT+", " +", 1)
	v = strings.Replace(v, " UTC+", " +", 1)
	v = strings.Replace(v, " GMT-", " -", 1)
	for _, layout := range fallbackDateLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// stripComment removes a trailing "(comment)" such as "(PST)".
func stripComment(v string) string {
	if i := strings.IndexByte(v, '('); i > 0 {
		return v[:i]
	}
	return v
}
