-- Rate-limit windows shared by every instance on this database (PDS_RATE_LIMIT_STORE=database).
-- One row per (bucket, client); a window opens at the client's first hit and ends at window_end (epoch ms).
CREATE TABLE rate_limit (
    bucket     TEXT COLLATE "C"    NOT NULL,
    client     TEXT COLLATE "C"    NOT NULL,
    count      BIGINT NOT NULL,
    window_end BIGINT NOT NULL,
    PRIMARY KEY (bucket, client)
);
CREATE INDEX rate_limit_window_end ON rate_limit (window_end);
