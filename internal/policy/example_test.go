package policy_test

import (
	"fmt"

	"github.com/mailsync/mailsync/internal/policy"
)

func Example() {
	mb := policy.Mailbox{
		Handle:          "jane@ourco.example",
		ExcludeGroup:    true,
		ExcludePersonal: true,
		AutoCreate:      policy.AutoCreateSent,
		Blocklist:       []string{"@spam.com"},
	}
	internal := policy.Message{Participants: []policy.Participant{
		{Role: policy.RoleFrom, Email: "paul@ourco.example"},
		{Role: policy.RoleTo, Email: "jane@ourco.example"},
	}}
	fmt.Printf("%+v\n", policy.DecideImport(mb, internal))

	sent := policy.Message{Participants: []policy.Participant{
		{Role: policy.RoleFrom, Email: "jane@ourco.example"},
		{Role: policy.RoleTo, Email: "ann@eu.acme.co.uk", Name: "Doe, Ann"},
		{Role: policy.RoleCc, Email: "friend@gmail.com"},
	}}
	fmt.Printf("%+v\n", policy.DecideImport(mb, sent))
	for _, c := range policy.DecideContacts(mb, sent, nil) {
		if c.Outcome == policy.OutcomeCreated {
			fmt.Printf("%s: created %s / %s at %s (%s)\n", c.Email, c.FirstName, c.LastName, c.CompanyName, c.CompanyDomain)
		} else {
			fmt.Printf("%s: not created (%s)\n", c.Email, c.Reason)
		}
	}
	// Output:
	// {Import:false Rule:internal Detail:every participant is on ourco.example}
	// {Import:true Rule: Detail:}
	// jane@ourco.example: not created (self)
	// ann@eu.acme.co.uk: created Ann / Doe at Acme (acme.co.uk)
	// friend@gmail.com: not created (personal-provider)
}
