package rules

import (
	"encoding/json"
	"fmt"

	"github.com/mailsync/mailsync/internal/policy"
)

// facts is the stored form of what the import rules read of a message:
// its participants' roles and addresses and the headers that mark bulk
// mail. Display names are left out; no rule reads them.
type facts struct {
	Participants    [][2]string `json:"p"` // role, email ("" when malformed)
	ListID          string      `json:"listId,omitempty"`
	ListUnsubscribe string      `json:"listUnsubscribe,omitempty"`
	Precedence      string      `json:"precedence,omitempty"`
	AutoSubmitted   string      `json:"autoSubmitted,omitempty"`
}

// EncodeFacts returns what a folder item stores of m so that a later rule
// change can re-decide it without fetching the message again.
func EncodeFacts(m policy.Message) string {
	f := facts{Participants: make([][2]string, len(m.Participants)), ListID: m.ListID,
		ListUnsubscribe: m.ListUnsubscribe, Precedence: m.Precedence, AutoSubmitted: m.AutoSubmitted}
	for i, p := range m.Participants {
		f.Participants[i] = [2]string{p.Role, p.Email}
	}
	b, err := json.Marshal(f)
	if err != nil {
		panic(fmt.Sprintf("encode facts: %v", err)) // strings only: cannot fail
	}
	return string(b)
}

// DecodeFacts reads what EncodeFacts stored.
func DecodeFacts(s string) (policy.Message, error) {
	var f facts
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		return policy.Message{}, fmt.Errorf("decode stored rule facts: %w", err)
	}
	m := policy.Message{ListID: f.ListID, ListUnsubscribe: f.ListUnsubscribe, Precedence: f.Precedence,
		AutoSubmitted: f.AutoSubmitted, Participants: make([]policy.Participant, len(f.Participants))}
	for i, p := range f.Participants {
		m.Participants[i] = policy.Participant{Role: p[0], Email: p[1]}
	}
	return m, nil
}
