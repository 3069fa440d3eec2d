-- Leases of periodic jobs (see sqlite/V14): the instance that holds a job's unexpired lease runs it.
CREATE TABLE job_lease (
    job        TEXT COLLATE "C" PRIMARY KEY,
    holder     TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL
);
