-- mailsync schema. Runs unchanged on SQLite and PostgreSQL.
-- Ids are TEXT made by the application; times are BIGINT unix milliseconds.

CREATE TABLE workspaces (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    import_internal BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT NOT NULL
);

CREATE TABLE workspace_domains (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    domain       TEXT NOT NULL,
    PRIMARY KEY (workspace_id, domain)
);

CREATE TABLE members (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    UNIQUE (workspace_id, email)
);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    member_id    TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL
);

CREATE TABLE companies (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    domain       TEXT,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, domain)
);

CREATE TABLE people (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    first_name   TEXT NOT NULL DEFAULT '',
    last_name    TEXT NOT NULL DEFAULT '',
    company_id   TEXT REFERENCES companies(id) ON DELETE SET NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX people_company ON people (company_id);

-- One row per address of a person; the primary key makes an address belong
-- to at most one person per workspace, so concurrent imports cannot create
-- the same contact twice.
CREATE TABLE person_emails (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    person_id    TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    is_primary   BOOLEAN NOT NULL,
    PRIMARY KEY (workspace_id, email)
);
CREATE INDEX person_emails_person ON person_emails (person_id);

CREATE TABLE suppressions (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL, -- 'email' or 'domain'
    value        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, kind, value)
);

CREATE TABLE connected_accounts (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    member_id    TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    provider     TEXT NOT NULL,
    handle       TEXT NOT NULL,
    host         TEXT NOT NULL DEFAULT '',
    port         INTEGER NOT NULL DEFAULT 0,
    security     TEXT NOT NULL DEFAULT '',
    username     TEXT NOT NULL DEFAULT '',
    secret       TEXT NOT NULL DEFAULT '', -- AES-256-GCM sealed, base64
    created_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, provider, handle)
);

CREATE TABLE account_aliases (
    account_id TEXT NOT NULL REFERENCES connected_accounts(id) ON DELETE CASCADE,
    alias      TEXT NOT NULL,
    PRIMARY KEY (account_id, alias)
);

-- The sync unit of an account: its settings and its sync state.
CREATE TABLE channels (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL UNIQUE REFERENCES connected_accounts(id) ON DELETE CASCADE,
    workspace_id     TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    visibility       TEXT NOT NULL DEFAULT 'everything',
    auto_create      TEXT NOT NULL DEFAULT 'sent',
    exclude_group    BOOLEAN NOT NULL DEFAULT TRUE,
    exclude_personal BOOLEAN NOT NULL DEFAULT TRUE,
    folders          TEXT NOT NULL DEFAULT '', -- picked folders, newline separated; '' = default set
    status           TEXT NOT NULL DEFAULT 'not_synced',
    last_error       TEXT NOT NULL DEFAULT '',
    last_synced_at   BIGINT,
    lease_owner      TEXT NOT NULL DEFAULT '',
    lease_until      BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE folders (
    id         TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL DEFAULT '',
    selected   BOOLEAN NOT NULL DEFAULT TRUE,
    cursor     TEXT NOT NULL DEFAULT '',
    listed     INTEGER NOT NULL DEFAULT -1,
    synced_at  BIGINT,
    UNIQUE (channel_id, name)
);

CREATE TABLE threads (
    id               TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    subject          TEXT NOT NULL DEFAULT '',
    message_count    INTEGER NOT NULL DEFAULT 0,
    first_message_at BIGINT NOT NULL DEFAULT 0,
    last_message_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX threads_last ON threads (workspace_id, last_message_at);

-- One row per email per workspace, whatever the number of mailboxes holding it.
CREATE TABLE messages (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    thread_id    TEXT NOT NULL REFERENCES threads(id),
    message_key  TEXT NOT NULL, -- Message-ID without brackets, or a synthetic key
    subject      TEXT NOT NULL DEFAULT '',
    text_body    TEXT NOT NULL DEFAULT '',
    html_body    TEXT NOT NULL DEFAULT '',
    snippet      TEXT NOT NULL DEFAULT '',
    attachments  TEXT NOT NULL DEFAULT '', -- JSON metadata
    size         INTEGER NOT NULL DEFAULT 0,
    sent_at      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, message_key)
);
CREATE INDEX messages_thread ON messages (thread_id, sent_at);

-- Every Message-ID a message names (its own, In-Reply-To, References):
-- two messages sharing one are in the same thread, whatever the order of arrival.
CREATE TABLE message_refs (
    workspace_id TEXT NOT NULL,
    ref          TEXT NOT NULL,
    message_id   TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    PRIMARY KEY (workspace_id, ref, message_id)
);
CREATE INDEX message_refs_message ON message_refs (message_id);

CREATE TABLE participants (
    message_id   TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    workspace_id TEXT NOT NULL,
    role         TEXT NOT NULL,
    email        TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    person_id    TEXT REFERENCES people(id) ON DELETE SET NULL,
    member_id    TEXT REFERENCES members(id) ON DELETE SET NULL,
    PRIMARY KEY (message_id, position)
);
CREATE INDEX participants_email ON participants (workspace_id, email);
CREATE INDEX participants_person ON participants (person_id);

-- What each folder holds on the server, one row per provider id, and what
-- became of it: imported (message_id set), skipped by a rule, or failed.
-- These rows are the "mailbox holds message" association, and their counts
-- are the account's listed / imported / skipped / failed figures.
CREATE TABLE folder_items (
    folder_id   TEXT NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid         TEXT NOT NULL,
    channel_id  TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    status      TEXT NOT NULL, -- imported | skipped | failed
    message_id  TEXT REFERENCES messages(id) ON DELETE SET NULL,
    message_key TEXT NOT NULL DEFAULT '',
    direction   TEXT NOT NULL DEFAULT '',
    rule        TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    flags       TEXT NOT NULL DEFAULT '',
    received_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (folder_id, uid)
);
CREATE INDEX folder_items_message ON folder_items (message_id);
CREATE INDEX folder_items_channel_key ON folder_items (channel_id, message_key);

-- How each participant of an imported or skipped message was treated as a contact.
CREATE TABLE contact_decisions (
    channel_id  TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    message_key TEXT NOT NULL,
    email       TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (channel_id, message_key, email)
);

CREATE TABLE blocklist (
    member_id  TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    entry      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, entry)
);
