-- The order app passwords were created in, for listing newest first when two share a created_at
-- millisecond (the tie-break used to be SQLite's rowid, which PostgreSQL has no equivalent of).
-- The application writes MAX(seq) + 1, under the database's write lock.
ALTER TABLE app_password ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE app_password SET seq = rowid;
