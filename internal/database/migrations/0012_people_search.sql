-- The people list's search at 50,000 people (issue 10): a search matches
-- the start of a person's full name ("first last"), of the last name or
-- of an address, each read from an index (the addresses' from
-- person_emails' primary key) as a range of the lowercase text, instead
-- of LIKE '%q%' over every person of the workspace.
CREATE INDEX people_full_name ON people (workspace_id, LOWER(first_name || ' ' || last_name));
CREATE INDEX people_last_name ON people (workspace_id, LOWER(last_name));
