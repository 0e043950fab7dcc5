package policy

// Directory answers what the caller knows from the store about an address.
// It is passed in so that this package stays free of I/O; the caller may
// back it with maps loaded beforehand. Addresses and domains passed to it
// are lower-case.
type Directory interface {
	// IsMember reports whether email is a workspace member's login email or
	// one of the addresses of a member's mailboxes.
	IsMember(email string) bool
	// IsSuppressed reports whether a Person with this email was deleted.
	IsSuppressed(email string) bool
	// IsSuppressedDomain reports whether a Company with this registrable
	// domain was deleted.
	IsSuppressedDomain(domain string) bool
}

// ContactDecision says whether one participant address becomes a contact.
//
// The package does not know which addresses already belong to a Person: the
// caller links those whatever the decision says, and reports them with
// OutcomeLinked and ReasonExists (an existing Person may well have a Gmail
// address, SPEC §4.3).
type ContactDecision struct {
	Email   string // normalized address; "" for malformed participants
	Name    string // the first display name given for the address
	Outcome string // OutcomeCreated or OutcomeNotCreated
	Reason  string // a Reason constant when not created

	// Set when created.
	FirstName, LastName string
	// The company to find or create and attach the person to; both ""
	// when none: personal-provider address, suppressed company, or a domain
	// without a registrable part.
	CompanyDomain, CompanyName string
}

// DecideContacts decides, for a message imported into mb, which participants
// become contacts (SPEC §5.2). It returns one decision per distinct address,
// in order of first appearance; all malformed participants share one
// decision with an empty Email. A nil dir knows no members and no
// suppressions.
//
// Policies: AutoCreateSent creates the to/cc/bcc recipients of messages the
// mailbox sent; AutoCreateSentAndReceived creates every participant
// (reply-to included); any other value, including "", creates nobody.
func DecideContacts(mb Mailbox, m Message, dir Directory) []ContactDecision {
	if dir == nil {
		dir = emptyDirectory{}
	}
	own := mb.ownDomains()
	outgoing := Outgoing(mb, m)
	var out []ContactDecision
	index := make(map[string]int)
	for _, p := range m.Participants {
		email := normalize(p.Email)
		if !validAddress(email) {
			email = ""
		}
		if i, ok := index[email]; ok {
			if out[i].Name == "" {
				out[i].Name = p.Name
			}
			continue
		}
		index[email] = len(out)
		out = append(out, ContactDecision{Email: email, Name: p.Name})
	}
	for i := range out {
		d := &out[i]
		covered := eligible(mb.AutoCreate, outgoing, m, d.Email)
		if d.Reason = contactReason(mb, own, dir, d.Email, covered); d.Reason != "" {
			d.Outcome = OutcomeNotCreated
			continue
		}
		d.Outcome = OutcomeCreated
		d.FirstName, d.LastName = PersonName(d.Name, d.Email)
		d.CompanyDomain, d.CompanyName = company(d.Email, dir)
	}
	return out
}

// contactReason returns why email must not be created, or "" when it may
// be. The order of the checks is the precedence documented on the package.
func contactReason(mb Mailbox, own []string, dir Directory, email string, eligible bool) string {
	switch {
	case mb.isSelf(email):
		return ReasonSelf
	case email != "" && dir.IsMember(email):
		return ReasonMember
	case email == "":
		return ReasonMalformed
	}
	if _, ok := MatchesBlocklist(mb.Blocklist, email); ok {
		return ReasonBlocklisted
	}
	switch {
	case ownDomainOf(own, email) != "":
		return ReasonOwnDomain
	case IsImpersonal(email):
		return ReasonImpersonal
	case mb.ExcludePersonal && IsPersonalProvider(domainOf(email)):
		return ReasonPersonalProvider
	case dir.IsSuppressed(email):
		return ReasonSuppressed
	case !eligible:
		return ReasonPolicy
	}
	return ""
}

// eligible reports whether the auto-creation policy covers email on m.
func eligible(policy string, outgoing bool, m Message, email string) bool {
	switch policy {
	case AutoCreateSentAndReceived:
		return true
	case AutoCreateSent:
		return outgoing && isRecipient(m, email)
	}
	return false
}

func isRecipient(m Message, email string) bool {
	for _, p := range m.Participants {
		switch p.Role {
		case RoleTo, RoleCc, RoleBcc:
			if normalize(p.Email) == email {
				return true
			}
		}
	}
	return false
}

// company returns the registrable domain and derived name of the company a
// new contact at email belongs to, or "", "" when it should have none.
func company(email string, dir Directory) (domain, name string) {
	if IsPersonalProvider(domainOf(email)) {
		return "", ""
	}
	rd, err := RegistrableDomain(email)
	if err != nil || dir.IsSuppressedDomain(rd) {
		return "", ""
	}
	return rd, CompanyNameFromDomain(rd)
}

type emptyDirectory struct{}

func (emptyDirectory) IsMember(string) bool           { return false }
func (emptyDirectory) IsSuppressed(string) bool       { return false }
func (emptyDirectory) IsSuppressedDomain(string) bool { return false }
