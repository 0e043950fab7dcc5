package imapsync

import (
	"context"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/mailsync/mailsync/internal/provider"
)

// specialUse maps SPECIAL-USE attributes (RFC 6154) to roles.
var specialUse = map[imap.MailboxAttr]string{
	imap.MailboxAttrSent:    provider.RoleSent,
	imap.MailboxAttrDrafts:  provider.RoleDrafts,
	imap.MailboxAttrTrash:   provider.RoleTrash,
	imap.MailboxAttrJunk:    provider.RoleJunk,
	imap.MailboxAttrArchive: provider.RoleArchive,
	imap.MailboxAttrAll:     provider.RoleAll,
}

// wellKnown maps common folder names, lower-cased, to roles for servers
// without SPECIAL-USE. A name matches as the full path or as its last part.
var wellKnown = map[string]string{
	"sent":               provider.RoleSent,
	"sent items":         provider.RoleSent,
	"sent messages":      provider.RoleSent,
	"sent mail":          provider.RoleSent,
	"[gmail]/sent mail":  provider.RoleSent,
	"gesendet":           provider.RoleSent,
	"gesendete elemente": provider.RoleSent,
	"gesendete objekte":  provider.RoleSent,
	"drafts":             provider.RoleDrafts,
	"draft":              provider.RoleDrafts,
	"[gmail]/drafts":     provider.RoleDrafts,
	"entwürfe":           provider.RoleDrafts,
	"trash":              provider.RoleTrash,
	"deleted items":      provider.RoleTrash,
	"deleted messages":   provider.RoleTrash,
	"bin":                provider.RoleTrash,
	"[gmail]/trash":      provider.RoleTrash,
	"[gmail]/bin":        provider.RoleTrash,
	"papierkorb":         provider.RoleTrash,
	"junk":               provider.RoleJunk,
	"junk e-mail":        provider.RoleJunk,
	"junk email":         provider.RoleJunk,
	"spam":               provider.RoleJunk,
	"bulk mail":          provider.RoleJunk,
	"[gmail]/spam":       provider.RoleJunk,
	"archive":            provider.RoleArchive,
	"archives":           provider.RoleArchive,
	"archiv":             provider.RoleArchive,
	"[gmail]/all mail":   provider.RoleAll,
	"all mail":           provider.RoleAll,
}

// Folders lists the selectable folders. Roles come from SPECIAL-USE
// attributes; a role no folder claims that way falls back to well-known
// names. INBOX is always the inbox.
func (m *Mailbox) Folders(ctx context.Context) ([]provider.Folder, error) {
	defer m.guard(ctx)()
	var opts *imap.ListOptions
	if m.c.Caps().Has(imap.CapSpecialUse) {
		opts = &imap.ListOptions{ReturnSpecialUse: true}
	}
	list, err := m.c.List("", "*", opts).Collect()
	if err != nil {
		return nil, fmt.Errorf("list folders of %s: %w", m.addr, ctxError(ctx, err))
	}
	return foldersOf(list), nil
}

// foldersOf turns LIST responses into folders with roles.
func foldersOf(list []*imap.ListData) []provider.Folder {
	claimed := make(map[string]bool) // roles given by SPECIAL-USE
	var folders []provider.Folder
	var delims []rune
	for _, d := range list {
		if hasAttr(d, imap.MailboxAttrNoSelect) || hasAttr(d, imap.MailboxAttrNonExistent) {
			continue
		}
		f := provider.Folder{Name: d.Mailbox}
		if strings.EqualFold(d.Mailbox, "INBOX") {
			f.Role = provider.RoleInbox
		}
		for _, a := range d.Attrs {
			if role, ok := specialUse[imap.MailboxAttr(canonicalAttr(a))]; ok && f.Role == "" {
				f.Role = role
				claimed[role] = true
			}
		}
		folders = append(folders, f)
		delims = append(delims, d.Delim)
	}
	for i := range folders {
		if folders[i].Role != "" {
			continue
		}
		if role := roleByName(folders[i].Name, delims[i]); role != "" && !claimed[role] {
			folders[i].Role = role
		}
	}
	return folders
}

// canonicalAttr fixes the case of an attribute: servers vary.
func canonicalAttr(a imap.MailboxAttr) string {
	for known := range specialUse {
		if strings.EqualFold(string(a), string(known)) {
			return string(known)
		}
	}
	return string(a)
}

func hasAttr(d *imap.ListData, attr imap.MailboxAttr) bool {
	for _, a := range d.Attrs {
		if strings.EqualFold(string(a), string(attr)) {
			return true
		}
	}
	return false
}

// roleByName guesses a role from a folder's name, for servers without
// SPECIAL-USE: "Sent Items", "INBOX.Sent" and "[Google Mail]/Sent Mail" all
// are sent folders, but a user's "Clients/Archive" is not an archive.
func roleByName(name string, delim rune) string {
	lower := strings.ToLower(name)
	if role, ok := wellKnown[lower]; ok {
		return role
	}
	if delim == 0 {
		return ""
	}
	parent, last, ok := strings.Cut(lower, string(delim))
	if !ok || strings.ContainsRune(last, delim) {
		return ""
	}
	if parent == "inbox" || strings.HasPrefix(parent, "[") {
		return wellKnown[last]
	}
	return ""
}
