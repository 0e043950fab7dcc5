package dovecottest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Append stores raw RFC 5322 messages at the end of folder (created when
// missing), in order, unflagged. It imports them in one doveadm run: fast
// enough for thousands of messages.
func (s *Server) Append(ctx context.Context, user, folder string, raws ...[]byte) error {
	if len(raws) == 0 {
		return nil
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.dir, "import"), "maildir-")
	if err != nil {
		return fmt.Errorf("append to %s: %w", folder, err)
	}
	defer os.RemoveAll(tmp)

	root := filepath.Join(tmp, "root")
	cur := filepath.Join(root, filepath.FromSlash(folder), "cur")
	for _, d := range maildirs(filepath.Join(root, filepath.FromSlash(folder)), filepath.Join(root, "INBOX")) {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("append to %s: %w", folder, err)
		}
	}
	// Dovecot assigns UIDs to new Maildir files in file name order.
	for i, raw := range raws {
		name := fmt.Sprintf("%010d.dovecottest:2,", i+1)
		if err := os.WriteFile(filepath.Join(cur, name), raw, 0o644); err != nil {
			return fmt.Errorf("append to %s: %w", folder, err)
		}
	}
	loc := fmt.Sprintf("maildir:%s:LAYOUT=fs:INBOX=%s", root, filepath.Join(root, "INBOX"))
	return s.importFrom(ctx, tmp, user, folder, loc)
}

// ImportMbox imports every message of an mbox file into folder (created
// when missing).
func (s *Server) ImportMbox(ctx context.Context, user, folder, mboxPath string) error {
	tmp, err := os.MkdirTemp(filepath.Join(s.dir, "import"), "mbox-")
	if err != nil {
		return fmt.Errorf("import %s: %w", mboxPath, err)
	}
	defer os.RemoveAll(tmp)

	// The source mbox storage holds one mailbox named like the target.
	root := filepath.Join(tmp, "root")
	empty := filepath.Join(tmp, "empty")
	dst, inbox := filepath.Join(root, filepath.FromSlash(folder)), empty
	if strings.EqualFold(folder, "INBOX") {
		dst, inbox = filepath.Join(tmp, "inbox.mbox"), filepath.Join(tmp, "inbox.mbox")
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("import %s: %w", mboxPath, err)
	}
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		return fmt.Errorf("import %s: %w", mboxPath, err)
	}
	if err := copyFile(dst, mboxPath); err != nil {
		return fmt.Errorf("import %s: %w", mboxPath, err)
	}
	loc := fmt.Sprintf("mbox:%s:INBOX=%s", root, inbox)
	return s.importFrom(ctx, tmp, user, folder, loc)
}

// importFrom runs doveadm import of folder from the mail location loc,
// whose files live under tmp.
func (s *Server) importFrom(ctx context.Context, tmp, user, folder, loc string) error {
	if err := s.account.chownTree(tmp); err != nil {
		return err
	}
	if _, err := s.doveadm(ctx, "import", "-u", user, "-s", loc, "", "mailbox", folder, "all"); err != nil {
		return fmt.Errorf("import into %s of %s: %w", folder, user, err)
	}
	return nil
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// CreateFolder creates and subscribes folder.
func (s *Server) CreateFolder(ctx context.Context, user, folder string) error {
	if _, err := s.doveadm(ctx, "mailbox", "create", "-u", user, "-s", folder); err != nil {
		return fmt.Errorf("create folder %s of %s: %w", folder, user, err)
	}
	return nil
}

// RenameFolder renames a folder, as a user's mail client would.
func (s *Server) RenameFolder(ctx context.Context, user, from, to string) error {
	if _, err := s.doveadm(ctx, "mailbox", "rename", "-u", user, "-s", from, to); err != nil {
		return fmt.Errorf("rename folder %s of %s: %w", from, user, err)
	}
	return nil
}

// DeleteFolder deletes a folder with the messages it holds.
func (s *Server) DeleteFolder(ctx context.Context, user, folder string) error {
	if _, err := s.doveadm(ctx, "mailbox", "delete", "-u", user, "-s", folder); err != nil {
		return fmt.Errorf("delete folder %s of %s: %w", folder, user, err)
	}
	return nil
}

// ExpungeMessageIDs deletes, for good, the messages of folder whose
// Message-ID header contains one of messageIDs.
func (s *Server) ExpungeMessageIDs(ctx context.Context, user, folder string, messageIDs ...string) error {
	if len(messageIDs) == 0 {
		return nil
	}
	args := append([]string{"expunge", "-u", user, "mailbox", folder}, messageIDQuery(messageIDs)...)
	if _, err := s.doveadm(ctx, args...); err != nil {
		return fmt.Errorf("expunge from %s of %s: %w", folder, user, err)
	}
	return nil
}

// SetFlag adds flag (e.g. `\Seen`) to the message of folder with messageID,
// changing nothing else.
func (s *Server) SetFlag(ctx context.Context, user, folder, messageID, flag string) error {
	args := append([]string{"flags", "add", "-u", user, flag, "mailbox", folder}, messageIDQuery([]string{messageID})...)
	if _, err := s.doveadm(ctx, args...); err != nil {
		return fmt.Errorf("flag %s in %s of %s: %w", messageID, folder, user, err)
	}
	return nil
}

// messageIDQuery builds a doveadm search query matching any of ids:
// ( header Message-ID a OR header Message-ID b ). Doveadm's OR is infix.
func messageIDQuery(ids []string) []string {
	q := []string{"("}
	for i, id := range ids {
		if i > 0 {
			q = append(q, "OR")
		}
		q = append(q, "header", "Message-ID", id)
	}
	return append(q, ")")
}

// ResetUIDValidity gives folder a new UIDVALIDITY, keeping its messages: a
// client must then forget every UID it knew.
func (s *Server) ResetUIDValidity(ctx context.Context, user, folder string) error {
	_, old, err := s.Status(ctx, user, folder)
	if err != nil {
		return err
	}
	next := strconv.FormatUint(uint64(old)+1, 10)
	if _, err := s.doveadm(ctx, "mailbox", "update", "-u", user, "--uid-validity", next, folder); err != nil {
		return fmt.Errorf("reset uidvalidity of %s of %s: %w", folder, user, err)
	}
	_, now, err := s.Status(ctx, user, folder)
	if err != nil {
		return err
	}
	if now == old {
		return fmt.Errorf("reset uidvalidity of %s of %s: still %d", folder, user, now)
	}
	return nil
}

// Status reports the number of messages and the UIDVALIDITY of folder.
func (s *Server) Status(ctx context.Context, user, folder string) (messages int, uidValidity uint32, err error) {
	out, err := s.doveadm(ctx, "-f", "flow", "mailbox", "status", "-u", user, "messages uidvalidity", folder)
	if err != nil {
		return 0, 0, fmt.Errorf("status of %s of %s: %w", folder, user, err)
	}
	var gotMessages, gotValidity bool
	for _, field := range strings.Fields(out) {
		k, v, _ := strings.Cut(field, "=")
		switch k {
		case "messages":
			messages, err = strconv.Atoi(v)
			gotMessages = err == nil
		case "uidvalidity":
			var n uint64
			n, err = strconv.ParseUint(v, 10, 32)
			uidValidity, gotValidity = uint32(n), err == nil
		}
	}
	if !gotMessages || !gotValidity {
		return 0, 0, fmt.Errorf("status of %s of %s: unexpected output %q", folder, user, out)
	}
	return messages, uidValidity, nil
}

// maildirs lists the cur, new and tmp directories of the given Maildirs.
func maildirs(roots ...string) []string {
	var dirs []string
	for _, r := range roots {
		dirs = append(dirs, filepath.Join(r, "cur"), filepath.Join(r, "new"), filepath.Join(r, "tmp"))
	}
	return dirs
}
