package smtpsend

import (
	"bytes"
	"context"
	"errors"
	"net/mail"
	"strings"
	"testing"

	"github.com/mailsync/mailsync/internal/compose"
	"github.com/mailsync/mailsync/internal/provider"
	"github.com/mailsync/mailsync/internal/smtptest"
)

func TestSubmit(t *testing.T) {
	m := &compose.Message{From: mail.Address{Name: "Alex", Address: "alex@ourco.test"},
		To: []mail.Address{{Address: "jane@acme.test"}}, Bcc: []mail.Address{{Address: "boss@ourco.test"}},
		Subject: "Quote", Text: "Hello", MessageID: "q1@ourco.test"}
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	env := provider.Envelope{From: m.From.Address, To: m.Recipients()}
	tests := []struct {
		name     string
		setup    func(s *smtptest.Server)
		password string
		want     error // nil: accepted
		says     string
	}{
		{"auth plain", func(*smtptest.Server) {}, "secret", nil, ""},
		{"auth login", func(s *smtptest.Server) { s.LoginOnly = true }, "secret", nil, ""},
		{"refused auth", func(*smtptest.Server) {}, "wrong", provider.ErrAuth, "535"},
		{"refused recipient", func(s *smtptest.Server) { s.RefuseRcpt = "boss@ourco.test" }, "secret", provider.ErrRejected, "recipient boss@ourco.test"},
		{"cut mid-DATA", func(s *smtptest.Server) { s.CutData = true }, "secret", provider.ErrUnreachable, "message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := smtptest.Start(t, "alex", "secret")
			tt.setup(s)
			err := Submit(context.Background(), Config{Host: "127.0.0.1", Port: s.Port(), Security: SecurityNone,
				Username: "alex", Password: tt.password}, env, raw)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				got := s.Messages()
				if len(got) != 1 || got[0].From != "alex@ourco.test" || got[0].User != "alex" ||
					strings.Join(got[0].To, ",") != "jane@acme.test,boss@ourco.test" {
					t.Fatalf("accepted: %+v", got)
				}
				if !bytes.Equal(bytes.TrimRight(got[0].Data, "\r\n"), bytes.TrimRight(raw, "\r\n")) {
					t.Fatalf("the message changed on the way:\n%s", got[0].Data)
				}
				if bytes.Contains(got[0].Data, []byte("boss@")) {
					t.Fatal("the bcc recipient is in the headers")
				}
				return
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.want, tt.says)
			}
			if n := len(s.Messages()); n != 0 {
				t.Fatalf("%d messages accepted", n)
			}
		})
	}
	if err := Submit(context.Background(), Config{Host: "127.0.0.1", Port: 1, Security: SecurityNone}, env, raw); !errors.Is(err, provider.ErrUnreachable) {
		t.Fatalf("no server: %v", err)
	}
}
