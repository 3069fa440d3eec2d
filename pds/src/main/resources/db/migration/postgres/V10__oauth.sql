-- The OAuth authorization server's state. Times are epoch milliseconds. Codes, refresh tokens and
-- device secrets are stored as SHA-256 hashes (base64url), so a copy of the database does not hold
-- usable credentials. Expired rows are pruned on write (OAuthStore.prune).

-- Pushed authorization requests: from PAR until the code is redeemed, refused or expired.
CREATE TABLE oauth_request (
    id          TEXT COLLATE "C" PRIMARY KEY,         -- req-<hex>, the tail of the request_uri
    client_id   TEXT COLLATE "C" NOT NULL,
    client_auth TEXT COLLATE "C" NOT NULL,            -- JSON: how the client authenticated at PAR
    parameters  TEXT COLLATE "C" NOT NULL,            -- JSON: the authorization request (scope resolved)
    dpop_jkt    TEXT COLLATE "C" NOT NULL,
    device_id   TEXT COLLATE "C",                     -- the browser that opened it
    did         TEXT COLLATE "C",                     -- the account, once signed in on that browser
    code_hash   TEXT COLLATE "C" UNIQUE,              -- once authorized
    expires_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX oauth_request_expires ON oauth_request (expires_at);

-- Signed-in apps. id is stable for the session's life (what `alteran oauth revoke` takes);
-- token_id is the jti of the current access token and changes with every refresh.
CREATE TABLE oauth_session (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    token_id           TEXT COLLATE "C" NOT NULL UNIQUE,
    did                TEXT COLLATE "C" NOT NULL,
    client_id          TEXT COLLATE "C" NOT NULL,
    client_auth        TEXT COLLATE "C" NOT NULL,
    confidential       INTEGER NOT NULL,
    device_id          TEXT COLLATE "C",
    scope              TEXT COLLATE "C" NOT NULL,
    dpop_jkt           TEXT COLLATE "C" NOT NULL,
    code_hash          TEXT COLLATE "C" UNIQUE,       -- the code that created it: a second redemption revokes it
    refresh_hash       TEXT COLLATE "C" UNIQUE,       -- the current refresh token
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,  -- last refresh
    last_used_at       BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,  -- the session's end: created_at + its lifetime
    refresh_expires_at BIGINT NOT NULL   -- the current refresh token's end (never after expires_at)
);
CREATE INDEX oauth_session_expires ON oauth_session (expires_at);

-- Refresh tokens already used: presenting one again ends its session.
CREATE TABLE oauth_used_refresh (
    refresh_hash TEXT COLLATE "C" PRIMARY KEY,
    session_id   TEXT COLLATE "C" NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX oauth_used_refresh_session ON oauth_used_refresh (session_id);

-- Browsers that signed in ("remember this device"): the cookie holds id and secret.
CREATE TABLE oauth_device (
    id           TEXT COLLATE "C" PRIMARY KEY,        -- dev-<hex>
    secret_hash  TEXT COLLATE "C" NOT NULL,
    did          TEXT COLLATE "C",                    -- remembered account, or null
    user_agent   TEXT COLLATE "C",
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX oauth_device_expires ON oauth_device (expires_at);
