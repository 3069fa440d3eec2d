-- Sessions and authentication: refresh tokens, app passwords, failed logins. One account per PDS,
-- so no table carries the account's DID except login_attempt (kept for the audit trail).

-- A refresh token's ID (jti) while it may still be used. Rotation sets next_id and shortens
-- expires_at to the grace period; revocation deletes the row. Times are epoch milliseconds.
CREATE TABLE refresh_token (
    jti               TEXT COLLATE "C" PRIMARY KEY,
    expires_at        BIGINT NOT NULL,
    next_id           TEXT COLLATE "C",
    app_password_name TEXT COLLATE "C"
);
CREATE INDEX refresh_token_expires_at ON refresh_token (expires_at);
CREATE INDEX refresh_token_next_id ON refresh_token (next_id);
CREATE INDEX refresh_token_app_password_name ON refresh_token (app_password_name);

-- App passwords, hashed with scrypt (PHC string); the plain password is shown once, at creation.
CREATE TABLE app_password (
    name          TEXT COLLATE "C" PRIMARY KEY,
    password_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at    TEXT COLLATE "C" NOT NULL,
    privileged    INTEGER NOT NULL DEFAULT 0
);

-- Login attempts that have not (yet) succeeded; a success deletes the account's rows. Never the password.
CREATE TABLE login_attempt (
    id           BIGSERIAL PRIMARY KEY,
    did          TEXT COLLATE "C" NOT NULL,
    ip           TEXT COLLATE "C",
    attempted_at BIGINT NOT NULL
);
CREATE INDEX login_attempt_did_attempted_at ON login_attempt (did, attempted_at);
