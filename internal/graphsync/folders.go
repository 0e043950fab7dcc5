package graphsync

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/mailsync/mailsync/internal/provider"
)

// roles maps Graph's well-known folder names to roles. Display names are
// localized ("Gesendete Elemente"), so roles come from these names only.
var roles = map[string]string{
	"inbox":        provider.RoleInbox,
	"sentitems":    provider.RoleSent,
	"drafts":       provider.RoleDrafts,
	"deleteditems": provider.RoleTrash,
	"junkemail":    provider.RoleJunk,
	"archive":      provider.RoleArchive,
}

// systemFolders are well-known folders left out with everything under
// them: they hold no conversation a CRM wants. Outbox holds mail not
// sent yet (it lands in Sent Items once sent); Conversation History holds
// Skype and Teams chat logs; Sync Issues (with Conflicts, Local Failures
// and Server Failures) holds Outlook's own sync logs; Search Folders
// holds saved searches, which only repeat mail of other folders.
var systemFolders = []string{"outbox", "conversationhistory", "syncissues", "searchfolders"}

type mailFolder struct {
	ID               string `json:"id"`
	DisplayName      string `json:"displayName"`
	ChildFolderCount int    `json:"childFolderCount"`
}

type folderPage struct {
	Value    []mailFolder `json:"value"`
	NextLink string       `json:"@odata.nextLink"`
}

// Folders lists every folder but the system ones, named by display path
// ("Inbox/Projects"). Folders under Deleted Items and Junk Email take
// their parent's role: a folder the user deleted is trash too.
func (m *Mailbox) Folders(ctx context.Context) ([]provider.Folder, error) {
	role := map[string]string{}
	skip := map[string]bool{}
	for name, r := range roles {
		id, err := m.wellKnownID(ctx, name)
		if err != nil {
			return nil, err
		}
		if id != "" {
			role[id] = r
		}
	}
	for _, name := range systemFolders {
		id, err := m.wellKnownID(ctx, name)
		if err != nil {
			return nil, err
		}
		if id != "" {
			skip[id] = true
		}
	}
	w := &folderWalk{m: m, role: role, skip: skip, ids: map[string]string{}}
	if err := w.walk(ctx, m.url("/me/mailFolders?$top=100"), "", ""); err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.folders = w.ids
	m.mu.Unlock()
	return w.out, nil
}

// wellKnownID returns the id of a well-known folder, or "" when the
// mailbox has none (Archive, Conversation History are not everywhere).
func (m *Mailbox) wellKnownID(ctx context.Context, name string) (string, error) {
	var f mailFolder
	err := m.getJSON(ctx, m.url("/me/mailFolders/"+name+"?$select=id,displayName"), &f)
	if statusIs(err, http.StatusNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("graph: folder %s: %w", name, err)
	}
	return f.ID, nil
}

// folderWalk lists the folder tree depth first.
type folderWalk struct {
	m    *Mailbox
	role map[string]string
	skip map[string]bool
	ids  map[string]string // path → id
	out  []provider.Folder
}

func (w *folderWalk) walk(ctx context.Context, link, parentPath, parentRole string) error {
	for link != "" {
		var page folderPage
		if err := w.m.getJSON(ctx, link, &page); err != nil {
			return fmt.Errorf("graph: list folders: %w", err)
		}
		for _, f := range page.Value {
			if w.skip[f.ID] {
				continue
			}
			path := f.DisplayName
			if parentPath != "" {
				path = parentPath + "/" + f.DisplayName
			}
			r, ok := w.role[f.ID]
			if !ok && (parentRole == provider.RoleTrash || parentRole == provider.RoleJunk) {
				r = parentRole
			}
			w.ids[path] = f.ID
			w.out = append(w.out, provider.Folder{Name: path, Role: r})
			if f.ChildFolderCount > 0 {
				children := w.m.url("/me/mailFolders/" + url.PathEscape(f.ID) + "/childFolders?$top=100")
				if err := w.walk(ctx, children, path, r); err != nil {
					return err
				}
			}
		}
		link = page.NextLink
	}
	return nil
}

// folderID returns the id of a folder by the name Folders gave it,
// listing the folders first if this session has not yet.
func (m *Mailbox) folderID(ctx context.Context, name string) (string, error) {
	m.mu.Lock()
	id, ok := m.folders[name]
	listed := m.folders != nil
	m.mu.Unlock()
	if ok {
		return id, nil
	}
	if !listed {
		if _, err := m.Folders(ctx); err != nil {
			return "", err
		}
		return m.folderID(ctx, name)
	}
	return "", fmt.Errorf("graph: no folder %q in the mailbox", name)
}
