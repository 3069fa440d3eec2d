-- The repository, its record index and the sequencer log: the PostgreSQL twin of sqlite/V1, table
-- for table. The types follow from SQLite's: BIGINT for integers (epoch ms, sizes, counts), BYTEA for
-- BLOB, BIGSERIAL for AUTOINCREMENT, and every TEXT column with the "C" collation so that text sorts
-- and compares by code point as in SQLite (rkey cursors, revs, datetimes), whatever the server's locale.
-- CIDs are binary (CIDv1 bytes) where blocks are joined, text where they name files or are shown.

-- The head commit of the account's repository (one row: this PDS hosts one account).
CREATE TABLE repo_root (
    did        TEXT COLLATE "C" PRIMARY KEY,
    cid        BYTEA NOT NULL,
    rev        TEXT COLLATE "C" NOT NULL,
    indexed_at TEXT COLLATE "C" NOT NULL
);

-- Content-addressed blocks of the current repository: MST nodes, the head commit, record blocks.
-- rev is the commit that added the block (sync.getRepo with "since" reads blocks newer than a rev).
CREATE TABLE repo_block (
    cid     BYTEA PRIMARY KEY,
    rev     TEXT COLLATE "C" NOT NULL,
    size    BIGINT NOT NULL,
    content BYTEA NOT NULL
);
CREATE INDEX repo_block_rev ON repo_block (rev);

-- The current records: one row per key of the MST, pointing at its record block.
CREATE TABLE record (
    uri        TEXT COLLATE "C" PRIMARY KEY,
    cid        BYTEA NOT NULL,
    collection TEXT COLLATE "C" NOT NULL,
    rkey       TEXT COLLATE "C" NOT NULL,
    rev        TEXT COLLATE "C" NOT NULL,
    indexed_at TEXT COLLATE "C" NOT NULL
);
-- listRecords pages through one collection by rkey, in both directions.
CREATE UNIQUE INDEX record_collection_rkey ON record (collection, rkey);
CREATE INDEX record_cid ON record (cid);

-- Blobs each record references (blob reference counts, listMissingBlobs).
CREATE TABLE record_blob (
    record_uri TEXT COLLATE "C" NOT NULL,
    blob_cid   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (record_uri, blob_cid)
);
CREATE INDEX record_blob_cid ON record_blob (blob_cid);

-- Subjects of follows, blocks, likes and reposts: createRecord replaces an older record of the
-- same collection with the same subject, as the reference PDS does.
CREATE TABLE backlink (
    uri     TEXT COLLATE "C" NOT NULL,
    path    TEXT COLLATE "C" NOT NULL,
    link_to TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (uri, path)
);
CREATE INDEX backlink_link_to ON backlink (path, link_to);

-- The sequencer log: one row per firehose event. event is the frame body exactly as sent
-- (DAG-CBOR, seq and time included); the frame header follows from type.
CREATE TABLE seq_event (
    seq   BIGSERIAL PRIMARY KEY,
    did   TEXT COLLATE "C" NOT NULL,
    type  TEXT COLLATE "C" NOT NULL,
    time  TEXT COLLATE "C" NOT NULL,
    event BYTEA NOT NULL
);
