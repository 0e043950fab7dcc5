-- Admin limits (issue 12): a mailbox's sync can be paused, and every change
-- to sharing, rules, tokens, members and mailboxes is recorded.

-- A paused channel is left alone by the scheduler, push and `sync --once`;
-- status keeps the outcome of the last sync, shown again on resume.
ALTER TABLE channels ADD COLUMN paused BOOLEAN NOT NULL DEFAULT FALSE;

-- The audit log: who (member id and email, or 'cli' for the operator's
-- command line), what (action, target id, the settings changed as a JSON
-- object: never mail content, passwords or tokens), when and from where
-- (client IP, or 'cli'). actor_id has no foreign key: the record outlives
-- the member.
CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    actor_id     TEXT NOT NULL DEFAULT '',
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_id    TEXT NOT NULL DEFAULT '',
    details      TEXT NOT NULL DEFAULT '{}',
    ip           TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, created_at);
