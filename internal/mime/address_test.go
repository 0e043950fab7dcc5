package mime

import (
	"testing"
)

func TestAddressList(t *testing.T) {
	tests := []struct {
		name, header string
		want         []string // formatAddress of each
	}{
		{"bare", "jane@example.com", []string{"<jane@example.com>"}},
		{"lower-cased", "Jane <Jane.Doe@EXAMPLE.com>", []string{"Jane <jane.doe@example.com>"}},
		{"quoted with comma", `"Doe, Jane" <jane@x.com>`, []string{"Doe, Jane <jane@x.com>"}},
		{"quoted with escapes", `"Jane \"JD\" Doe" <jane@x.com>`, []string{`Jane "JD" Doe <jane@x.com>`}},
		{"single quotes", `'Jane Doe' <jane@x.com>`, []string{"Jane Doe <jane@x.com>"}},
		{"comment as name", "jane@x.com (Jane Doe)", []string{"Jane Doe <jane@x.com>"}},
		{"unquoted @ in name", "jane@x.com <jane@y.com>", []string{"jane@x.com <jane@y.com>"}},
		{"quoted @ in name", `"jane@x.com" <jane@y.com>, bob@z.com`, []string{"jane@x.com <jane@y.com>", "<bob@z.com>"}},
		{"unquoted specials in name", "Jane Doe (Sales) [ACME] <jane@x.com>", []string{"Jane Doe (Sales) [ACME] <jane@x.com>"}},
		{"name without brackets", "Jane Doe jane@x.com", []string{"Jane Doe <jane@x.com>"}},
		{"missing comma", "Jane <jane@x.com> Bob <bob@x.com>", []string{"Jane <jane@x.com>", "Bob <bob@x.com>"}},
		{"folded", "Jane\r\n Doe <jane@x.com>,\r\n\tbob@x.com", []string{"Jane Doe <jane@x.com>", "<bob@x.com>"}},
		{"source route", "<@relay.example:jane@x.com>", []string{"<jane@x.com>"}},
		{"empty", "", nil},
		{"null sender", "<>", nil},
		{"empty group", "undisclosed-recipients:;", nil},
		{"group", "Team: a@x.com, b@x.com;, c@x.com", []string{"<a@x.com>", "<b@x.com>", "<c@x.com>"}},
		{"malformed among good", "not an address, <@>, good@x.com, Bad <x@>", []string{"raw(not an address)", "raw(<@>)", "<good@x.com>", "raw(Bad <x@>)"}},
		{"trailing comma", "a@x.com, ", []string{"<a@x.com>"}},

		{"utf-8 Q", "=?UTF-8?Q?Jos=C3=A9_Garc=C3=ADa?= <jose@x.es>", []string{"José García <jose@x.es>"}},
		{"utf-8 B", "=?utf-8?b?Sm9zw6kgR2FyY8OtYQ==?= <jose@x.es>", []string{"José García <jose@x.es>"}},
		{"iso-8859-1", "=?iso-8859-1?Q?J=FCrgen_M=FCller?= <j@x.de>", []string{"Jürgen Müller <j@x.de>"}},
		{"iso-8859-2", "=?iso-8859-2?q?=A3ukasz_Wi=B6niewski?= <l@x.pl>", []string{"Łukasz Wiśniewski <l@x.pl>"}},
		{"windows-1252", "=?windows-1252?Q?Zo=EB_=93Z=94?= <z@x.fr>", []string{"Zoë “Z” <z@x.fr>"}},
		{"koi8-r", "=?koi8-r?b?5M3J1NLJyiDp18HOz9c=?= <d@x.ru>", []string{"Дмитрий Иванов <d@x.ru>"}},
		{"iso-2022-jp", "=?iso-2022-jp?b?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <t@x.jp>", []string{"山田 太郎 <t@x.jp>"}},
		{"encoded word in quotes", `"=?utf-8?Q?Jos=C3=A9?=" <jose@x.es>`, []string{"José <jose@x.es>"}},
		{"encoded word with spaces", "=?utf-8?Q?Jos=C3=A9 Garc=C3=ADa?= <jose@x.es>", []string{"José García <jose@x.es>"}},
		{"adjacent encoded words", "=?utf-8?Q?Jos=C3=A9?= =?utf-8?Q?_Garc=C3=ADa?= <jose@x.es>", []string{"José García <jose@x.es>"}},
		{"encoded comma", "=?utf-8?Q?Doe=2C_Jane?= <jane@x.com>, bob@x.com", []string{"Doe, Jane <jane@x.com>", "<bob@x.com>"}},
		{"raw utf-8", "Søren Kierkegård <soren@x.dk>", []string{"Søren Kierkegård <soren@x.dk>"}},
		{"raw latin-1", "S\xf8ren Kierkeg\xe5rd <soren@x.dk>", []string{"Søren Kierkegård <soren@x.dk>"}},
		{"unknown charset", "=?x-unknown?Q?abc?= <a@x.com>", []string{"=?x-unknown?Q?abc?= <a@x.com>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			m := &Message{}
			m.parseParticipants(header{{name: "To", value: tt.header}}, newDecoder(""))
			for _, p := range m.Participants {
				got = append(got, formatAddress(p.Address))
			}
			eqStrings(t, tt.header, got, tt.want)
		})
	}
}

func TestRaw8bitUsesBodyCharset(t *testing.T) {
	raw := "From: \xe4\xcd\xc9\xd4\xd2\xc9\xca <d@x.ru>\nSubject: \xf0\xd2\xc9\xd7\xc5\xd4\nContent-Type: text/plain; charset=koi8-r\n\nbody\n"
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	eqParticipants(t, m, "from Дмитрий <d@x.ru>")
	eq(t, "Subject", m.Subject, "Привет")
}
