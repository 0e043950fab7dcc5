-- Participants not linked to a person, by address: linking after a
-- concurrent import then reads only the rows that need it, not every
-- message an address ever appeared on.
CREATE INDEX participants_unlinked ON participants (workspace_id, email) WHERE person_id IS NULL;
