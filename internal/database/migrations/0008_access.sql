-- Access requests (issue 9): a member asks to read a thread withheld from
-- them; an owner of a mailbox holding it grants or denies. A granted
-- request opens the thread at "everything" for its requester only, until
-- revoked. Rows are kept whatever their status: they are the record of
-- who asked, who decided, when, for which thread. A thread merged into
-- another takes its requests along (the store moves them).
CREATE TABLE access_requests (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    thread_id    TEXT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    requester_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    note         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL, -- pending | granted | denied | revoked
    created_at   BIGINT NOT NULL,
    decided_by   TEXT REFERENCES members(id) ON DELETE SET NULL,
    decided_at   BIGINT
);
CREATE INDEX access_requests_thread ON access_requests (thread_id, status);
CREATE INDEX access_requests_requester ON access_requests (requester_id);
