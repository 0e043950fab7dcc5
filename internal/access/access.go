// Package access runs access requests (SPEC §6, issue 9): who may ask to
// read a withheld thread, who decides, and which moves a request may make.
// What a grant opens is decided by package visibility, like every level.
package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mailsync/mailsync/internal/store"
	"github.com/mailsync/mailsync/internal/visibility"
)

// Sentinel errors callers branch on (the API answers 403 and 409).
var (
	// ErrNotDecider: only the owner of a mailbox holding the thread decides.
	ErrNotDecider = errors.New("not allowed to decide")
	// ErrAlreadyVisible: the member already reads the thread in full.
	ErrAlreadyVisible = errors.New("already visible")
	// ErrWrongStatus: the request is not in the status the action moves from.
	ErrWrongStatus = errors.New("wrong status")
)

// Actions on a request, with the status each moves from and to.
var moves = map[string]struct{ from, to, audit string }{
	"grant":  {store.AccessPending, store.AccessGranted, store.AuditAccessGrant},
	"deny":   {store.AccessPending, store.AccessDenied, store.AuditAccessDeny},
	"revoke": {store.AccessGranted, store.AccessRevoked, store.AuditAccessRevoke},
}

// View is a request as the CLI and the API show it.
type View struct {
	ID        string  `json:"id"`
	ThreadID  string  `json:"threadId"`
	Requester string  `json:"requester"`
	Note      string  `json:"note"`
	Status    string  `json:"status"`
	CreatedAt string  `json:"createdAt"`
	DecidedBy *string `json:"decidedBy"`
	DecidedAt *string `json:"decidedAt"`
}

// ViewOf builds the view of a request.
func ViewOf(r *store.AccessRequest) View {
	v := View{ID: r.ID, ThreadID: r.ThreadID, Requester: r.Requester, Note: r.Note, Status: r.Status,
		CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339)}
	if r.DecidedBy != "" {
		v.DecidedBy = &r.DecidedBy
	}
	if !r.DecidedAt.IsZero() {
		at := r.DecidedAt.UTC().Format(time.RFC3339)
		v.DecidedAt = &at
	}
	return v
}

// Request records member m's request to read a thread; asking again while
// a request is pending returns that request.
func Request(ctx context.Context, st *store.Store, who store.Actor, m *store.Member, threadID, note string) (*store.AccessRequest, error) {
	t, msgs, err := st.Thread(ctx, m.WorkspaceID, threadID)
	if err != nil {
		return nil, err
	}
	full := true
	for _, v := range visibility.Thread(m.ID, t, msgs).Messages {
		full = full && v.Visibility == visibility.Everything
	}
	if full {
		return nil, fmt.Errorf("%s already reads thread %s in full: %w", m.Email, threadID, ErrAlreadyVisible)
	}
	if len(note) > 2000 {
		note = note[:2000]
	}
	return st.CreateAccessRequest(ctx, who, m.WorkspaceID, threadID, note)
}

// Decide grants, denies or revokes request id for member m, who must own a
// mailbox holding the thread; anyone else changes nothing.
func Decide(ctx context.Context, st *store.Store, who store.Actor, m *store.Member, id, action string) (*store.AccessRequest, error) {
	move, ok := moves[action]
	if !ok {
		return nil, fmt.Errorf("unknown action %q: use grant, deny or revoke", action)
	}
	r, err := st.AccessRequest(ctx, m.WorkspaceID, id)
	if err != nil {
		return nil, err
	}
	owners, err := st.ThreadOwners(ctx, m.WorkspaceID, r.ThreadID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(owners, m.ID) {
		return nil, fmt.Errorf("only the owner of a mailbox holding thread %s may %s this request: %w", r.ThreadID, action, ErrNotDecider)
	}
	if r.Status != move.from {
		return nil, fmt.Errorf("request %s is %s: only a %s request can be %s: %w", id, r.Status, move.from, pastTense[action], ErrWrongStatus)
	}
	if err := st.DecideAccessRequest(ctx, who, m.WorkspaceID, id, move.from, move.to, move.audit); err != nil {
		return nil, err
	}
	return st.AccessRequest(ctx, m.WorkspaceID, id)
}

var pastTense = map[string]string{"grant": "granted", "deny": "denied", "revoke": "revoked"}
