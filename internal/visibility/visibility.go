// Package visibility decides what a viewer may see of a message (SPEC §6)
// and redacts it. Every read path — CLI, REST, web UI — goes through it;
// it knows nothing of storage or HTTP.
package visibility

import "fmt"

// Sharing levels, from the most closed to the most open.
const (
	Metadata   = "metadata"   // participants and dates only ("Metadata Only")
	Subject    = "subject"    // plus the subject ("Subject and Metadata")
	Everything = "everything" // plus body and attachments ("All Email Content")
)

// Levels lists the levels with the labels the UI shows.
var Levels = []struct{ Value, Label, Help string }{
	{Metadata, "Metadata Only", "Share only the basic information of the email: sender, recipient, date and time."},
	{Subject, "Subject and Metadata", "Share the subject line of the email along with the metadata."},
	{Everything, "All Email Content", "Share the entire content of the email, including attachments."},
}

func rank(level string) int {
	switch level {
	case Subject:
		return 1
	case Everything:
		return 2
	}
	return 0
}

// Valid checks a level name.
func Valid(level string) error {
	switch level {
	case Metadata, Subject, Everything:
		return nil
	}
	return fmt.Errorf("unknown sharing level %q: use metadata, subject or everything", level)
}

// Holder is a mailbox holding a message: its owner and its sharing level.
type Holder struct {
	OwnerID string
	Level   string
}

// For returns the level a viewer gets for a message held by these
// mailboxes: everything when one of them is the viewer's own, otherwise
// the most open level among them. A message held by no mailbox shows
// metadata only.
func For(viewerID string, holders []Holder) string {
	best := Metadata
	for _, h := range holders {
		if h.OwnerID == viewerID && viewerID != "" {
			return Everything
		}
		if rank(h.Level) > rank(best) {
			best = h.Level
		}
	}
	return best
}

// ShowsSubject reports whether the level includes the subject.
func ShowsSubject(level string) bool { return rank(level) >= rank(Subject) }

// ShowsBody reports whether the level includes the body and attachments.
func ShowsBody(level string) bool { return rank(level) >= rank(Everything) }
