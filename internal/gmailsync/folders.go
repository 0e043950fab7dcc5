package gmailsync

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mailsync/mailsync/internal/provider"
)

// Gmail has labels, not folders. mailsync sees five pseudo-folders that
// split the mailbox by label, each a Gmail query with its own cursor:
// Mail (everything a conversation lives in) and the four inbox categories.
const MailFolder = "Mail"

// categories maps each category pseudo-folder to its Gmail label and
// search term.
var categories = []struct{ name, label, term string }{
	{"Promotions", "CATEGORY_PROMOTIONS", "category:promotions"},
	{"Social", "CATEGORY_SOCIAL", "category:social"},
	{"Updates", "CATEGORY_UPDATES", "category:updates"},
	{"Forums", "CATEGORY_FORUMS", "category:forums"},
}

// neverSynced are the labels whose messages belong to no pseudo-folder.
var neverSynced = []string{"SPAM", "TRASH", "DRAFT"}

// Folders returns the fixed pseudo-folders; the categories have
// RoleCategory, so the core leaves them out unless the user picks them.
func (m *Mailbox) Folders(ctx context.Context) ([]provider.Folder, error) {
	out := []provider.Folder{{Name: MailFolder}}
	for _, c := range categories {
		out = append(out, provider.Folder{Name: c.name, Role: provider.RoleCategory})
	}
	return out, nil
}

// InFolder reports whether a message with these labels belongs to the
// pseudo-folder: Mail holds what is in no category and not spam, trash
// or a draft; a category folder holds that category's messages, less
// spam, trash and drafts.
func InFolder(folder string, labels []string) bool {
	for _, l := range neverSynced {
		if slices.Contains(labels, l) {
			return false
		}
	}
	if folder == MailFolder {
		for _, c := range categories {
			if slices.Contains(labels, c.label) {
				return false
			}
		}
		return true
	}
	for _, c := range categories {
		if c.name == folder {
			return slices.Contains(labels, c.label)
		}
	}
	return false
}

// query is the messages.list search selecting the pseudo-folder, the
// same set InFolder accepts (spam and trash are left out by default).
func query(folder string) (string, error) {
	terms := []string{"-in:drafts"}
	if folder == MailFolder {
		for _, c := range categories {
			terms = append(terms, "-"+c.term)
		}
		return strings.Join(terms, " "), nil
	}
	for _, c := range categories {
		if c.name == folder {
			return strings.Join(append(terms, c.term), " "), nil
		}
	}
	return "", fmt.Errorf("gmail: no folder %q", folder)
}

// cursor is a pseudo-folder's position. While the folder is listed it
// is "full:<startHistoryId>:<pageToken>" (the page to list next; the
// history id read before the listing began); afterwards it is
// "history:<historyId>".
type cursor struct {
	full      bool
	historyID uint64
	pageToken string
}

func (c cursor) String() string {
	if c.full {
		return "full:" + strconv.FormatUint(c.historyID, 10) + ":" + c.pageToken
	}
	return "history:" + strconv.FormatUint(c.historyID, 10)
}

// parseCursor reads a stored cursor; "" (never synced) is a full listing
// not yet started (historyID 0).
func parseCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{full: true}, nil
	}
	kind, rest, _ := strings.Cut(s, ":")
	idText, token, _ := strings.Cut(rest, ":")
	id, err := strconv.ParseUint(idText, 10, 64)
	switch {
	case err != nil || id == 0:
		return cursor{}, fmt.Errorf("gmail: bad cursor %q", s)
	case kind == "full":
		return cursor{full: true, historyID: id, pageToken: token}, nil
	case kind == "history" && token == "":
		return cursor{historyID: id}, nil
	}
	return cursor{}, fmt.Errorf("gmail: bad cursor %q", s)
}
