-- The account's current handle. PDS_HANDLE seeds it; com.atproto.identity.updateHandle changes it.
-- configured_handle remembers which PDS_HANDLE the row last followed, so that an operator who edits
-- PDS_HANDLE sees the new value win once at the next start, while a handle set through the API
-- survives restarts with an unchanged configuration.
CREATE TABLE account_identity (
    did               TEXT PRIMARY KEY,
    handle            TEXT NOT NULL,
    configured_handle TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
