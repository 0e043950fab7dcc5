package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Mailbox is what the rules need to know about one connected mailbox, its
// settings, its owner's blocklist and its workspace.
type Mailbox struct {
	Handle          string   // primary address
	Aliases         []string // other addresses of the mailbox
	OwnDomains      []string // domains the workspace declares as its own
	ImportInternal  bool     // workspace setting: import internal mail too
	ExcludeGroup    bool     // skip group and bulk mail (SPEC §4.2); default true
	ExcludePersonal bool     // never create personal-provider contacts (§4.3); default true
	AutoCreate      string   // AutoCreateNone, AutoCreateSent or AutoCreateSentAndReceived
	Blocklist       []string // the owner's entries: "jane@spam.com" or "@spam.com"
}

// Participant is one address of a message with its role (RoleFrom …).
// Email is lower-cased by the parser and "" when the address is malformed.
type Participant struct {
	Role, Email, Name string
}

// Message is what the rules read from a parsed message: its participants
// and the headers that mark bulk mail.
type Message struct {
	Participants    []Participant
	ListID          string // List-Id
	ListUnsubscribe string // List-Unsubscribe
	Precedence      string // Precedence
	AutoSubmitted   string // Auto-Submitted
}

// ImportDecision says whether a message is imported into a mailbox and, if
// not, which rule kept it out. Detail explains the decision in words, e.g.
// "every participant is on ourco.example"; for an imported message it is
// set only when a rule came close, e.g. internal mail the workspace imports.
type ImportDecision struct {
	Import bool
	Rule   string // a Rule constant when Import is false
	Detail string
}

// isSelf reports whether email is the mailbox handle or one of its aliases.
func (mb Mailbox) isSelf(email string) bool {
	e := normalize(email)
	if e == "" {
		return false
	}
	if normalize(mb.Handle) == e {
		return true
	}
	return slices.ContainsFunc(mb.Aliases, func(a string) bool { return normalize(a) == e })
}

// onPersonalProvider reports whether the mailbox handle is at a free mail
// provider, in which case none of its mail is internal.
func (mb Mailbox) onPersonalProvider() bool {
	d := domainOf(mb.Handle)
	return d != "" && IsPersonalProvider(d)
}

// ownDomains lists the domains that count as the mailbox's own: those of the
// handle and aliases and the workspace's, minus personal providers.
func (mb Mailbox) ownDomains() []string {
	var out []string
	add := func(d string) {
		d = normalize(d)
		if d != "" && !IsPersonalProvider(d) && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	add(domainOf(mb.Handle))
	for _, a := range mb.Aliases {
		add(domainOf(a))
	}
	for _, d := range mb.OwnDomains {
		add(strings.TrimPrefix(normalize(d), "@"))
	}
	return out
}

// ownDomainOf returns the own domain that email is on (the domain itself or
// a parent), or "".
func ownDomainOf(own []string, email string) string {
	d := domainOf(email)
	for _, o := range own {
		if withinDomain(d, o) {
			return o
		}
	}
	return ""
}

// Outgoing reports whether the mailbox sent the message: a From address is
// the mailbox handle or one of its aliases (SPEC §3.6).
func Outgoing(mb Mailbox, m Message) bool {
	for _, p := range m.Participants {
		if p.Role == RoleFrom && mb.isSelf(p.Email) {
			return true
		}
	}
	return false
}

// DecideImport applies the import rules of SPEC §4 to one message for one
// mailbox, in the order given in the package documentation.
func DecideImport(mb Mailbox, m Message) ImportDecision {
	if d, skip := blocklistRule(mb, m); skip {
		return ImportDecision{Rule: RuleBlocklist, Detail: d}
	}
	internal, detail := internalRule(mb, m)
	if internal {
		if !mb.ImportInternal {
			return ImportDecision{Rule: RuleInternal, Detail: detail}
		}
		detail = "internal (" + detail + "), imported because the workspace imports internal mail"
	}
	if mb.ExcludeGroup && !Outgoing(mb, m) {
		if from := sender(m); from != "" && IsImpersonal(from) {
			return ImportDecision{Rule: RuleGroupSender, Detail: fmt.Sprintf("sender %s is a group or no-reply address", from)}
		}
		if b := bulkDetail(m); b != "" {
			return ImportDecision{Rule: RuleBulk, Detail: "bulk mail: " + b}
		}
	}
	return ImportDecision{Import: true, Detail: detail}
}

// blocklistRule finds a participant, other than the mailbox itself, on the
// owner's blocklist.
func blocklistRule(mb Mailbox, m Message) (detail string, skip bool) {
	for _, p := range m.Participants {
		if p.Email == "" || mb.isSelf(p.Email) {
			continue
		}
		if entry, ok := MatchesBlocklist(mb.Blocklist, p.Email); ok {
			return fmt.Sprintf("participant %s (%s) matches blocklist entry %s", normalize(p.Email), p.Role, entry), true
		}
	}
	return "", false
}

// internalRule reports whether every from/to/cc/bcc participant is on one
// of the mailbox's own domains, and names them.
func internalRule(mb Mailbox, m Message) (internal bool, detail string) {
	if mb.onPersonalProvider() {
		d := domainOf(mb.Handle)
		if allOn(m, []string{d}) != nil {
			return false, fmt.Sprintf("every participant is on %s, a personal provider: not internal", d)
		}
		return false, ""
	}
	seen := allOn(m, mb.ownDomains())
	if seen == nil {
		return false, ""
	}
	return true, "every participant is on " + strings.Join(seen, " or ")
}

// allOn returns the domains of own that the message's from/to/cc/bcc
// participants are on, sorted, or nil when one of them is on none (or no
// participant has a usable address).
func allOn(m Message, own []string) []string {
	var seen []string
	for _, p := range m.Participants {
		if p.Role == RoleReplyTo || !validAddress(normalize(p.Email)) {
			continue
		}
		d := ownDomainOf(own, p.Email)
		if d == "" {
			return nil
		}
		if !slices.Contains(seen, d) {
			seen = append(seen, d)
		}
	}
	slices.Sort(seen)
	return seen
}

// sender returns the first From address, or "".
func sender(m Message) string {
	for _, p := range m.Participants {
		if p.Role == RoleFrom && p.Email != "" {
			return normalize(p.Email)
		}
	}
	return ""
}
