package imapsync

import (
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/mailsync/mailsync/internal/provider"
)

func TestFoldersOfWithoutSpecialUse(t *testing.T) {
	list := func(delim rune, names ...string) []*imap.ListData {
		var out []*imap.ListData
		for _, n := range names {
			out = append(out, &imap.ListData{Mailbox: n, Delim: delim})
		}
		return out
	}
	tests := []struct {
		name string
		list []*imap.ListData
		want map[string]string
	}{
		{"exchange", list('/', "INBOX", "Sent Items", "Deleted Items", "Junk E-mail", "Drafts", "Archive", "Clients/Archive"),
			map[string]string{"INBOX": provider.RoleInbox, "Sent Items": provider.RoleSent, "Deleted Items": provider.RoleTrash,
				"Junk E-mail": provider.RoleJunk, "Drafts": provider.RoleDrafts, "Archive": provider.RoleArchive, "Clients/Archive": ""}},
		{"courier", list('.', "INBOX", "INBOX.Sent", "INBOX.Trash", "INBOX.spam", "INBOX.Projects"),
			map[string]string{"INBOX": provider.RoleInbox, "INBOX.Sent": provider.RoleSent, "INBOX.Trash": provider.RoleTrash,
				"INBOX.spam": provider.RoleJunk, "INBOX.Projects": ""}},
		{"gmail without special-use", append(list('/', "INBOX", "[Gmail]/Sent Mail", "[Gmail]/All Mail", "[Gmail]/Bin"),
			&imap.ListData{Mailbox: "[Gmail]", Delim: '/', Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}}),
			map[string]string{"INBOX": provider.RoleInbox, "[Gmail]/Sent Mail": provider.RoleSent,
				"[Gmail]/All Mail": provider.RoleAll, "[Gmail]/Bin": provider.RoleTrash}},
		{"special-use wins over names", []*imap.ListData{
			{Mailbox: "Sent", Delim: '/'},
			{Mailbox: "Gesendet", Delim: '/', Attrs: []imap.MailboxAttr{`\sent`}},
			{Mailbox: "Gone", Delim: '/', Attrs: []imap.MailboxAttr{imap.MailboxAttrNonExistent}},
		}, map[string]string{"Sent": "", "Gesendet": provider.RoleSent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(map[string]string)
			for _, f := range foldersOf(tt.list) {
				got[f.Name] = f.Role
			}
			if len(got) != len(tt.want) {
				t.Errorf("folders %v, want %v", got, tt.want)
			}
			for name, role := range tt.want {
				if got[name] != role {
					t.Errorf("%q: role %q, want %q", name, got[name], role)
				}
			}
		})
	}
}

func TestPlanCountAt(t *testing.T) {
	p := &plan{baseCount: 100, newUIDs: []imap.UID{201, 205, 230}}
	for _, tt := range []struct {
		lastUID imap.UID
		want    int64
	}{{200, 100}, {201, 101}, {204, 101}, {205, 102}, {229, 102}, {230, 103}, {1000, 103}} {
		if got := p.countAt(tt.lastUID); got != tt.want {
			t.Errorf("countAt(%d) = %d, want %d", tt.lastUID, got, tt.want)
		}
	}
}

func TestChunks(t *testing.T) {
	const mib = 1 << 20
	msgs := []sized{{3, mib}, {11, 20 * mib}, {12, 20 * mib}, {13, 40 * mib}, {14, 1}, {15, 1}, {16, 1}}
	got := chunks(msgs, 10, 2)
	want := []chunk{
		{uids: []imap.UID{3, 11}, lastUID: 11},  // 3 is a refetch below the cursor
		{uids: []imap.UID{12}, lastUID: 12},     // 12 and 13 exceed 32 MiB together
		{uids: []imap.UID{13, 14}, lastUID: 14}, // 13 counts as the 25 MiB fetched of it
		{uids: []imap.UID{15, 16}, lastUID: 16},
	}
	if !slices.EqualFunc(got, want, func(a, b chunk) bool { return slices.Equal(a.uids, b.uids) && a.lastUID == b.lastUID }) {
		t.Errorf("chunks = %+v, want %+v", got, want)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := cursor{uidValidity: 1795726668, lastUID: 4242, modSeq: 1 << 40, count: 4000, uidNext: 4243}
	got, err := parseCursor(c.String())
	if err != nil || got != c {
		t.Errorf("parseCursor(%q) = %+v, %v; want %+v", c.String(), got, err, c)
	}
	// A cursor stored before counts were kept: the count is unknown, so
	// the next sync lists the folder.
	old := cursor{uidValidity: 7, lastUID: 42, modSeq: 9, count: -1}
	if got, err := parseCursor("v1:7:42:9"); err != nil || got != old {
		t.Errorf("parseCursor(v1:7:42:9) = %+v, %v; want %+v", got, err, old)
	}
	for _, bad := range []string{"garbage", "v0:1:2:3", "v1:1:2", "v1:x:2:3", "v1:1:99999999999:3", "v2:1:2:3", "v2:1:2:3:x:5", "v1:1:2:3:4:5"} {
		if _, err := parseCursor(bad); err == nil {
			t.Errorf("parseCursor(%q) accepted", bad)
		}
	}
}
