// Package policy decides, for one mailbox, whether a message is imported and
// which of its participants become contacts (SPEC §4 and §5.2), and says why.
// It is pure: no I/O, no SQL, no HTTP. What the caller knows from the store
// comes in as plain values and the small Directory interface.
//
// # Import rules
//
// DecideImport applies the rules in this order and reports the first that
// skips the message (the Rule constants are the "rule" of `mailsync why`):
//
//  1. blocklist: a participant other than the mailbox itself matches an
//     entry of the owner's blocklist (any role, reply-to included).
//  2. internal: every from/to/cc/bcc participant is on one of the mailbox's
//     own domains (see below), unless the workspace imports internal mail.
//  3. group-sender and bulk, only for incoming messages and only when the
//     mailbox excludes group emails: the sender is impersonal, or the
//     headers mark the message as bulk.
//
// The mailbox's own domains are the domains of its handle and aliases plus
// the domains the workspace declares, each with its subdomains
// (eu.ourco.example is on ourco.example). Personal-provider domains never
// count as own: a mailbox on gmail.com has no internal mail, and a gmail
// alias does not make every gmail correspondent a colleague. Malformed
// participants (no usable address) neither make a message internal nor
// external; a message with no usable participant is not internal.
//
// # Contact decisions
//
// DecideContacts returns one decision per distinct participant address. When
// several reasons forbid creating a contact, the reported reason is the first
// of: self > member > malformed > blocklisted > own-domain > impersonal >
// personal-provider > suppressed > policy. The order puts facts about who
// the address is before the mailbox's settings, so that "why" answers with
// the most fundamental reason.
package policy

// Rules: why a message was skipped.
const (
	RuleInternal    = "internal"
	RuleGroupSender = "group-sender"
	RuleBulk        = "bulk"
	RuleBlocklist   = "blocklist"
	// RuleFolder is decided by the caller (the folder is not synced); it is
	// listed here so that every rule name lives in one place.
	RuleFolder = "folder"
)

// Outcomes of a contact decision.
const (
	OutcomeCreated    = "created"
	OutcomeLinked     = "linked"
	OutcomeNotCreated = "not-created"
)

// Reasons: why a participant was not created as a contact.
const (
	ReasonSelf             = "self"
	ReasonMember           = "member"
	ReasonMalformed        = "malformed"
	ReasonBlocklisted      = "blocklisted"
	ReasonOwnDomain        = "own-domain"
	ReasonImpersonal       = "impersonal"
	ReasonPersonalProvider = "personal-provider"
	ReasonSuppressed       = "suppressed"
	ReasonPolicy           = "policy"
	// ReasonExists goes with OutcomeLinked: the address already belongs to
	// a Person. The caller knows that, not this package; see ContactDecision.
	ReasonExists = "exists"
)

// Auto-creation policies of a mailbox (Mailbox.AutoCreate).
const (
	AutoCreateNone            = "none"
	AutoCreateSent            = "sent"
	AutoCreateSentAndReceived = "sent-and-received"
)

// Participant roles, as the mime package reports them.
const (
	RoleFrom    = "from"
	RoleTo      = "to"
	RoleCc      = "cc"
	RoleBcc     = "bcc"
	RoleReplyTo = "reply-to"
)
