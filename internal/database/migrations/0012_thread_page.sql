-- An Emails tab page reads the messages of its threads (their ids, in
-- date order) to find their participants, holders and latest message:
-- with the id in the index, that is read from the index alone, not from
-- the messages' wide rows (one page each).
DROP INDEX messages_thread;
CREATE INDEX messages_thread ON messages (thread_id, sent_at, id);
