// Package provider defines what the sync core needs from a mail provider
// (IMAP today; Gmail API and Microsoft Graph later). It owns no storage and
// no policy: a provider lists folders and streams what changed in each one.
package provider

import (
	"context"
	"errors"
	"time"
)

// Folder roles, from SPECIAL-USE flags or well-known names.
const (
	RoleInbox   = "inbox"
	RoleSent    = "sent"
	RoleArchive = "archive"
	RoleDrafts  = "drafts"
	RoleTrash   = "trash"
	RoleJunk    = "junk"
	RoleAll     = "all"
	// RoleCategory is a Gmail inbox category (Promotions, Social, Updates,
	// Forums): left out by default, like a newsletter folder.
	RoleCategory = "category"
)

// Folder is one folder of a mailbox.
type Folder struct {
	Name string // provider path, e.g. "INBOX" or "Sent"
	Role string // one of the Role constants, or "" for a user folder
}

// SkippedByDefault reports whether the folder is left out unless the user
// picks it: drafts, trash and junk never hold conversations worth a CRM.
// The "all mail" folder is skipped too: it duplicates every other folder.
func (f Folder) SkippedByDefault() bool {
	switch f.Role {
	case RoleDrafts, RoleTrash, RoleJunk, RoleAll, RoleCategory:
		return true
	}
	return false
}

// MaxMessageBytes is the most of one message a provider downloads: a larger
// message is sent with Raw holding its first MaxMessageBytes and FullSize
// its size, so that memory stays bounded whatever mail arrives (the text
// and headers come first; what is cut is mostly attachments, whose content
// mailsync does not keep). docs/rules.md ("Limits") gives the reasoning.
const MaxMessageBytes = 25 << 20

// Message is one message as the provider holds it.
type Message struct {
	ID  string // provider id, unique within the folder (IMAP: the UID in decimal)
	Raw []byte // the RFC 5322 message; nil for a flag-only update
	// FullSize is the message's size on the server when Raw holds only
	// its first MaxMessageBytes; 0 when Raw is the whole message.
	FullSize     int64
	Flags        []string
	InternalDate time.Time
	// ThreadHint is the provider's own conversation id (Gmail threadId,
	// Graph conversationId), "" when it has none. It joins messages of
	// one mailbox into one thread beside the References headers.
	ThreadHint string
}

// FolderRequest asks a provider to bring one folder up to date.
type FolderRequest struct {
	Folder Folder
	// Cursor is the opaque position stored after the last applied batch;
	// "" means the folder was never synced.
	Cursor string
	// Refetch lists ids to fetch again whatever the cursor says (for
	// example messages a removed blocklist entry had kept out).
	Refetch []string
	// BatchSize bounds the number of messages in one Batch (0: provider default).
	BatchSize int
	// Known reports which of ids are already recorded for this folder.
	// Providers whose listings repeat messages (a Gmail re-list after an
	// expired history, a Graph delta reporting a changed message) use it
	// to fetch bodies only for ids not yet recorded, and to send the
	// others as flag updates. nil means nothing is recorded.
	Known func(ctx context.Context, ids []string) (map[string]bool, error)
}

// Batch is one unit of change. The core applies a batch, and stores its
// Cursor, in one transaction: a crash between batches loses nothing.
type Batch struct {
	// Reset means the ids stored for this folder are no longer valid
	// (IMAP UIDVALIDITY changed): the core forgets them before applying
	// the rest of the batch; messages are matched again by Message-ID.
	Reset bool
	// Listing, when non-nil, is the complete set of ids in the folder at
	// the time of the batch. Stored ids missing from it were deleted.
	Listing []string
	// Listed is how many messages the folder holds on the server; it is
	// read when Listing is non-nil or Listed > 0, and ignored otherwise.
	Listed int
	// Removed lists ids deleted since the cursor (providers with deltas).
	Removed []string
	// CountRecorded is set by providers that cannot count a folder cheaply
	// (Gmail queries, Graph deltas): the core then takes the number of
	// ids recorded for the folder after this batch as its server count.
	// Every id the provider lists gets a record, so the two agree once
	// the folder is synced, and reconciliation checks it against ListIDs.
	CountRecorded bool
	// Messages are new messages (Raw set) or flag updates (Raw nil).
	Messages []Message
	// Cursor is the position to store once this batch is applied.
	Cursor string
}

// ApplyFunc applies one batch; an error stops the folder sync.
type ApplyFunc func(ctx context.Context, b Batch) error

// Mailbox is a connected, logged-in session with one mailbox.
type Mailbox interface {
	// Folders lists the selectable folders with their roles.
	Folders(ctx context.Context) ([]Folder, error)
	// SyncFolder streams the changes of one folder since req.Cursor to
	// apply, in order, in bounded batches. It always sends at least one
	// batch (possibly empty) so the core can record the listing and cursor.
	SyncFolder(ctx context.Context, req FolderRequest, apply ApplyFunc) error
	// Close ends the session.
	Close() error
}

// Sentinel errors callers branch on. Providers wrap them with context.
var (
	// ErrAuth means the server rejected the credentials: the account
	// needs its owner's attention, retrying will not help.
	ErrAuth = errors.New("authentication failed")
	// ErrUnreachable means the server could not be reached (DNS, TCP,
	// TLS handshake): transient, retry with backoff.
	ErrUnreachable = errors.New("server unreachable")
)

// Lister is what a provider offers when it can list a folder's ids
// without fetching anything; reconciliation uses it to compare the server
// with the store.
type Lister interface {
	ListIDs(ctx context.Context, folder Folder) ([]string, error)
}

// Identity is what a provider whose login is not an address (OAuth) tells
// of the mailbox: its primary address and the other addresses it sends
// as (Gmail send-as aliases), read when the account is added.
type Identity interface {
	Identity(ctx context.Context) (address string, aliases []string, err error)
}

// Sender is what a provider offers when it can send as the mailbox.
type Sender interface {
	// Send submits raw, an RFC 5322 message, from the mailbox to the
	// envelope recipients (bcc included), and keeps a copy in its Sent
	// folder. An error means nothing was sent. Sent.CopyErr reports a
	// message sent whose copy could not be kept.
	Send(ctx context.Context, env Envelope, raw []byte) (Sent, error)
}

// Envelope is the SMTP envelope of a message.
type Envelope struct {
	From string
	To   []string
}

// Sent is what became of a sent message's copy.
type Sent struct {
	// Folder is the folder holding the copy, named as Folders names it,
	// so that the sync that finds the copy recognizes it.
	Folder string
	// CopyErr is set when the message went out but the copy was not kept.
	CopyErr error
}

// ErrRejected means the server refused the message (a recipient, the
// sender, the content, or the size): retrying the same will not help.
var ErrRejected = errors.New("message refused")
