-- One-time values seen by the OAuth server (DPoP proof jti, client assertion jti, PKCE challenges):
-- a value may be used once in its namespace until expires_at (epoch milliseconds), after which the
-- row is pruned. A table, not memory, so that a restart or a second instance does not reopen the window.
CREATE TABLE oauth_replay (
    namespace  TEXT COLLATE "C" NOT NULL,
    value      TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (namespace, value)
);
CREATE INDEX oauth_replay_expires ON oauth_replay (expires_at);
