package accounts

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name    string
		in      IMAP
		want    IMAP // checked when wantErr is ""
		wantErr string
	}{
		{name: "tls defaults to 993 and the username as handle",
			in:   IMAP{Host: " imap.fastmail.com ", Username: "alex@ourco.example", Password: "pw"},
			want: IMAP{Host: "imap.fastmail.com", Port: 993, Security: "tls", Username: "alex@ourco.example", Handle: "alex@ourco.example"}},
		{name: "starttls defaults to 143",
			in:   IMAP{Host: "mail.ourco.example", Security: "starttls", Username: "alex", Password: "pw", Handle: "alex@ourco.example"},
			want: IMAP{Host: "mail.ourco.example", Port: 143, Security: "starttls", Username: "alex", Handle: "alex@ourco.example"}},
		{name: "unknown security", in: IMAP{Host: "h", Security: "ssl", Username: "a@b.example", Password: "pw"}, wantErr: "tls, starttls or none"},
		{name: "no host", in: IMAP{Username: "a@b.example", Password: "pw"}, wantErr: "host"},
		{name: "no password", in: IMAP{Host: "h", Username: "a@b.example"}, wantErr: "password"},
		{name: "bad port", in: IMAP{Host: "h", Port: 70000, Username: "a@b.example", Password: "pw"}, wantErr: "not a TCP port"},
		{name: "username not an address and no handle", in: IMAP{Host: "h", Username: "alex", Password: "pw"}, wantErr: "handle"},
		{name: "handle not an address", in: IMAP{Host: "h", Username: "alex", Password: "pw", Handle: "Alex"}, wantErr: "not an email address"},
		{name: "alias not an address", in: IMAP{Host: "h", Username: "a@b.example", Password: "pw", Aliases: []string{"sales"}}, wantErr: "alias"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			err := in.Normalize()
			if tt.wantErr != "" {
				var ie *InputError
				if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Normalize() = %v, want an InputError mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := in
			got.Password, got.Aliases = "", nil
			if got.Host != tt.want.Host || got.Port != tt.want.Port || got.Security != tt.want.Security ||
				got.Username != tt.want.Username || got.Handle != tt.want.Handle {
				t.Fatalf("Normalize() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
