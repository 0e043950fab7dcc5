-- The people search's ranges (0012_people_search) in the C collation on
-- PostgreSQL: a search for q reads the texts from q up to q followed by the
-- greatest code point, which is the set of texts starting with q in byte
-- order only. A database created with another collation (en_US.UTF-8, say)
-- orders text otherwise, and a range in its order could miss people; the
-- query compares in "C" (internal/store/search.go) and these indexes serve
-- it. SQLite compares bytes (BINARY) already and needs nothing.
DROP INDEX people_full_name;
DROP INDEX people_last_name;
CREATE INDEX people_full_name ON people (workspace_id, (LOWER(first_name || ' ' || last_name)) COLLATE "C");
CREATE INDEX people_last_name ON people (workspace_id, (LOWER(last_name)) COLLATE "C");
CREATE INDEX person_emails_email_c ON person_emails (workspace_id, email COLLATE "C");
