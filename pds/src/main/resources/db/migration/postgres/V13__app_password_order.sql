-- The order app passwords were created in, for listing newest first when two share a created_at
-- millisecond (see sqlite/V13). The application writes MAX(seq) + 1, under the database's write lock.
ALTER TABLE app_password ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
