-- The Emails tab at a million messages (issue 10). Each person's and each
-- company's threads, with the thread's date, kept by the store wherever a
-- participant's person, a person's company, a message's thread or a
-- thread's date changes (internal/store/contact_threads.go). A tab's page
-- is then read from the newest end of the contact's (contact, date, thread)
-- index: it costs the page and the offset skipped in that index, not the
-- contact's size, and the total is a count of the contact's index entries.
CREATE TABLE person_threads (
    person_id       TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    thread_id       TEXT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    last_message_at BIGINT NOT NULL,
    PRIMARY KEY (person_id, thread_id)
);
CREATE INDEX person_threads_recent ON person_threads (person_id, last_message_at DESC, thread_id);
CREATE INDEX person_threads_thread ON person_threads (thread_id);

CREATE TABLE company_threads (
    company_id      TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    thread_id       TEXT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    last_message_at BIGINT NOT NULL,
    PRIMARY KEY (company_id, thread_id)
);
CREATE INDEX company_threads_recent ON company_threads (company_id, last_message_at DESC, thread_id);
CREATE INDEX company_threads_thread ON company_threads (thread_id);

INSERT INTO person_threads (person_id, thread_id, last_message_at)
SELECT DISTINCT p.person_id, p.thread_id, t.last_message_at
FROM participants p JOIN threads t ON t.id = p.thread_id
WHERE p.person_id IS NOT NULL;

INSERT INTO company_threads (company_id, thread_id, last_message_at)
SELECT DISTINCT pe.company_id, pt.thread_id, pt.last_message_at
FROM person_threads pt JOIN people pe ON pe.id = pt.person_id
WHERE pe.company_id IS NOT NULL;
