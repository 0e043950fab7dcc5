package mime

import (
	"strings"
	"testing"
	"time"
)

func TestIDList(t *testing.T) {
	tests := []struct {
		name, value string
		want        []string
	}{
		{"one", "<a@x.com>", []string{"a@x.com"}},
		{"padded", "  < a@x.com >  ", []string{"a@x.com"}},
		{"several", "<a@x.com> <b@x.com>\t<c@x.com>", []string{"a@x.com", "b@x.com", "c@x.com"}},
		{"no separators", "<a@x.com><b@x.com>", []string{"a@x.com", "b@x.com"}},
		{"comments", "<a@x.com> (Jane's message of Mon) <b@x.com>", []string{"a@x.com", "b@x.com"}},
		{"broken folding inside id", "<a@exa mple.com> <b@x.com>", []string{"a@example.com", "b@x.com"}},
		{"duplicates", "<a@x.com> <b@x.com> <a@x.com>", []string{"a@x.com", "b@x.com"}},
		{"unclosed", "<a@x.com <b@x.com>", []string{"b@x.com"}},
		{"empty brackets", "<> <a@x.com>", []string{"a@x.com"}},
		{"no brackets", "a@x.com b@x.com", []string{"a@x.com", "b@x.com"}},
		{"no brackets no at", "garbage", nil},
		{"empty", "", nil},
		{"too long", "<" + strings.Repeat("a", 600) + "@x.com>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eqStrings(t, tt.value, idList(tt.value), tt.want)
		})
	}
}

func TestParseDate(t *testing.T) {
	want := time.Date(2025, 1, 6, 8, 18, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Time
	}{
		{"Mon, 06 Jan 2025 09:18:00 +0100", want},
		{"Mon, 6 Jan 2025 09:18:00 +0100 (CET)", want},
		{"6 Jan 2025 08:18 GMT", want},
		{"Mon,  6 Jan 2025 09:18:00 +0100", want},
		{"Mon, 06 Jan 25 08:18:00 UT", want},
		{"Mon, 6 Jan 2025 09:18:00 GMT+0100", want},
		{"2025-01-06T09:18:00+01:00", want},
		{"Mon Jan  6 08:18:00 2025", want},
		{"", time.Time{}},
		{"yesterday", time.Time{}},
	}
	for _, tt := range tests {
		if got := parseDate(tt.value); !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("parseDate(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

func TestSplitMessage(t *testing.T) {
	raw := "From mbox@line Mon Jan  6 08:18:00 2025\n" +
		"Subject: folded\n   across lines\n" +
		"X Bad Name: dropped\n" +
		"To : alice@ourco.example\n" +
		"not indented continuation\n" +
		"\nbody\n"
	h, body, err := splitMessage([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "Subject", h.get("subject"), "folded across lines")
	eq(t, "To", h.get("To"), "alice@ourco.example not indented continuation")
	eq(t, "X Bad Name", h.get("X Bad Name"), "")
	eq(t, "fields", len(h), 2)
	eq(t, "body", string(body), "body\n")
}

func TestDecodeText(t *testing.T) {
	d := newDecoder("")
	tests := []struct{ in, want string }{
		{"plain subject", "plain subject"},
		{"=?utf-8?Q?Caf=C3=A9?= =?utf-8?Q?_=E2=98=95?=", "Café ☕"},
		{"Re: =?ISO-8859-1?B?U2No9m5l?= Woche", "Re: Schöne Woche"},
		{"tab\tand\x00nul", "tab and nul"},
		{"bad \xff utf8 \xe9", "bad ÿ utf8 é"},
		{"=?utf-8?Q?broken", "=?utf-8?Q?broken"},
	}
	for _, tt := range tests {
		eq(t, tt.in, d.text(tt.in), tt.want)
	}
}
