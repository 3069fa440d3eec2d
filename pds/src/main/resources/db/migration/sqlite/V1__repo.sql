-- The repository, its record index and the sequencer log. Plain SQL shared with the PostgreSQL
-- folder except AUTOINCREMENT (BIGSERIAL there). CIDs are binary (CIDv1 bytes) where blocks are
-- joined, text where they name files or are shown (blob CIDs).

-- The head commit of the account's repository (one row: this PDS hosts one account).
CREATE TABLE repo_root (
    did        TEXT PRIMARY KEY,
    cid        BLOB NOT NULL,
    rev        TEXT NOT NULL,
    indexed_at TEXT NOT NULL
);

-- Content-addressed blocks of the current repository: MST nodes, the head commit, record blocks.
-- rev is the commit that added the block (sync.getRepo with "since" reads blocks newer than a rev).
CREATE TABLE repo_block (
    cid     BLOB PRIMARY KEY,
    rev     TEXT NOT NULL,
    size    INTEGER NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX repo_block_rev ON repo_block (rev);

-- The current records: one row per key of the MST, pointing at its record block.
CREATE TABLE record (
    uri        TEXT PRIMARY KEY,
    cid        BLOB NOT NULL,
    collection TEXT NOT NULL,
    rkey       TEXT NOT NULL,
    rev        TEXT NOT NULL,
    indexed_at TEXT NOT NULL
);
-- listRecords pages through one collection by rkey, in both directions.
CREATE UNIQUE INDEX record_collection_rkey ON record (collection, rkey);
CREATE INDEX record_cid ON record (cid);

-- Blobs each record references (blob reference counts, listMissingBlobs).
CREATE TABLE record_blob (
    record_uri TEXT NOT NULL,
    blob_cid   TEXT NOT NULL,
    PRIMARY KEY (record_uri, blob_cid)
);
CREATE INDEX record_blob_cid ON record_blob (blob_cid);

-- Subjects of follows, blocks, likes and reposts: createRecord replaces an older record of the
-- same collection with the same subject, as the reference PDS does.
CREATE TABLE backlink (
    uri     TEXT NOT NULL,
    path    TEXT NOT NULL,
    link_to TEXT NOT NULL,
    PRIMARY KEY (uri, path)
);
CREATE INDEX backlink_link_to ON backlink (path, link_to);

-- The sequencer log: one row per firehose event. event is the frame body exactly as sent
-- (DAG-CBOR, seq and time included); the frame header follows from type.
CREATE TABLE seq_event (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    did   TEXT NOT NULL,
    type  TEXT NOT NULL,
    time  TEXT NOT NULL,
    event BLOB NOT NULL
);
