package demoserver

import (
	"slices"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// delim is imapmemserver's hierarchy delimiter.
const delim = '/'

// session is an imapmemserver session that also answers LIST with SPECIAL-USE
// attributes: imapmemserver (go-imap v2.0.0-beta.8) accepts CREATE … (USE (\Sent)) but
// drops the attribute, so the server keeps its own list of folders and their uses.
type session struct {
	*imapmemserver.UserSession // nil until login

	srv  *Server
	conn *conn // nil if the connection did not come from our listener
}

var _ imapserver.SessionIMAP4rev2 = (*session)(nil)

func (s *Server) newSession(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
	tc, _ := c.NetConn().(*conn)
	return &session{srv: s, conn: tc}, nil, nil
}

func (sess *session) Login(username, password string) error {
	if err := sess.srv.user.Login(username, password); err != nil {
		return err
	}
	sess.UserSession = imapmemserver.NewUserSession(sess.srv.user)
	return nil
}

func (sess *session) Close() error {
	err := sess.UserSession.Close() // safe on a nil UserSession
	if sess.conn != nil {
		sess.conn.endSession()
	}
	return err
}

func (sess *session) Create(name string, options *imap.CreateOptions) error {
	if err := sess.UserSession.Create(name, options); err != nil {
		return err
	}
	var use imap.MailboxAttr
	if options != nil && len(options.SpecialUse) > 0 {
		use = options.SpecialUse[0]
	}
	sess.srv.folders.add(strings.TrimRight(name, string(delim)), use)
	return nil
}

func (sess *session) Delete(name string) error {
	if err := sess.UserSession.Delete(name); err != nil {
		return err
	}
	sess.srv.folders.remove(name)
	return nil
}

func (sess *session) Rename(name, newName string, options *imap.RenameOptions) error {
	if err := sess.UserSession.Rename(name, newName, options); err != nil {
		return err
	}
	sess.srv.folders.rename(name, strings.TrimRight(newName, string(delim)))
	return nil
}

func (sess *session) Subscribe(name string) error {
	if err := sess.UserSession.Subscribe(name); err != nil {
		return err
	}
	sess.srv.folders.subscribe(name, true)
	return nil
}

func (sess *session) Unsubscribe(name string) error {
	if err := sess.UserSession.Unsubscribe(name); err != nil {
		return err
	}
	sess.srv.folders.subscribe(name, false)
	return nil
}

// List answers LIST and LSUB like imapmemserver does, adding each folder's special use
// (always, as Dovecot does, not only when the client asks with RETURN (SPECIAL-USE)).
func (sess *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	if len(patterns) == 0 {
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: delim})
	}
	for _, f := range sess.srv.folders.list() {
		match := slices.ContainsFunc(patterns, func(p string) bool {
			return imapserver.MatchList(f.name, delim, ref, p)
		})
		if !match || options.SelectSubscribed && !f.subscribed || options.SelectSpecialUse && f.use == "" {
			continue
		}
		data := imap.ListData{Mailbox: f.name, Delim: delim}
		if f.subscribed && (options.SelectSubscribed || options.ReturnSubscribed) {
			data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
		}
		if f.use != "" {
			data.Attrs = append(data.Attrs, f.use)
		}
		if options.ReturnStatus != nil {
			status, err := sess.UserSession.Status(f.name, options.ReturnStatus)
			if err != nil {
				continue // deleted meanwhile
			}
			data.Status = status
		}
		if err := w.WriteList(&data); err != nil {
			return err
		}
	}
	return nil
}

// folders mirrors the user's mailboxes with what imapmemserver does not keep.
type folders struct {
	mu sync.Mutex
	m  map[string]folder
}

type folder struct {
	name       string
	use        imap.MailboxAttr // special use, or ""
	subscribed bool
}

func newFolders() *folders { return &folders{m: map[string]folder{}} }

func (fs *folders) add(name string, use imap.MailboxAttr) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.m[name] = folder{name: name, use: use}
}

func (fs *folders) remove(name string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	delete(fs.m, name)
}

func (fs *folders) rename(name, newName string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.m[name]
	delete(fs.m, name)
	f.name = newName
	fs.m[newName] = f
}

func (fs *folders) subscribe(name string, on bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.m[name]; ok {
		f.subscribed = on
		fs.m[name] = f
	}
}

// list returns the folders sorted by name.
func (fs *folders) list() []folder {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]folder, 0, len(fs.m))
	for _, f := range fs.m {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b folder) int { return strings.Compare(a.name, b.name) })
	return out
}
