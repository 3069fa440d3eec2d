-- The account's current handle. PDS_HANDLE seeds it; com.atproto.identity.updateHandle changes it.
-- configured_handle remembers which PDS_HANDLE the row last followed, so that an operator who edits
-- PDS_HANDLE sees the new value win once at the next start, while a handle set through the API
-- survives restarts with an unchanged configuration.
CREATE TABLE account_identity (
    did               TEXT COLLATE "C" PRIMARY KEY,
    handle            TEXT COLLATE "C" NOT NULL,
    configured_handle TEXT COLLATE "C" NOT NULL,
    updated_at        TEXT COLLATE "C" NOT NULL
);
