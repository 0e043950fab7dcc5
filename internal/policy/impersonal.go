package policy

import "strings"

// impersonalMarkers are substrings of a local part that mark an address no
// person reads.
var impersonalMarkers = []string{
	"noreply", "no-reply", "no_reply",
	"donotreply", "do-not-reply", "do_not_reply",
	"mailer-daemon",
}

// roleNames are local parts that name a function rather than a person
// (SPEC §4.2).
var roleNames = map[string]bool{
	"info": true, "contact": true, "hello": true, "support": true, "help": true,
	"feedback": true, "service": true, "team": true, "sales": true, "billing": true,
	"invoices": true, "accounts": true, "admin": true, "office": true, "jobs": true,
	"careers": true, "hr": true, "marketing": true, "news": true, "newsletter": true,
	"notifications": true, "notification": true, "alerts": true, "updates": true,
	"invite": true, "invites": true, "welcome": true, "postmaster": true,
	"abuse": true, "security": true, "privacy": true, "press": true,
}

// IsImpersonal reports whether an address belongs to a role or a robot
// rather than a person: its local part contains a no-reply marker or is a
// role name such as support or billing. Case is ignored, and so is a +tag
// (Support+eu@example.com is impersonal). A malformed address is not.
func IsImpersonal(email string) bool {
	local, _, ok := splitAddress(normalize(email))
	if !ok {
		return false
	}
	local, _, _ = strings.Cut(local, "+")
	if roleNames[local] {
		return true
	}
	for _, m := range impersonalMarkers {
		if strings.Contains(local, m) {
			return true
		}
	}
	return false
}
