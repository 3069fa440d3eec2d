-- Uploaded blobs. The bytes live in the blob store under the CID string; this is what is known of
-- them. Times are canonical atproto datetimes (fixed width, so they compare as text).

CREATE TABLE blob (
    cid                TEXT COLLATE "C" PRIMARY KEY,
    mime_type          TEXT COLLATE "C" NOT NULL,
    size               BIGINT NOT NULL,
    created_at         TEXT COLLATE "C" NOT NULL,
    -- NULL while some record references the blob; otherwise since when none does (from the upload,
    -- or from the deletion of the last record using it). Garbage collection removes blobs that stay
    -- unreferenced longer than its grace period.
    unreferenced_since TEXT COLLATE "C"
);
CREATE INDEX blob_unreferenced_since ON blob (unreferenced_since) WHERE unreferenced_since IS NOT NULL;

-- The blobs each record references. Created by the repository migration (V1) with exactly this
-- shape; repeated here so that the blob tables stand on their own.
CREATE TABLE IF NOT EXISTS record_blob (
    record_uri TEXT COLLATE "C" NOT NULL,
    blob_cid   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (record_uri, blob_cid)
);
CREATE INDEX IF NOT EXISTS record_blob_cid ON record_blob (blob_cid);

-- A blob is referenced exactly while record_blob has a row for it. These keep unreferenced_since in
-- step with the rows, whichever code writes them (the record index, imports, repairs). The time is
-- in the canonical datetime form (UTC, milliseconds, "Z"), as the application writes it.
CREATE FUNCTION record_blob_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE blob SET unreferenced_since = NULL WHERE cid = NEW.blob_cid AND unreferenced_since IS NOT NULL;
    RETURN NULL;
END;
$$;

CREATE TRIGGER record_blob_added AFTER INSERT ON record_blob
FOR EACH ROW EXECUTE FUNCTION record_blob_added();

CREATE FUNCTION record_blob_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM record_blob WHERE blob_cid = OLD.blob_cid) THEN
        UPDATE blob SET unreferenced_since = to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
        WHERE cid = OLD.blob_cid AND unreferenced_since IS NULL;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER record_blob_removed AFTER DELETE ON record_blob
FOR EACH ROW EXECUTE FUNCTION record_blob_removed();
