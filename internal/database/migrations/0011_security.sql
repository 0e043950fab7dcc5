-- Failed UI logins, kept in the database so that throttling holds across
-- every serve process sharing it. kind is 'email' or 'ip'; rows older than
-- the throttling window are deleted as new failures come in.
CREATE TABLE login_failures (
    kind   TEXT NOT NULL,
    key    TEXT NOT NULL,
    at     BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (kind, key, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- When an API token was last used (unix ms; 0: never), shown in the UI.
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;
