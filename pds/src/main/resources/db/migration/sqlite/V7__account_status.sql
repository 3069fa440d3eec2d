-- The account's hosting status (com.atproto.server.activateAccount / deactivateAccount). No row, or
-- deactivated_at NULL, means active. Times are canonical atproto datetimes.
CREATE TABLE account_status (
    did            TEXT PRIMARY KEY,
    deactivated_at TEXT,
    -- The owner's hint for how long to keep a deactivated account (deactivateAccount's deleteAfter).
    delete_after   TEXT
);
