-- The Emails tab at scale (issue 10). Each participant row carries its
-- message's thread, so that a person's threads are read from one index
-- (person, thread) without visiting the person's messages; the store
-- moves it with the message when threads merge. The index leaves out
-- the participants linked to nobody (most of them during an import: they
-- are linked once the batch's contacts exist), which no tab reads.
ALTER TABLE participants ADD COLUMN thread_id TEXT NOT NULL DEFAULT '';
UPDATE participants SET thread_id = (SELECT m.thread_id FROM messages m WHERE m.id = participants.message_id);
DROP INDEX participants_person;
CREATE INDEX participants_person_thread ON participants (person_id, thread_id) WHERE person_id IS NOT NULL;
