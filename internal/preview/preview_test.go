package preview

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/policy"
	"github.com/mailsync/mailsync/internal/provider"
)

// box is a mailbox in memory: folders with their messages, streamed in
// batches of two, oldest first (as IMAP sends them).
type box struct {
	folders map[provider.Folder][]provider.Message
}

func (b box) Folders(context.Context) ([]provider.Folder, error) {
	var out []provider.Folder
	for f := range b.folders {
		out = append(out, f)
	}
	return out, nil
}

func (b box) SyncFolder(ctx context.Context, req provider.FolderRequest, apply provider.ApplyFunc) error {
	msgs := b.folders[req.Folder]
	for i := 0; i < len(msgs); i += 2 {
		if err := apply(ctx, provider.Batch{Messages: msgs[i:min(i+2, len(msgs))]}); err != nil {
			return err
		}
	}
	return nil
}

func (box) Close() error { return nil }

type dir struct{}

func (dir) IsMember(e string) bool           { return e == "me@ourco.example" }
func (dir) IsSuppressed(string) bool         { return false }
func (dir) IsSuppressedDomain(d string) bool { return d == "deleted.example" }

var day = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func mail(id, from, to string, hour int) provider.Message {
	raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: s\r\nMessage-ID: <%s>\r\nDate: %s\r\n\r\nhi\r\n",
		from, to, id, day.Add(time.Duration(hour)*time.Hour).Format(time.RFC1123Z))
	return provider.Message{ID: id, Raw: []byte(raw), InternalDate: day.Add(time.Duration(hour) * time.Hour)}
}

func TestRunDecidesTheNewestWithTheRules(t *testing.T) {
	sent := provider.Folder{Name: "Sent", Role: provider.RoleSent}
	inbox := provider.Folder{Name: "INBOX", Role: provider.RoleInbox}
	trash := provider.Folder{Name: "Trash", Role: provider.RoleTrash}
	mb := box{folders: map[provider.Folder][]provider.Message{
		sent: {
			mail("old@ourco.example", "Me <me@ourco.example>", "Old Customer <old@oldco.example>", 0), // too old for limit 4
			mail("s1@ourco.example", "Me <me@ourco.example>", "Jane Roe <jane@acme.example>", 5),
			mail("s2@ourco.example", "Me <me@ourco.example>", "Gone <x@deleted.example>", 6), // a person, but its deleted company is not re-created
		},
		inbox: {
			mail("s1@ourco.example", "Me <me@ourco.example>", "Jane Roe <jane@acme.example>", 5), // the same message again
			mail("n1@news.example", "News <newsletter@news.example>", "me@ourco.example", 7),
			mail("r1@acme.example", "Jane Roe <jane@acme.example>", "me@ourco.example", 8),
		},
		trash: {mail("t1@spam.example", "Spam <a@spam.example>", "me@ourco.example", 9)}, // not synced by default
	}}
	rules := policy.Mailbox{Handle: "me@ourco.example", OwnDomains: []string{"ourco.example"}, ExcludeGroup: true,
		ExcludePersonal: true, AutoCreate: policy.AutoCreateSent}
	res, err := Run(context.Background(), mb, rules, dir{}, Existing{People: map[string]bool{}, Companies: map[string]bool{}}, 5)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%d %d %v %v %v", res.Listed, res.WouldImport, res.WouldSkip, res.WouldCreate.People, res.WouldCreate.Companies)
	if want := "4 3 map[group-sender:1] [{jane@acme.example Jane Roe} {x@deleted.example Gone}] [{acme.example Acme}]"; got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
	// Jane exists: linked, not created, and neither is her company.
	res, err = Run(context.Background(), mb, rules, dir{}, Existing{People: map[string]bool{"jane@acme.example": true},
		Companies: map[string]bool{}}, 5)
	if err != nil || len(res.WouldCreate.People) != 1 || len(res.WouldCreate.Companies) != 0 {
		t.Fatalf("existing person: %+v, %v", res.WouldCreate, err)
	}
}
