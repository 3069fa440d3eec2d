package dev.alteran.pds.blob;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.repo.CommitData;
import dev.alteran.pds.store.PreparedRecord;
import dev.alteran.pds.store.PreparedWrite;
import dev.alteran.pds.store.RepoStore;
import dev.alteran.pds.wire.XrpcException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which records use which blob, inside the write transaction of the record: {@code record_blob} rows,
 * each checked against an uploaded blob. A blob is born unreferenced ({@link Blobs#upload}) and stays
 * so until a record references it; when the last record using it goes (deleted, or updated without
 * it) it is unreferenced again, and {@link BlobCollector} deletes it after a grace period. Triggers on
 * {@code record_blob} (V4) keep each blob's {@code unreferenced_since} in step, whoever writes the rows.
 */
public final class BlobReferences {
    private BlobReferences() {}

    /**
     * {@link RepoStore.TransactionHook}: every blob a created or updated record references must be an
     * uploaded blob of that type and size, else the whole commit is refused (400 {@code BlobNotFound},
     * {@code InvalidMimeType}, {@code InvalidSize}). The record index has written the record_blob rows
     * already, which made those blobs referenced.
     */
    public static void beforeCommit(Connection c, List<PreparedWrite> writes, CommitData commit) throws SQLException {
        for (var w : writes) {
            PreparedRecord record = switch (w) {
                case PreparedWrite.Create cr -> cr.record();
                case PreparedWrite.Update u -> u.record();
                case PreparedWrite.Delete d -> null;
            };
            if (record != null && !record.blobs().isEmpty()) {
                for (var ref : findBlobRefs(record.value())) verify(c, ref);
            }
        }
    }

    /**
     * For a record written outside {@link RepoStore}: checks its blob references as
     * {@link #beforeCommit} does and makes them the record's only ones.
     */
    public static void onRecordWritten(Connection c, String uri, Collection<BlobRef> refs) throws SQLException {
        var wanted = new LinkedHashMap<String, BlobRef>();
        for (var ref : refs) wanted.putIfAbsent(ref.ref().toString(), ref);
        for (var ref : wanted.values()) verify(c, ref);
        for (var cid : blobsOf(c, uri)) {
            if (wanted.containsKey(cid)) continue;
            try (var st = c.prepareStatement("DELETE FROM record_blob WHERE record_uri = ? AND blob_cid = ?")) {
                st.setString(1, uri);
                st.setString(2, cid);
                st.executeUpdate();
            }
        }
        for (var cid : wanted.keySet()) {
            try (var st = c.prepareStatement("INSERT INTO record_blob (record_uri, blob_cid) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
                st.setString(1, uri);
                st.setString(2, cid);
                st.executeUpdate();
            }
        }
    }

    /** For a record deleted outside {@link RepoStore}: it uses no blob any more. */
    public static void onRecordDeleted(Connection c, String uri) throws SQLException {
        try (var st = c.prepareStatement("DELETE FROM record_blob WHERE record_uri = ?")) {
            st.setString(1, uri);
            st.executeUpdate();
        }
    }

    private static void verify(Connection c, BlobRef ref) throws SQLException {
        try (var st = c.prepareStatement("SELECT mime_type, size FROM blob WHERE cid = ?")) {
            st.setString(1, ref.ref().toString());
            try (var rs = st.executeQuery()) {
                if (!rs.next()) throw XrpcException.badRequest("BlobNotFound", "Could not find blob: " + ref.ref());
                var mime = rs.getString(1);
                long size = rs.getLong(2);
                if (!mime.equals(ref.mimeType())) {
                    throw Blobs.invalidMime("Referenced Mimetype does not match stored blob. Expected: " + mime + ", Got: " + ref.mimeType());
                }
                if (size != ref.size()) {
                    throw XrpcException.badRequest("InvalidSize", "Referenced Size does not match stored blob. Expected: " + size + ", Got: " + ref.size());
                }
            }
        }
    }

    private static List<String> blobsOf(Connection c, String uri) throws SQLException {
        try (var st = c.prepareStatement("SELECT blob_cid FROM record_blob WHERE record_uri = ?")) {
            st.setString(1, uri);
            try (var rs = st.executeQuery()) {
                var out = new ArrayList<String>();
                while (rs.next()) out.add(rs.getString(1));
                return out;
            }
        }
    }

    /**
     * The blob references in a record (data model: maps, lists, {@link Cid}s): every
     * {@code {"$type":"blob", ref, mimeType, size}} object, each CID once, in document order.
     * Legacy blob objects ({@code {cid, mimeType}}) carry no size and are not counted.
     */
    public static List<BlobRef> findBlobRefs(Object value) {
        var found = new LinkedHashMap<Cid, BlobRef>();
        walk(value, found, 0);
        return List.copyOf(found.values());
    }

    private static void walk(Object value, Map<Cid, BlobRef> found, int depth) {
        if (depth > 128) throw new IllegalArgumentException("record nested too deeply");
        if (value instanceof Map<?, ?> map) {
            if ("blob".equals(map.get("$type")) && map.get("ref") instanceof Cid cid
                    && map.get("mimeType") instanceof String mime && map.get("size") instanceof Number size) {
                found.putIfAbsent(cid, new BlobRef(cid, mime, size.longValue()));
                return;
            }
            for (var v : map.values()) walk(v, found, depth + 1);
        } else if (value instanceof List<?> list) {
            for (var v : list) walk(v, found, depth + 1);
        }
    }
}
