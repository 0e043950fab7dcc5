package policy

import (
	"strings"
	"testing"
)

// ourMailbox is Jane's mailbox at Ourco, with default settings.
func ourMailbox() Mailbox {
	return Mailbox{
		Handle:          "Jane@OurCo.example", // upper case on purpose
		Aliases:         []string{"jane.doe@ourco.fr", "jane.private@gmail.com"},
		OwnDomains:      []string{"ourco.io"},
		ExcludeGroup:    true,
		ExcludePersonal: true,
		AutoCreate:      AutoCreateSent,
		Blocklist:       []string{"@spam.com", "troll@acme.com"},
	}
}

// msg builds a message from "role:address" pairs.
func msg(pairs ...string) Message {
	var m Message
	for _, p := range pairs {
		role, email, _ := strings.Cut(p, ":")
		m.Participants = append(m.Participants, Participant{Role: role, Email: email})
	}
	return m
}

func withHeaders(m Message, listID, precedence, autoSubmitted string) Message {
	m.ListID, m.Precedence, m.AutoSubmitted = listID, precedence, autoSubmitted
	return m
}

func TestOutgoing(t *testing.T) {
	mb := ourMailbox()
	tests := []struct {
		name string
		m    Message
		want bool
	}{
		{"from handle", msg("from:jane@ourco.example", "to:bob@acme.com"), true},
		{"from alias, other case", msg("from:Jane.Doe@OURCO.FR", "to:bob@acme.com"), true},
		{"from personal alias", msg("from:jane.private@gmail.com", "to:bob@acme.com"), true},
		{"from someone else", msg("from:bob@acme.com", "to:jane@ourco.example"), false},
		{"handle only as reply-to", msg("from:bob@acme.com", "reply-to:jane@ourco.example"), false},
		{"no from", msg("to:jane@ourco.example"), false},
		{"colleague on same domain", msg("from:paul@ourco.example", "to:bob@acme.com"), false},
	}
	for _, tt := range tests {
		if got := Outgoing(mb, tt.m); got != tt.want {
			t.Errorf("%s: Outgoing = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDecideImport(t *testing.T) {
	base := ourMailbox()
	with := func(f func(*Mailbox)) Mailbox {
		mb := ourMailbox()
		f(&mb)
		return mb
	}
	gmailbox := Mailbox{Handle: "alice@gmail.com", ExcludeGroup: true, ExcludePersonal: true, AutoCreate: AutoCreateSent}

	tests := []struct {
		name       string
		mb         Mailbox
		m          Message
		wantRule   string // "" when imported
		wantDetail string // substring; "" to skip the check
	}{
		{"external incoming", base, msg("from:bob@acme.com", "to:jane@ourco.example"), "", ""},
		{"external outgoing", base, msg("from:jane@ourco.example", "to:bob@acme.com"), "", ""},

		// §4.1 internal
		{"internal", base, msg("from:paul@ourco.example", "to:jane@ourco.example"),
			RuleInternal, "every participant is on ourco.example"},
		{"internal, upper-case participants", base, msg("from:PAUL@OURCO.EXAMPLE", "to:Jane@OurCo.example"),
			RuleInternal, ""},
		{"internal via subdomain", base, msg("from:paul@ourco.example", "to:jane@ourco.example", "cc:ops@eu.ourco.example"),
			RuleInternal, "every participant is on ourco.example"},
		{"internal across alias and workspace domains", base,
			msg("from:jane.doe@ourco.fr", "to:paul@ourco.example", "bcc:ana@ourco.io"),
			RuleInternal, "every participant is on ourco.example or ourco.fr or ourco.io"},
		{"one outside cc makes it external", base,
			msg("from:paul@ourco.example", "to:jane@ourco.example", "cc:bob@acme.com"), "", ""},
		{"one outside bcc makes it external", base,
			msg("from:jane@ourco.example", "to:paul@ourco.example", "bcc:bob@acme.com"), "", ""},
		{"look-alike domain is outside", base,
			msg("from:paul@ourco.example", "to:eve@notourco.example"), "", ""},
		{"reply-to is not considered", base,
			msg("from:paul@ourco.example", "to:jane@ourco.example", "reply-to:bob@acme.com"), RuleInternal, ""},
		{"malformed participant ignored", base,
			msg("from:paul@ourco.example", "to:jane@ourco.example", "cc:"), RuleInternal, ""},
		{"only malformed participants", base, msg("from:", "to:"), "", ""},
		{"internal imported when the workspace asks", with(func(mb *Mailbox) { mb.ImportInternal = true }),
			msg("from:paul@ourco.example", "to:jane@ourco.example"), "", "imported because the workspace imports internal mail"},
		{"personal alias domain is not own", base,
			msg("from:jane.private@gmail.com", "to:friend@gmail.com"), "", ""},
		{"personal-provider mailbox: all-gmail mail imported", gmailbox,
			msg("from:bob@gmail.com", "to:alice@gmail.com", "cc:carol@gmail.com"), "", "personal provider"},
		{"personal-provider mailbox with workspace domain", with(func(mb *Mailbox) {
			mb.Handle, mb.Aliases = "jane.private@gmail.com", nil
		}), msg("from:paul@ourco.io", "to:jane.private@gmail.com"), "", ""},

		// §4.4 blocklist
		{"blocklisted sender", base, msg("from:Promo@Spam.com", "to:jane@ourco.example"),
			RuleBlocklist, "participant promo@spam.com (from) matches blocklist entry @spam.com"},
		{"blocklisted subdomain", base, msg("from:x@mail.spam.com", "to:jane@ourco.example"), RuleBlocklist, "@spam.com"},
		{"blocklisted address", base, msg("from:troll@acme.com", "to:jane@ourco.example"), RuleBlocklist, "troll@acme.com"},
		{"colleague of blocklisted address", base, msg("from:bob@acme.com", "to:jane@ourco.example"), "", ""},
		{"only external participant blocklisted", base,
			msg("from:jane@ourco.example", "to:paul@ourco.example", "cc:troll@acme.com"), RuleBlocklist, ""},
		{"blocklisted cc among others", base,
			msg("from:bob@acme.com", "to:jane@ourco.example", "cc:x@spam.com"), RuleBlocklist, ""},
		{"blocklisted reply-to", base,
			msg("from:bob@acme.com", "to:jane@ourco.example", "reply-to:x@spam.com"), RuleBlocklist, ""},
		{"own handle never triggers", with(func(mb *Mailbox) { mb.Blocklist = []string{"@ourco.example", "jane.doe@ourco.fr"} }),
			msg("from:jane@ourco.example", "to:bob@acme.com", "cc:jane.doe@ourco.fr"), "", ""},
		{"colleague on blocked own domain does", with(func(mb *Mailbox) { mb.Blocklist = []string{"@ourco.example"} }),
			msg("from:jane@ourco.example", "to:bob@acme.com", "cc:paul@ourco.example"), RuleBlocklist, ""},
		{"blocklist before internal", with(func(mb *Mailbox) { mb.Blocklist = []string{"paul@ourco.example"} }),
			msg("from:paul@ourco.example", "to:jane@ourco.example"), RuleBlocklist, ""},

		// §4.2 group and bulk
		{"impersonal sender", base, msg("from:noreply@github.com", "to:jane@ourco.example"),
			RuleGroupSender, "sender noreply@github.com"},
		{"role sender with tag", base, msg("from:Support+EU@acme.com", "to:jane@ourco.example"), RuleGroupSender, ""},
		{"impersonal sender kept when group mail is wanted", with(func(mb *Mailbox) { mb.ExcludeGroup = false }),
			msg("from:noreply@github.com", "to:jane@ourco.example"), "", ""},
		{"impersonal recipient of incoming mail", base,
			msg("from:bob@acme.com", "to:jane@ourco.example", "cc:sales@acme.com"), "", ""},
		{"outgoing to an impersonal address", base, msg("from:jane@ourco.example", "to:support@acme.com"), "", ""},
		{"bulk list mail", base, withHeaders(msg("from:bob@acme.com", "to:jane@ourco.example"), "<news.acme.com>", "", ""),
			RuleBulk, "List-Id"},
		{"bulk precedence", base, withHeaders(msg("from:bob@acme.com", "to:jane@ourco.example"), "", "Bulk", ""),
			RuleBulk, "Precedence: bulk"},
		{"auto-reply", base, withHeaders(msg("from:bob@acme.com", "to:jane@ourco.example"), "", "", "auto-replied"),
			RuleBulk, "Auto-Submitted: auto-replied"},
		{"auto-submitted no", base, withHeaders(msg("from:bob@acme.com", "to:jane@ourco.example"), "", "", "no"), "", ""},
		{"bulk kept when group mail is wanted", with(func(mb *Mailbox) { mb.ExcludeGroup = false }),
			withHeaders(msg("from:bob@acme.com", "to:jane@ourco.example"), "<news.acme.com>", "", ""), "", ""},
		{"outgoing bulk is imported", base,
			withHeaders(msg("from:jane@ourco.example", "to:bob@acme.com"), "", "bulk", "auto-generated"), "", ""},
		{"group sender before bulk", base,
			withHeaders(msg("from:news@acme.com", "to:jane@ourco.example"), "<news.acme.com>", "", ""), RuleGroupSender, ""},
		{"internal before group sender", base,
			msg("from:noreply@ourco.example", "to:jane@ourco.example"), RuleInternal, ""},
	}
	for _, tt := range tests {
		got := DecideImport(tt.mb, tt.m)
		if got.Import != (tt.wantRule == "") || got.Rule != tt.wantRule {
			t.Errorf("%s: DecideImport = %+v, want rule %q", tt.name, got, tt.wantRule)
			continue
		}
		if !strings.Contains(got.Detail, tt.wantDetail) {
			t.Errorf("%s: detail %q does not say %q", tt.name, got.Detail, tt.wantDetail)
		}
		if !got.Import && got.Detail == "" {
			t.Errorf("%s: skipped without a detail", tt.name)
		}
	}
}
