-- Full-text search of mail (issue 10) on PostgreSQL. One row per message:
-- its words (package fulltext cuts them, in Go, for both engines) in three
-- sets, each the previous one plus a field: p (participants' names and
-- addresses), ps (plus the subject), psb (plus the body). A viewer's query
-- runs against the set its level on each message allows, so a withheld
-- field never matches; each set has its GIN index. The words arrive as
-- tsvector text (lexemes read verbatim), not through to_tsvector, whose
-- parser would keep "jane.doe@acme.example" as one word where SQLite's
-- FTS5 sees three. Deleting a message deletes its row. The Go step of
-- this migration (fulltext.Backfill) indexes the messages already stored.
CREATE TABLE message_search (
    message_id   TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    sent_at      BIGINT NOT NULL,
    p            tsvector NOT NULL,
    ps           tsvector NOT NULL,
    psb          tsvector NOT NULL
);
CREATE INDEX message_search_p ON message_search USING gin (p);
CREATE INDEX message_search_ps ON message_search USING gin (ps);
CREATE INDEX message_search_psb ON message_search USING gin (psb);
-- Newest first: a common word is found by walking this index backwards.
CREATE INDEX message_search_newest ON message_search (workspace_id, sent_at);
