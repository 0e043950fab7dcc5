package policy

import (
	"testing"
)

// fakeDirectory answers from sets of lower-case addresses and domains.
type fakeDirectory struct {
	members, suppressed, suppressedDomains map[string]bool
}

func (d fakeDirectory) IsMember(email string) bool            { return d.members[email] }
func (d fakeDirectory) IsSuppressed(email string) bool        { return d.suppressed[email] }
func (d fakeDirectory) IsSuppressedDomain(domain string) bool { return d.suppressedDomains[domain] }

func ourDirectory() fakeDirectory {
	return fakeDirectory{
		members:           map[string]bool{"jane@ourco.example": true, "paul@ourco.example": true, "contractor@freelance.dev": true},
		suppressed:        map[string]bool{"gone@acme.com": true, "old@gmail.com": true},
		suppressedDomains: map[string]bool{"deadco.com": true},
	}
}

// want is the expected decision for one address; zero fields of a created
// contact are expected to be empty.
type want struct {
	outcome, reason     string
	first, last         string
	companyDomain, name string
}

func created(first, last, domain, company string) want {
	return want{outcome: OutcomeCreated, first: first, last: last, companyDomain: domain, name: company}
}

func notCreated(reason string) want { return want{outcome: OutcomeNotCreated, reason: reason} }

func checkDecisions(t *testing.T, label string, got []ContactDecision, wants map[string]want) {
	t.Helper()
	seen := map[string]bool{}
	for _, d := range got {
		if seen[d.Email] {
			t.Errorf("%s: %q decided twice", label, d.Email)
		}
		seen[d.Email] = true
		w, ok := wants[d.Email]
		if !ok {
			t.Errorf("%s: unexpected decision %+v", label, d)
			continue
		}
		g := want{d.Outcome, d.Reason, d.FirstName, d.LastName, d.CompanyDomain, d.CompanyName}
		if g != w {
			t.Errorf("%s: %q = %+v, want %+v", label, d.Email, g, w)
		}
	}
	for email := range wants {
		if !seen[email] {
			t.Errorf("%s: no decision for %q", label, email)
		}
	}
}

func TestDecideContactsOutgoing(t *testing.T) {
	m := Message{Participants: []Participant{
		{Role: RoleFrom, Email: "jane@ourco.example", Name: "Jane Roe"},
		{Role: RoleTo, Email: "bob@acme.com", Name: "Bob Smith"},
		{Role: RoleTo, Email: "ann@eu.acme.co.uk", Name: `"Doe, Ann"`},
		{Role: RoleTo, Email: "carl.jones+crm@acme-tools.com", Name: "carl.jones@acme-tools.com"},
		{Role: RoleCc, Email: "paul@ourco.example", Name: "Paul"},
		{Role: RoleCc, Email: "ana@eu.ourco.io"},
		{Role: RoleCc, Email: "contractor@freelance.dev"},
		{Role: RoleCc, Email: "support+eu@acme.com"},
		{Role: RoleCc, Email: "friend@gmail.com", Name: "Friend"},
		{Role: RoleCc, Email: "gone@acme.com"},
		{Role: RoleCc, Email: "eve@deadco.com", Name: "Eve Adams"},
		{Role: RoleCc, Email: "x@mail.spam.com"},
		{Role: RoleCc, Email: ""},
		{Role: RoleBcc, Email: ""},
		{Role: RoleBcc, Email: "jane.doe@ourco.fr"},
		{Role: RoleBcc, Email: "bob@acme.com"}, // again: one decision
		{Role: RoleReplyTo, Email: "replies@helpdesk-acme.com"},
	}}
	wants := map[string]want{
		"jane@ourco.example":            notCreated(ReasonSelf),
		"bob@acme.com":                  created("Bob", "Smith", "acme.com", "Acme"),
		"ann@eu.acme.co.uk":             created("Ann", "Doe", "acme.co.uk", "Acme"),
		"carl.jones+crm@acme-tools.com": created("Carl", "Jones", "acme-tools.com", "Acme Tools"),
		"paul@ourco.example":            notCreated(ReasonMember),
		"ana@eu.ourco.io":               notCreated(ReasonOwnDomain),
		"contractor@freelance.dev":      notCreated(ReasonMember),
		"support+eu@acme.com":           notCreated(ReasonImpersonal),
		"friend@gmail.com":              notCreated(ReasonPersonalProvider),
		"gone@acme.com":                 notCreated(ReasonSuppressed),
		"eve@deadco.com":                created("Eve", "Adams", "", ""), // company deleted: person only
		"x@mail.spam.com":               notCreated(ReasonBlocklisted),
		"":                              notCreated(ReasonMalformed),
		"jane.doe@ourco.fr":             notCreated(ReasonSelf),
		"replies@helpdesk-acme.com":     notCreated(ReasonPolicy), // reply-to is no recipient
	}
	got := DecideContacts(ourMailbox(), m, ourDirectory())
	checkDecisions(t, "outgoing", got, wants)
	if len(got) != len(wants) {
		t.Errorf("got %d decisions, want %d", len(got), len(wants))
	}
	if got[0].Email != "jane@ourco.example" || got[1].Email != "bob@acme.com" {
		t.Errorf("decisions not in order of appearance: %q, %q", got[0].Email, got[1].Email)
	}
}

func TestDecideContactsPolicies(t *testing.T) {
	incoming := Message{Participants: []Participant{
		{Role: RoleFrom, Email: "bob@acme.com", Name: "Bob Smith"},
		{Role: RoleTo, Email: "jane@ourco.example"},
		{Role: RoleCc, Email: "ann@globex.example", Name: "Ann Lee"},
		{Role: RoleReplyTo, Email: "carol@acme.com"},
	}}
	outgoing := Message{Participants: []Participant{
		{Role: RoleFrom, Email: "JANE@OURCO.EXAMPLE"},
		{Role: RoleTo, Email: "bob@acme.com", Name: "Bob Smith"},
	}}
	tests := []struct {
		policy string
		m      Message
		wants  map[string]want
	}{
		{AutoCreateSent, incoming, map[string]want{
			"bob@acme.com":       notCreated(ReasonPolicy),
			"jane@ourco.example": notCreated(ReasonSelf),
			"ann@globex.example": notCreated(ReasonPolicy),
			"carol@acme.com":     notCreated(ReasonPolicy),
		}},
		{AutoCreateSentAndReceived, incoming, map[string]want{
			"bob@acme.com":       created("Bob", "Smith", "acme.com", "Acme"),
			"jane@ourco.example": notCreated(ReasonSelf),
			"ann@globex.example": created("Ann", "Lee", "globex.example", "Globex"),
			"carol@acme.com":     created("Carol", "", "acme.com", "Acme"),
		}},
		{AutoCreateNone, outgoing, map[string]want{
			"jane@ourco.example": notCreated(ReasonSelf),
			"bob@acme.com":       notCreated(ReasonPolicy),
		}},
		{"", outgoing, map[string]want{ // unknown policy creates nobody
			"jane@ourco.example": notCreated(ReasonSelf),
			"bob@acme.com":       notCreated(ReasonPolicy),
		}},
		{AutoCreateSent, outgoing, map[string]want{
			"jane@ourco.example": notCreated(ReasonSelf),
			"bob@acme.com":       created("Bob", "Smith", "acme.com", "Acme"),
		}},
	}
	for _, tt := range tests {
		mb := ourMailbox()
		mb.AutoCreate = tt.policy
		checkDecisions(t, "policy "+tt.policy, DecideContacts(mb, tt.m, ourDirectory()), tt.wants)
	}
}

// TestDecideContactsPrecedence checks which reason wins when several apply,
// one address at a time, on an outgoing message under "sent-and-received"
// unless said otherwise.
func TestDecideContactsPrecedence(t *testing.T) {
	tests := []struct {
		name      string
		mb        func(*Mailbox)
		email     string
		dir       fakeDirectory
		wantWhat  string
		incoming  bool
		autoSent  bool
		wantFirst string
	}{
		{name: "self before member", email: "jane@ourco.example",
			dir: fakeDirectory{members: map[string]bool{"jane@ourco.example": true}}, wantWhat: ReasonSelf},
		{name: "member before own-domain and impersonal", email: "support@ourco.example",
			dir: fakeDirectory{members: map[string]bool{"support@ourco.example": true}}, wantWhat: ReasonMember},
		{name: "member before blocklisted", email: "contractor@spam.com",
			dir: fakeDirectory{members: map[string]bool{"contractor@spam.com": true}}, wantWhat: ReasonMember},
		{name: "blocklisted before own-domain", mb: func(mb *Mailbox) { mb.Blocklist = []string{"paul@ourco.example"} },
			email: "paul@ourco.example", wantWhat: ReasonBlocklisted},
		{name: "own-domain before impersonal", email: "noreply@ourco.example", wantWhat: ReasonOwnDomain},
		{name: "impersonal before personal-provider", email: "noreply@gmail.com", wantWhat: ReasonImpersonal},
		{name: "impersonal even when group mail is wanted", mb: func(mb *Mailbox) { mb.ExcludeGroup = false },
			email: "billing@acme.com", wantWhat: ReasonImpersonal},
		{name: "personal-provider before suppressed", email: "old@gmail.com",
			dir: fakeDirectory{suppressed: map[string]bool{"old@gmail.com": true}}, wantWhat: ReasonPersonalProvider},
		{name: "suppressed before policy", email: "gone@acme.com", incoming: true, autoSent: true,
			dir: fakeDirectory{suppressed: map[string]bool{"gone@acme.com": true}}, wantWhat: ReasonSuppressed},
		{name: "malformed before blocklisted", email: "not-an-address", wantWhat: ReasonMalformed},
		{name: "personal allowed: created without company", mb: func(mb *Mailbox) { mb.ExcludePersonal = false },
			email: "ben.ho@gmail.com", wantWhat: OutcomeCreated, wantFirst: "Ben"},
		{name: "yahoo family without company", mb: func(mb *Mailbox) { mb.ExcludePersonal = false },
			email: "ben@yahoo.com.pe", wantWhat: OutcomeCreated, wantFirst: "Ben"},
		{name: "gmail mailbox: gmail peers are personal, not own-domain",
			mb:    func(mb *Mailbox) { mb.Handle, mb.Aliases, mb.OwnDomains = "alice@gmail.com", nil, nil },
			email: "bob@gmail.com", wantWhat: ReasonPersonalProvider},
		{name: "gmail mailbox, personal allowed: gmail peer created",
			mb: func(mb *Mailbox) {
				mb.Handle, mb.Aliases, mb.OwnDomains, mb.ExcludePersonal = "alice@gmail.com", nil, nil, false
			},
			email: "bob@gmail.com", wantWhat: OutcomeCreated, wantFirst: "Bob"},
		{name: "gmail mailbox: workspace domain still own", mb: func(mb *Mailbox) { mb.Handle, mb.Aliases = "alice@gmail.com", nil },
			email: "ana@ourco.io", wantWhat: ReasonOwnDomain},
	}
	for _, tt := range tests {
		mb := ourMailbox()
		mb.AutoCreate = AutoCreateSentAndReceived
		if tt.autoSent {
			mb.AutoCreate = AutoCreateSent
		}
		if tt.mb != nil {
			tt.mb(&mb)
		}
		from, to := mb.Handle, tt.email
		if tt.incoming {
			from, to = tt.email, mb.Handle
		}
		m := Message{Participants: []Participant{{Role: RoleFrom, Email: from}, {Role: RoleTo, Email: to}}}
		var got *ContactDecision
		for _, d := range DecideContacts(mb, m, tt.dir) {
			if d.Email == normalize(tt.email) || (tt.wantWhat == ReasonMalformed && d.Email == "") {
				got = &d
			}
		}
		switch {
		case got == nil:
			t.Errorf("%s: no decision for %q", tt.name, tt.email)
		case tt.wantWhat == OutcomeCreated:
			if got.Outcome != OutcomeCreated || got.FirstName != tt.wantFirst || got.CompanyDomain != "" {
				t.Errorf("%s: %+v, want created %s without company", tt.name, *got, tt.wantFirst)
			}
		case got.Outcome != OutcomeNotCreated || got.Reason != tt.wantWhat:
			t.Errorf("%s: %q = %s/%s, want not-created/%s", tt.name, tt.email, got.Outcome, got.Reason, tt.wantWhat)
		}
	}
}

func TestDecideContactsNilDirectory(t *testing.T) {
	m := Message{Participants: []Participant{
		{Role: RoleFrom, Email: "jane@ourco.example"},
		{Role: RoleTo, Email: "bob@acme.com"},
	}}
	got := DecideContacts(ourMailbox(), m, nil)
	checkDecisions(t, "nil directory", got, map[string]want{
		"jane@ourco.example": notCreated(ReasonSelf),
		"bob@acme.com":       created("Bob", "", "acme.com", "Acme"),
	})
}

func TestDecideContactsNameFromLaterOccurrence(t *testing.T) {
	m := Message{Participants: []Participant{
		{Role: RoleFrom, Email: "jane@ourco.example"},
		{Role: RoleTo, Email: "bob@acme.com"},
		{Role: RoleCc, Email: "Bob@Acme.com", Name: "Robert Smith"},
	}}
	got := DecideContacts(ourMailbox(), m, nil)
	checkDecisions(t, "names", got, map[string]want{
		"jane@ourco.example": notCreated(ReasonSelf),
		"bob@acme.com":       created("Robert", "Smith", "acme.com", "Acme"),
	})
}
