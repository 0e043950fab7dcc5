package policy

import "testing"

func TestIsBulk(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want bool
	}{
		{"plain", Message{}, false},
		{"list-id", Message{ListID: "<announce.lists.acme.com>"}, true},
		{"list-unsubscribe", Message{ListUnsubscribe: "<mailto:unsub@acme.com>"}, true},
		{"blank list-id", Message{ListID: "  "}, false},
		{"precedence bulk", Message{Precedence: "bulk"}, true},
		{"precedence list upper", Message{Precedence: "LIST"}, true},
		{"precedence junk", Message{Precedence: " Junk "}, true},
		{"precedence first-class", Message{Precedence: "first-class"}, false},
		{"auto-submitted auto-generated", Message{AutoSubmitted: "auto-generated"}, true},
		{"auto-submitted auto-replied with params", Message{AutoSubmitted: "auto-replied; owner-email=jane@acme.com"}, true},
		{"auto-submitted no", Message{AutoSubmitted: "no"}, false},
		{"auto-submitted NO with comment", Message{AutoSubmitted: "No (human)"}, false},
	}
	for _, tt := range tests {
		if got := IsBulk(tt.m); got != tt.want {
			t.Errorf("%s: IsBulk = %v, want %v", tt.name, got, tt.want)
		}
	}
}
