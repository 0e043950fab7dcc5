-- Full-text search of mail (issue 10) on SQLite, the same design as
-- 0013_search.postgres.sql: three FTS5 tables hold each message's words
-- (cut in Go by package fulltext) as three sets, each the previous one
-- plus a field: search_p (participants' names and addresses), search_ps
-- (plus the subject), search_psb (plus the body). FTS5 here only splits
-- on spaces, so that both engines index the very same words; contentless
-- (the text is in messages already), without positions (no phrase
-- queries), deletable.
--
-- An FTS5 row is an integer. search_docs maps it to its message; it is
-- sent_at * 2^20 + n, so that FTS5's native rowid order is newest first
-- and a search stops after the newest matches instead of ranking every
-- message holding a common word. (messages' own rowid would change on VACUUM.)
CREATE TABLE search_docs (
    doc          INTEGER PRIMARY KEY,
    message_id   TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL
);
CREATE VIRTUAL TABLE search_p USING fts5(words, content='', contentless_delete=1, detail=none,
    tokenize="unicode61 remove_diacritics 0 categories 'L* M* N* P* S* Z* C*' separators ' '");
CREATE VIRTUAL TABLE search_ps USING fts5(words, content='', contentless_delete=1, detail=none,
    tokenize="unicode61 remove_diacritics 0 categories 'L* M* N* P* S* Z* C*' separators ' '");
CREATE VIRTUAL TABLE search_psb USING fts5(words, content='', contentless_delete=1, detail=none,
    tokenize="unicode61 remove_diacritics 0 categories 'L* M* N* P* S* Z* C*' separators ' '");
-- The store writes index rows with the statement it uses on PostgreSQL:
-- an INSERT into message_search, here a view whose trigger numbers the
-- row and fills the three tables. A date past year 2248 (or before 1691)
-- is taken as that limit, so that the number fits in 64 bits.
CREATE VIEW message_search (message_id, workspace_id, sent_at, p, ps, psb) AS
    SELECT message_id, workspace_id, doc >> 20, '', '', '' FROM search_docs;
CREATE TRIGGER message_search_insert INSTEAD OF INSERT ON message_search BEGIN
    INSERT INTO search_docs (doc, message_id, workspace_id)
        SELECT COALESCE(MAX(doc) + 1, base), NEW.message_id, NEW.workspace_id
        FROM (SELECT MIN(MAX(NEW.sent_at, -8796093022207), 8796093022207) * 1048576 AS base) b
        LEFT JOIN search_docs ON doc BETWEEN base AND base + 1048575;
    INSERT INTO search_p (rowid, words) SELECT doc, NEW.p FROM search_docs WHERE message_id = NEW.message_id;
    INSERT INTO search_ps (rowid, words) SELECT doc, NEW.ps FROM search_docs WHERE message_id = NEW.message_id;
    INSERT INTO search_psb (rowid, words) SELECT doc, NEW.psb FROM search_docs WHERE message_id = NEW.message_id;
END;
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM search_p WHERE rowid = (SELECT doc FROM search_docs WHERE message_id = OLD.id);
    DELETE FROM search_ps WHERE rowid = (SELECT doc FROM search_docs WHERE message_id = OLD.id);
    DELETE FROM search_psb WHERE rowid = (SELECT doc FROM search_docs WHERE message_id = OLD.id);
    DELETE FROM search_docs WHERE message_id = OLD.id;
END;
