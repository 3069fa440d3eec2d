-- The account's preferences (app.bsky.actor.getPreferences / putPreferences), one row per
-- preference object as the client sent it, in the order it sent them. name is the object's $type.
CREATE TABLE preference (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL,
    value_json TEXT COLLATE "C" NOT NULL
);

-- Read-after-write asks for the records written after an AppView's rev on every proxied profile or
-- thread read: an index on rev keeps that a short range scan.
CREATE INDEX IF NOT EXISTS record_rev ON record (rev);
