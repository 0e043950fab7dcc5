-- The event feed (issue 11): one ordered, durable log per workspace, written
-- in the same transaction as the change it records. seq is the cursor.
-- event_counters hands out seq under a row lock held until commit, so seq
-- order is commit order within a workspace (docs/events.md explains why a
-- reader can never skip an event).
CREATE TABLE event_counters (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL
);

-- data holds ids and metadata as a JSON object, never a message body.
CREATE TABLE events (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,
    type         TEXT NOT NULL,
    occurred_at  BIGINT NOT NULL,
    data         TEXT NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);
CREATE INDEX events_occurred ON events (occurred_at);

-- Webhooks: every event of the chosen types is POSTed to url, in order,
-- from a cursor of their own (delivered_seq): a delivery that fails is
-- retried with backoff until it succeeds or the webhook is disabled.
CREATE TABLE webhooks (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    member_id     TEXT NOT NULL DEFAULT '',
    url           TEXT NOT NULL,
    types         TEXT NOT NULL DEFAULT '',  -- newline separated; '' = every type
    secret        TEXT NOT NULL,             -- sealed with the secret key
    delivered_seq BIGINT NOT NULL DEFAULT 0, -- the last event delivered (or skipped: not of its types)
    failing_since BIGINT NOT NULL DEFAULT 0,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_reason TEXT NOT NULL DEFAULT '',
    lease_owner   TEXT NOT NULL DEFAULT '',  -- the process delivering it now (one at a time keeps the order)
    lease_until   BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);
CREATE INDEX webhooks_workspace ON webhooks (workspace_id);
