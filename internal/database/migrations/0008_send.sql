-- Sending (issue 9). SMTP settings of an IMAP mailbox; empty means the
-- default (the IMAP host, 465 over TLS, the IMAP login). smtp_secret is
-- sealed like secret; '' means the IMAP password.
ALTER TABLE connected_accounts ADD COLUMN smtp_host TEXT NOT NULL DEFAULT '';
ALTER TABLE connected_accounts ADD COLUMN smtp_port INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connected_accounts ADD COLUMN smtp_security TEXT NOT NULL DEFAULT '';
ALTER TABLE connected_accounts ADD COLUMN smtp_username TEXT NOT NULL DEFAULT '';
ALTER TABLE connected_accounts ADD COLUMN smtp_secret TEXT NOT NULL DEFAULT '';

-- One row per send asked with an idempotency key: a retried request with
-- the same key gets the first one's result and sends nothing. The row is
-- written before the provider is called ('sending') and removed when the
-- send fails, so a failed send may be retried.
CREATE TABLE sends (
    account_id  TEXT NOT NULL REFERENCES connected_accounts(id) ON DELETE CASCADE,
    idem_key    TEXT NOT NULL,
    status      TEXT NOT NULL, -- sending | sent
    message_id  TEXT NOT NULL DEFAULT '',
    message_key TEXT NOT NULL DEFAULT '',
    thread_id   TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);
