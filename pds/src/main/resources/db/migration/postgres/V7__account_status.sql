-- The account's hosting status (com.atproto.server.activateAccount / deactivateAccount). No row, or
-- deactivated_at NULL, means active. Times are canonical atproto datetimes.
CREATE TABLE account_status (
    did            TEXT COLLATE "C" PRIMARY KEY,
    deactivated_at TEXT COLLATE "C",
    -- The owner's hint for how long to keep a deactivated account (deactivateAccount's deleteAfter).
    delete_after   TEXT COLLATE "C"
);
