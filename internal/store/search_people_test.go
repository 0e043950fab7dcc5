package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
	"github.com/mailsync/mailsync/internal/store"
)

// The people search finds the start of a full name, a last name or an
// address, whatever the case, with LIKE's wildcards taken literally.
func TestSearchPeopleByStart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		ws, err := st.CreateWorkspace(ctx, "w", nil)
		if err != nil {
			t.Fatal(err)
		}
		other, err := st.CreateWorkspace(ctx, "other", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct {
			ws, first, last string
			emails          []string
		}{
			{ws.ID, "Jane", "Doe", []string{"jane.doe@acme.example", "jd_100%@home.example"}},
			{ws.ID, "Omar", "Haddad", []string{"omar.haddad12@acme.example"}},
			{ws.ID, "Aiko", "Tanaka", []string{"aiko@tanaka.example"}},
			{ws.ID, "", "", []string{"noname@x.example"}},
			{other.ID, "Jane", "Dolittle", []string{"jane@other.example"}},
		} {
			if _, err := st.AddPerson(ctx, p.ws, store.NewPerson{FirstName: p.first, LastName: p.last, Emails: p.emails,
				CreatedBy: store.CreatedByUser}); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			q    string
			want []string // primary addresses, by name
		}{
			{"jane", []string{"jane.doe@acme.example"}},
			{"  JANE D ", []string{"jane.doe@acme.example"}},
			{"Jane Doe", []string{"jane.doe@acme.example"}},
			{"doe", []string{"jane.doe@acme.example"}},
			{"tanaka", []string{"aiko@tanaka.example"}},
			{"omar.haddad1", []string{"omar.haddad12@acme.example"}},
			{"jd_100%", []string{"jane.doe@acme.example"}},
			{"jd_1000", nil},
			{"j%", nil},
			{"noname@", []string{"noname@x.example"}},
			{"addad", nil}, // the middle of a word is not searched
			{"zzz", nil},
		} {
			got, err := st.SearchPeople(ctx, ws.ID, c.q, 100)
			if err != nil {
				t.Fatal(err)
			}
			var emails []string
			for _, p := range got {
				emails = append(emails, p.PrimaryEmail)
			}
			if !slices.Equal(emails, c.want) {
				t.Errorf("search %q: %v, want %v", c.q, emails, c.want)
			}
		}
		all, err := st.SearchPeople(ctx, ws.ID, "", 2)
		if err != nil || len(all) != 2 {
			t.Errorf("empty search, limit 2: %d people (%v), want 2", len(all), err)
		}
	})
}
