package ingest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mailsync/mailsync/internal/database"
	"github.com/mailsync/mailsync/internal/database/dbtest"
)

// Two mailboxes importing at once, each holding half of the same
// conversations (batches of 2), end with one thread per conversation and
// the Emails tab lists matching the messages. On PostgreSQL one mailbox's
// repair merges threads while the other's batch links a new person's
// past mail on them: rows added for a thread being deleted failed on the
// person_threads foreign key (store.lockThreads).
func TestConcurrentSplitConversationsJoin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.addAccount("user1")
		f.addAccount("user2")
		customers := []string{"jane.doe@acme-corp.com", "peter@initech.co.uk", "zoe@soylent.fr"}
		var r1, r2 [][]byte
		for i := 0; i < 30; i++ {
			root := fmt.Sprintf("conv-%d@ourco.example", i)
			c := customers[i%len(customers)]
			first := mail{id: root, from: "user1@ourco.example", to: c, cc: "user2@ourco.example", date: clock.Add(time.Duration(i) * time.Minute)}
			reply := mail{id: fmt.Sprintf("re-%d@acme.example", i), from: c, to: "user2@ourco.example", inReplyTo: root,
				refs: []string{root}, date: clock.Add(time.Duration(i)*time.Minute + 30*time.Second)}
			if i%2 == 0 {
				r1, r2 = append(r1, first.raw()), append(r2, reply.raw())
			} else {
				r1, r2 = append(r1, reply.raw()), append(r2, first.raw())
			}
		}
		f.deliver("user1", "INBOX", r1...)
		f.deliver("user2", "INBOX", r2...)
		f.syncAtOnce(2, "user1", "user2")
		if n := f.count(`SELECT COUNT(DISTINCT thread_id) FROM messages`); n != 30 {
			t.Errorf("%d threads, want 30", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM (SELECT DISTINCT p.person_id, m.thread_id FROM participants p
			JOIN messages m ON m.id = p.message_id WHERE p.person_id IS NOT NULL) x`); n != f.count(`SELECT COUNT(*) FROM person_threads`) {
			t.Errorf("person_threads has %d rows, the messages say %d", f.count(`SELECT COUNT(*) FROM person_threads`), n)
		}
	})
}
