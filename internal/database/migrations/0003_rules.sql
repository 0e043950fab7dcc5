-- Rule changes act on mail already synced (SPEC §4.4; issue 3).

-- facts: what the import rules read of the message (participants and the
-- headers that mark bulk mail, JSON), so that a rule change re-decides
-- stored and skipped items without fetching anything.
-- refetch: the next sync fetches the item again (a rule no longer keeps
-- it out) and decides it afresh.
ALTER TABLE folder_items ADD COLUMN facts TEXT NOT NULL DEFAULT '';
ALTER TABLE folder_items ADD COLUMN refetch BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX folder_items_refetch ON folder_items (folder_id) WHERE refetch;

-- rules_version counts the changes of the rules a channel applies (its
-- settings, its owner's blocklist, its workspace's domains and settings);
-- rules_applied is the version its items were last re-decided with. Both
-- move in the transactions that change them, so a crash loses no change.
ALTER TABLE channels ADD COLUMN rules_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN rules_applied BIGINT NOT NULL DEFAULT 0;
