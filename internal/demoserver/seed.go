package demoserver

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailsync/mailsync/internal/mailgen"
)

// standardFolders are created at start, with their RFC 6154 special use.
var standardFolders = []struct {
	name string
	use  imap.MailboxAttr
}{
	{"INBOX", ""},
	{"Sent", imap.MailboxAttrSent},
	{"Drafts", imap.MailboxAttrDrafts},
	{"Trash", imap.MailboxAttrTrash},
}

// unreadShare says which INBOX messages are unread: those in the last 1/unreadShare of
// the mailbox as delivered.
const unreadShare = 20

// seed creates the standard folders and fills them: generated mail in INBOX and Sent, one
// draft and one deleted message, which a sync should leave out.
func (s *Server) seed(ctx context.Context, opts mailgen.Options) error {
	for _, f := range standardFolders {
		var o *imap.CreateOptions
		if f.use != "" {
			o = &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{f.use}}
		}
		if err := s.user.Create(f.name, o); err != nil {
			return fmt.Errorf("create %s: %w", f.name, err)
		}
		s.folders.add(f.name, f.use)
		if err := s.user.Subscribe(f.name); err != nil {
			return fmt.Errorf("subscribe %s: %w", f.name, err)
		}
		s.folders.subscribe(f.name, true)
	}

	var last time.Time
	i := 0
	err := mailgen.Each(opts, func(m mailgen.Mail) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		flags := []imap.Flag{imap.FlagSeen}
		switch {
		case m.Folder == "INBOX" && i >= opts.N-opts.N/unreadShare:
			flags = nil
		case m.Folder == "INBOX" && i%37 == 5:
			flags = append(flags, imap.FlagFlagged)
		}
		i++
		if m.Date.After(last) {
			last = m.Date
		}
		return s.append(m.Folder, m.Raw, m.Date, flags)
	})
	if err != nil {
		return err
	}

	owner := opts.Owner
	if opts.OwnerName != "" {
		owner = fmt.Sprintf("%s <%s>", opts.OwnerName, opts.Owner)
	}
	domain := opts.Owner[strings.LastIndexByte(opts.Owner, '@')+1:]
	draft := message(last.Add(time.Hour), owner, "John Smith <john.smith@acme-corp.com>",
		"Pricing for the Q3 renewal", "draft.1@"+domain,
		"Hi John,\n\nHere is the pricing we discussed. (unfinished)\n")
	if err := s.append("Drafts", draft, last.Add(time.Hour), []imap.Flag{imap.FlagDraft, imap.FlagSeen}); err != nil {
		return err
	}
	deleted := message(last.Add(-time.Hour), "Prize Desk <winner@lottery.example>", owner,
		"You have won!", "deleted.1@lottery.example", "Claim your prize today.\n")
	return s.append("Trash", deleted, last.Add(-time.Hour), []imap.Flag{imap.FlagSeen})
}

func (s *Server) append(folder string, raw []byte, date time.Time, flags []imap.Flag) error {
	// A *bytes.Reader has the Size method of an imap.LiteralReader.
	if _, err := s.user.Append(folder, bytes.NewReader(raw), &imap.AppendOptions{Flags: flags, Time: date}); err != nil {
		return fmt.Errorf("append to %s: %w", folder, err)
	}
	s.counts[folder]++
	return nil
}

// message is a small plain-text message.
func message(date time.Time, from, to, subject, id, body string) []byte {
	return []byte(strings.ReplaceAll(fmt.Sprintf("Date: %s\nFrom: %s\nTo: %s\nSubject: %s\n"+
		"Message-ID: <%s>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=\"us-ascii\"\n\n%s",
		date.Format(time.RFC1123Z), from, to, subject, id, body), "\n", "\r\n"))
}
