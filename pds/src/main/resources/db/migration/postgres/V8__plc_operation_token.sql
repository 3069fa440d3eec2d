-- The token that authorizes com.atproto.identity.signPlcOperation (the reference PDS e-mails it; we
-- show it to the owner, see docs/plc.md). At most one row: a new token replaces the previous one.
-- Only the SHA-256 (hex) of the token is kept; it is single-use and expires_at is epoch milliseconds.
CREATE TABLE plc_operation_token (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
