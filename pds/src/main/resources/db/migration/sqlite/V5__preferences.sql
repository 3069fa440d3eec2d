-- The account's preferences (app.bsky.actor.getPreferences / putPreferences), one row per
-- preference object as the client sent it, in the order it sent them. name is the object's $type.
CREATE TABLE preference (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    value_json TEXT NOT NULL
);
