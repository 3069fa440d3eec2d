-- Leases of periodic jobs (scheduled blob garbage collection): with several instances on one database,
-- the instance that holds a job's unexpired lease runs that round and the others skip it. expires_at is
-- epoch milliseconds; the holder is an instance's random id.
CREATE TABLE job_lease (
    job        TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
