package dev.alteran.pds.blob;

import dev.alteran.atproto.syntax.Datetime;
import dev.alteran.pds.store.Database;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Garbage collection of blobs: deletes those no record has used for longer than a grace period
 * (see {@link BlobReferences}), so an upload always has that long to be used by a record, and the
 * temporary files of uploads a crash abandoned.
 */
public final class BlobCollector {
    private static final Logger log = LoggerFactory.getLogger(BlobCollector.class);
    /** How long an unreferenced blob is kept: time for a client to upload, then write its record. */
    public static final Duration DEFAULT_GRACE = Duration.ofHours(1);
    /** Temporary upload files older than this are leftovers of a crash (a live upload keeps writing its file). */
    static final Duration ABANDONED_UPLOAD_AGE = Duration.ofHours(1);
    private static final int GC_BATCH = 100;

    private final Database db;
    private final Blobs blobs;
    private final BlobStore store;
    private final Clock clock;

    /** {@code blobs}: the uploads of this process, whose blobs are left alone while their bytes are still on their way. */
    public BlobCollector(Database db, Blobs blobs, Clock clock) {
        this.db = db;
        this.blobs = blobs;
        this.store = blobs.store();
        this.clock = clock;
    }

    /** What a collection removed. */
    public record GcResult(int deletedBlobs, long deletedBytes, int abandonedUploads) {}

    /** {@link #collectGarbage(Duration)} with {@link #DEFAULT_GRACE}. */
    public GcResult collectGarbage() {
        return collectGarbage(DEFAULT_GRACE);
    }

    /**
     * Deletes blobs that no record has referenced for longer than {@code grace} (from the table and
     * the store), and temporary files of uploads abandoned by a crash. Safe while uploads run: a blob
     * uploaded or released within the grace period is kept, and so is one whose upload is still
     * finishing in this process. Each batch deletes bytes and rows in one write transaction, so an
     * upload of the same bytes waits and then stores them anew.
     */
    public GcResult collectGarbage(Duration grace) {
        var now = clock.instant();
        var nowText = Datetime.format(now);
        var cutoff = Datetime.format(now.minus(grace));
        db.write(c -> {
            // Repair the reference state if a record write bypassed onRecordWritten/onRecordDeleted.
            try (var st = c.prepareStatement("""
                    UPDATE blob SET unreferenced_since = ?
                    WHERE unreferenced_since IS NULL AND NOT EXISTS (SELECT 1 FROM record_blob WHERE blob_cid = blob.cid)""")) {
                st.setString(1, nowText);
                st.executeUpdate();
            }
            try (var st = c.createStatement()) {
                st.executeUpdate("""
                        UPDATE blob SET unreferenced_since = NULL
                        WHERE unreferenced_since IS NOT NULL AND EXISTS (SELECT 1 FROM record_blob WHERE blob_cid = blob.cid)""");
            }
            return null;
        });
        int deleted = 0;
        long bytes = 0;
        var after = "";
        while (true) {
            var batch = collectBatch(cutoff, after);
            deleted += batch.deleted;
            bytes += batch.bytes;
            if (batch.last == null) break;
            after = batch.last;
        }
        int abandoned;
        try {
            abandoned = store.purgeTemp(ABANDONED_UPLOAD_AGE);
        } catch (IOException e) {
            log.warn("could not purge abandoned uploads", e);
            abandoned = 0;
        }
        if (deleted > 0 || abandoned > 0) {
            log.info("blob gc: deleted {} blobs ({} bytes), {} abandoned uploads", deleted, bytes, abandoned);
        }
        return new GcResult(deleted, bytes, abandoned);
    }

    private record Batch(int deleted, long bytes, String last) {}

    private Batch collectBatch(String cutoff, String after) {
        return db.write(c -> {
            var candidates = new LinkedHashMap<String, Long>();
            try (var st = c.prepareStatement("""
                    SELECT cid, size FROM blob
                    WHERE unreferenced_since IS NOT NULL AND unreferenced_since <= ? AND cid > ?
                      AND NOT EXISTS (SELECT 1 FROM record_blob WHERE blob_cid = blob.cid)
                    ORDER BY cid LIMIT ?""")) {
                st.setString(1, cutoff);
                st.setString(2, after);
                st.setInt(3, GC_BATCH);
                try (var rs = st.executeQuery()) {
                    while (rs.next()) candidates.put(rs.getString(1), rs.getLong(2));
                }
            }
            int deleted = 0;
            long bytes = 0;
            String last = null;
            for (var e : candidates.entrySet()) {
                last = e.getKey();
                if (blobs.isFinishing(e.getKey())) continue;
                try {
                    store.delete(e.getKey());
                } catch (IOException ex) {
                    log.warn("blob gc: could not delete {} from the store; kept for the next run", e.getKey(), ex);
                    continue;
                }
                try (var st = c.prepareStatement("DELETE FROM blob WHERE cid = ?")) {
                    st.setString(1, e.getKey());
                    st.executeUpdate();
                }
                deleted++;
                bytes += e.getValue();
            }
            return new Batch(deleted, bytes, candidates.size() < GC_BATCH ? null : last);
        });
    }
}
