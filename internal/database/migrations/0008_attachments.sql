-- Attachment bytes (issue 9), kept at import as fixed-size chunks: a
-- download streams one chunk at a time (bounded memory whatever the file's
-- size) and needs no provider round trip, so it works for a paused or
-- disconnected mailbox too. idx is the attachment's index in MIME order.
CREATE TABLE attachment_chunks (
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    data       BYTEA NOT NULL,
    PRIMARY KEY (message_id, idx, seq)
);

-- Messages imported before this table existed have their metadata but not
-- their bytes: the next sync fetches them again, and the store fills in
-- what is missing (nothing else changes for them).
UPDATE folder_items SET refetch = TRUE
    WHERE message_id IN (SELECT id FROM messages WHERE attachments <> '');
