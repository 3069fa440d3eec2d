-- The twin of postgres/V15, which keeps PostgreSQL from compressing and moving out of line the
-- events of a few KB. SQLite stores a row's values in its B-tree page and overflow pages without
-- compression: nothing to change here.
SELECT 1;
