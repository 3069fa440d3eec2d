package dev.alteran.pds.blob;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.syntax.Datetime;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.RepoStats;
import dev.alteran.pds.wire.XrpcException;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The account's stored blobs: uploads (streamed, hashed on the way, type-checked against the
 * content, size- and quota-limited) and reads for getBlob, listBlobs and listMissingBlobs. Which
 * records use a blob is {@link BlobReferences}; deleting those none uses, {@link BlobCollector}.
 */
public final class Blobs {
    private final Database db;
    private final BlobStore store;
    private final List<String> allowedMime;
    private final long maxBlobSize;
    private final long quotaBytes;
    private final Clock clock;
    /** CIDs between their row being written and their bytes being in place: the collector leaves them alone. */
    private final Map<String, Integer> inFlight = new ConcurrentHashMap<>();

    public Blobs(Database db, BlobStore store, List<String> allowedMime, long maxBlobSize, long quotaBytes, Clock clock) {
        this.db = db;
        this.store = store;
        this.allowedMime = List.copyOf(allowedMime);
        this.maxBlobSize = maxBlobSize;
        this.quotaBytes = quotaBytes;
        this.clock = clock;
    }

    public BlobStore store() {
        return store;
    }

    /** Whether an upload of {@code cid} is between writing its row and putting its bytes in place. */
    boolean isFinishing(String cid) {
        return inFlight.containsKey(cid);
    }

    // ---- upload ----

    /**
     * Stores an uploaded blob: streams {@code body} to a temporary object while hashing and counting
     * it, then records it and moves it under its CID. Refused (400, nothing left behind) when its type
     * is not allowed or its content is not what it claims ({@code InvalidMimeType}), when it is larger
     * than the limit ({@code BlobTooLarge}), or when it would exceed the quota ({@code BlobQuotaExceeded}).
     *
     * @param contentType   the request's Content-Type (may be null: the type is then taken from the content)
     * @param contentLength the request's Content-Length, or -1 when unknown
     */
    public BlobRef upload(InputStream body, String contentType, long contentLength) throws IOException {
        var declared = MimeTypes.declared(contentType);
        if (declared != null && !MimeTypes.isAllowed(declared, allowedMime)) {
            throw invalidMime("Blobs of type " + declared + " are not accepted here");
        }
        if (contentLength > maxBlobSize) throw tooLarge();
        // The quota is checked once the CID is known: bytes already stored (a retried upload) cost nothing.

        var digest = sha256();
        var upload = new UploadStream(body, maxBlobSize, digest);
        var head = upload.readNBytes(MimeTypes.HEAD_BYTES);
        var mime = effectiveType(declared, MimeTypes.detect(head));
        var temp = store.putTemp(new SequenceInputStream(new ByteArrayInputStream(head), upload));
        try {
            var cid = Cid.ofSha256Digest(Cid.RAW, digest.digest());
            long size = upload.count;
            var key = cid.toString();
            inFlight.merge(key, 1, Integer::sum);
            try {
                var stored = db.write(c -> record(c, key, mime, size));
                try {
                    store.promote(temp, key);
                } catch (IOException | RuntimeException e) {
                    if (stored.inserted()) forgetUnstored(key, e);
                    throw e;
                }
                return new BlobRef(cid, stored.mime(), size);
            } finally {
                inFlight.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
            }
        } finally {
            store.deleteTemp(temp);
        }
    }

    /**
     * What the blob is stored as. A declared type we can recognize must match the content's family
     * (image or video) and the content's exact type is kept (as the reference PDS keeps the sniffed
     * type); other declared types are taken as given; with none declared the content decides.
     */
    private String effectiveType(String declared, String detected) {
        String type;
        if (declared == null) {
            if (detected == null) throw invalidMime("Could not tell the blob's type from its content; send a Content-Type");
            type = detected;
        } else if (MimeTypes.SNIFFABLE.contains(declared)) {
            if (detected == null || !MimeTypes.sameFamily(declared, detected)) {
                throw invalidMime("The blob's content is not " + declared);
            }
            type = detected;
        } else {
            type = declared;
        }
        if (!MimeTypes.isAllowed(type, allowedMime)) throw invalidMime("Blobs of type " + type + " are not accepted here");
        return type;
    }

    /**
     * A row this upload wrote whose bytes did not arrive (a full disk, the store unreachable): removed
     * again, unless the bytes are there after all (a concurrent upload of the same content) or a record
     * already uses it. Should the removal fail too, the row is unreferenced and garbage collection takes it.
     */
    private void forgetUnstored(String key, Exception cause) {
        try {
            if (store.exists(key)) return;
            db.write(c -> {
                try (var st = c.prepareStatement("DELETE FROM blob WHERE cid = ? AND NOT EXISTS (SELECT 1 FROM record_blob WHERE blob_cid = ?)")) {
                    st.setString(1, key);
                    st.setString(2, key);
                    return st.executeUpdate();
                }
            });
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    /** The row's type, and whether this upload inserted it. */
    private record Recorded(String mime, boolean inserted) {}

    /** Inserts or refreshes the row (under the quota); returns the type the blob is stored as. */
    private Recorded record(Connection c, String cid, String mime, long size) throws SQLException {
        var now = Datetime.format(clock.instant());
        String existing = null;
        try (var st = c.prepareStatement("SELECT mime_type FROM blob WHERE cid = ?")) {
            st.setString(1, cid);
            try (var rs = st.executeQuery()) {
                if (rs.next()) existing = rs.getString(1);
            }
        }
        if (existing != null) {
            // Uploaded again while unreferenced: the grace period starts over.
            try (var st = c.prepareStatement("UPDATE blob SET unreferenced_since = ? WHERE cid = ? AND unreferenced_since IS NOT NULL")) {
                st.setString(1, now);
                st.setString(2, cid);
                st.executeUpdate();
            }
            return new Recorded(existing, false);
        }
        checkQuota(usedBytes(c), size);
        // Records may already reference it (a repository imported before its blobs): then it is in use at once.
        try (var st = c.prepareStatement("""
                INSERT INTO blob (cid, mime_type, size, created_at, unreferenced_since)
                VALUES (?, ?, ?, ?, CASE WHEN EXISTS (SELECT 1 FROM record_blob WHERE blob_cid = ?) THEN NULL ELSE ? END)""")) {
            st.setString(1, cid);
            st.setString(2, mime);
            st.setLong(3, size);
            st.setString(4, now);
            st.setString(5, cid);
            st.setString(6, now);
            st.executeUpdate();
        }
        return new Recorded(mime, true);
    }

    private void checkQuota(long used, long adding) {
        if (used + adding > quotaBytes) {
            throw XrpcException.badRequest("BlobQuotaExceeded", "Blob storage quota exceeded: " + used + " of "
                    + quotaBytes + " bytes in use, this blob needs " + adding + " more");
        }
    }

    /** Bytes of all stored blobs, referenced or not: what the quota counts. */
    public long usedBytes() {
        return db.read(Blobs::usedBytes);
    }

    private static long usedBytes(Connection c) throws SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT COALESCE(SUM(size), 0) FROM blob")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private XrpcException tooLarge() {
        return XrpcException.badRequest("BlobTooLarge", "This blob is larger than the maximum size of " + maxBlobSize + " bytes");
    }

    static XrpcException invalidMime(String message) {
        return XrpcException.badRequest("InvalidMimeType", message);
    }

    // ---- reads ----

    /** A stored blob's metadata. */
    public record Stored(Cid cid, String mimeType, long size, boolean referenced) {}

    public Optional<Stored> find(Cid cid) {
        return db.read(c -> {
            try (var st = c.prepareStatement("SELECT mime_type, size, unreferenced_since IS NULL FROM blob WHERE cid = ?")) {
                st.setString(1, cid.toString());
                try (var rs = st.executeQuery()) {
                    return rs.next() ? Optional.of(new Stored(cid, rs.getString(1), rs.getLong(2), rs.getBoolean(3))) : Optional.empty();
                }
            }
        });
    }

    /** The bytes of a stored blob; empty when the store has none under its CID. */
    public Optional<InputStream> open(Cid cid) throws IOException {
        return store.get(cid.toString());
    }

    /**
     * CIDs of blobs referenced by records, in CID order after {@code cursor}; with {@code since}, only
     * those referenced by records written in a later revision.
     */
    public List<String> listReferenced(String since, String cursor, int limit) {
        var sql = new StringBuilder("SELECT DISTINCT rb.blob_cid FROM record_blob rb");
        if (since != null) sql.append(" JOIN record r ON r.uri = rb.record_uri AND r.rev > ?");
        if (cursor != null) sql.append(" WHERE rb.blob_cid > ?");
        sql.append(" ORDER BY rb.blob_cid LIMIT ?");
        return db.read(c -> {
            try (var st = c.prepareStatement(sql.toString())) {
                int i = 1;
                if (since != null) st.setString(i++, since);
                if (cursor != null) st.setString(i++, cursor);
                st.setInt(i, limit);
                try (var rs = st.executeQuery()) {
                    var out = new ArrayList<String>();
                    while (rs.next()) out.add(rs.getString(1));
                    return out;
                }
            }
        });
    }

    /** A blob some record references that is not stored here, with one record using it. */
    public record Missing(String cid, String recordUri) {}

    /**
     * Blobs records reference but this PDS does not have (after an import, until they are uploaded),
     * in CID order after {@code cursor}: {@code com.atproto.repo.listMissingBlobs}.
     */
    public List<Missing> listMissing(String cursor, int limit) {
        return db.read(c -> {
            try (var st = c.prepareStatement("""
                    SELECT blob_cid, MIN(record_uri) FROM record_blob
                    WHERE blob_cid > ? AND NOT EXISTS (SELECT 1 FROM blob WHERE blob.cid = record_blob.blob_cid)
                    GROUP BY blob_cid ORDER BY blob_cid LIMIT ?""")) {
                st.setString(1, cursor == null ? "" : cursor);
                st.setInt(2, limit);
                var out = new ArrayList<Missing>();
                try (var rs = st.executeQuery()) {
                    while (rs.next()) out.add(new Missing(rs.getString(1), rs.getString(2)));
                }
                return out;
            }
        });
    }

    /** The quota {@link #usedBytes()} is held to. */
    public long quotaBytes() {
        return quotaBytes;
    }

    /** How many blobs are stored and their bytes (referenced or not). */
    public record Totals(long count, long bytes) {}

    public Totals totals() {
        return db.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM blob")) {
                rs.next();
                return new Totals(rs.getLong(1), rs.getLong(2));
            }
        });
    }

    /** Bytes of the stored blobs by the UTC day they were uploaded, oldest first. */
    public List<RepoStats.DayValue> bytesPerDay() {
        return db.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT SUBSTR(created_at, 1, 10) AS day, SUM(size) FROM blob"
                    + " GROUP BY SUBSTR(created_at, 1, 10) ORDER BY day")) {
                var out = new ArrayList<RepoStats.DayValue>();
                while (rs.next()) out.add(new RepoStats.DayValue(rs.getString(1), rs.getLong(2)));
                return out;
            }
        });
    }

    /** Stored blobs in CID order after {@code cursor} (null: from the start), at most {@code limit}: for paging through all of them. */
    public List<Stored> listStored(String cursor, int limit) {
        return db.read(c -> {
            try (var st = c.prepareStatement("SELECT cid, mime_type, size, unreferenced_since IS NULL FROM blob WHERE cid > ? ORDER BY cid LIMIT ?")) {
                st.setString(1, cursor == null ? "" : cursor);
                st.setInt(2, limit);
                var out = new ArrayList<Stored>();
                try (var rs = st.executeQuery()) {
                    while (rs.next()) out.add(new Stored(Cid.parse(rs.getString(1)), rs.getString(2), rs.getLong(3), rs.getBoolean(4)));
                }
                return out;
            }
        });
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The request body on its way to the store: hashed and counted as it passes, refused past the
     * size limit, and a client that stops sending mid-body is a 400 rather than a server error.
     */
    private final class UploadStream extends FilterInputStream {
        private final long limit;
        private final MessageDigest digest;
        long count;

        UploadStream(InputStream in, long limit, MessageDigest digest) {
            super(in);
            this.limit = limit;
            this.digest = digest;
        }

        @Override
        public int read() throws IOException {
            var one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            int n;
            try {
                n = in.read(b, off, len);
            } catch (IOException e) {
                throw XrpcException.invalidRequest("The request body could not be read to its end");
            }
            if (n > 0) {
                count += n;
                if (count > limit) throw tooLarge();
                digest.update(b, off, n);
            }
            return n;
        }

        @Override
        public long skip(long n) {
            throw new UnsupportedOperationException("every byte of an upload is hashed");
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }
}
