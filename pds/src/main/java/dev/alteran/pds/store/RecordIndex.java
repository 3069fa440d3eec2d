package dev.alteran.pds.store;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.syntax.AtUri;
import dev.alteran.atproto.syntax.Did;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code record}, {@code record_blob} and {@code backlink} tables: which records the repository
 * holds now, the blobs they use, the subjects they point at. Written in the commit transaction by
 * {@link RepoStore}; read from the read pool.
 */
public final class RecordIndex {
    private final Database db;
    private final String did;

    /**
     * Batched getRecord queries in flight at once (each on its own connection). Measured under the
     * benchmark's 16 readers: 2, 4 and 8 all beat unbatched reads by 25-40%; 4 was steadiest.
     */
    private static final int LOOKUP_DRAINERS = 4;

    private final BatchedLookups<String, StoredRecord> lookups;

    public RecordIndex(Database db, String did) {
        this.db = db;
        this.did = did;
        this.lookups = db.dialect().batchesLookups() ? new BatchedLookups<>(this::getAll, LOOKUP_DRAINERS) : null;
    }

    public String uri(String collection, String rkey) {
        return "at://" + did + "/" + collection + "/" + rkey;
    }

    // ---- reads ----

    /** The current record at collection/rkey, or null; with {@code cid} set, only if it is that version. */
    public StoredRecord get(String collection, String rkey, Cid cid) {
        var uri = uri(collection, rkey);
        var record = lookups != null ? lookups.get(uri) : db.read(c -> {
            var st = db.statement(c, "SELECT r.cid, b.content FROM record r JOIN repo_block b ON b.cid = r.cid WHERE r.uri = ?");
            st.setString(1, uri);
            try (var rs = st.executeQuery()) {
                return rs.next() ? new StoredRecord(uri, Cid.fromBytes(rs.getBytes(1)), rs.getBytes(2)) : null;
            }
        });
        return record == null || cid != null && !cid.equals(record.cid()) ? null : record;
    }

    /** PostgreSQL: the current records of several URIs in one round trip ({@link BatchedLookups}). */
    private Map<String, StoredRecord> getAll(List<String> uris) {
        return db.read(c -> {
            var st = db.statement(c, "SELECT r.uri, r.cid, b.content FROM record r JOIN repo_block b ON b.cid = r.cid WHERE r.uri = ANY(?)");
            st.setArray(1, c.createArrayOf("text", uris.toArray()));
            var out = new HashMap<String, StoredRecord>(uris.size() * 2);
            try (var rs = st.executeQuery()) {
                while (rs.next()) out.put(rs.getString(1), new StoredRecord(rs.getString(1), Cid.fromBytes(rs.getBytes(2)), rs.getBytes(3)));
            }
            return out;
        });
    }

    /**
     * One page of a collection by record key: descending (newest TID first) by default, ascending when
     * {@code reverse}; {@code cursor} is the last rkey of the previous page (exclusive).
     */
    public List<StoredRecord> list(String collection, int limit, String cursor, boolean reverse) {
        var sql = "SELECT r.uri, r.cid, b.content FROM record r JOIN repo_block b ON b.cid = r.cid WHERE r.collection = ?"
                + (cursor == null ? "" : reverse ? " AND r.rkey > ?" : " AND r.rkey < ?")
                + " ORDER BY r.rkey " + (reverse ? "ASC" : "DESC") + " LIMIT ?";
        return db.read(c -> {
            var st = db.statement(c, sql);
            int i = 1;
            st.setString(i++, collection);
            if (cursor != null) st.setString(i++, cursor);
            st.setInt(i, limit);
            var out = new ArrayList<StoredRecord>(Math.min(limit, 100));
            try (var rs = st.executeQuery()) {
                while (rs.next()) out.add(new StoredRecord(rs.getString(1), Cid.fromBytes(rs.getBytes(2)), rs.getBytes(3)));
            }
            return out;
        });
    }

    /** Every collection holding at least one record, sorted. */
    public List<String> collections() {
        return db.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT DISTINCT collection FROM record ORDER BY collection")) {
                var out = new ArrayList<String>();
                while (rs.next()) out.add(rs.getString(1));
                return out;
            }
        });
    }

    public long count() {
        return db.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*) FROM record")) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    /** Blob CIDs (strings) referenced by the record at {@code uri}. */
    public List<String> blobsOf(String uri) {
        return db.read(c -> {
            try (var st = c.prepareStatement("SELECT blob_cid FROM record_blob WHERE record_uri = ? ORDER BY blob_cid")) {
                st.setString(1, uri);
                var out = new ArrayList<String>();
                try (var rs = st.executeQuery()) {
                    while (rs.next()) out.add(rs.getString(1));
                }
                return out;
            }
        });
    }

    /** A record with the commit that wrote it and when: what read-after-write merges into AppView answers. */
    public record Written(StoredRecord record, String rev, String indexedAt) {}

    /**
     * The current records written by commits after {@code rev}, oldest first, at most {@code limit}.
     * Empty when no current record is as old as {@code rev}: then the rev does not come from this
     * repository's history (an AppView that knew an earlier copy of the account), and nothing is "newer".
     */
    public List<Written> writtenAfter(String rev, int limit) {
        return db.read(c -> {
            var out = new ArrayList<Written>();
            try (var st = c.prepareStatement("SELECT r.uri, r.cid, b.content, r.rev, r.indexed_at FROM record r"
                    + " JOIN repo_block b ON b.cid = r.cid WHERE r.rev > ? ORDER BY r.rev ASC LIMIT ?")) {
                st.setString(1, rev);
                st.setInt(2, limit);
                try (var rs = st.executeQuery()) {
                    while (rs.next()) {
                        var record = new StoredRecord(rs.getString(1), Cid.fromBytes(rs.getBytes(2)), rs.getBytes(3));
                        out.add(new Written(record, rs.getString(4), rs.getString(5)));
                    }
                }
            }
            if (out.isEmpty()) return out;
            try (var st = c.prepareStatement("SELECT 1 FROM record WHERE rev <= ? LIMIT 1")) {
                st.setString(1, rev);
                try (var rs = st.executeQuery()) {
                    return rs.next() ? out : List.<Written>of();
                }
            }
        });
    }

    /**
     * Record keys in {@code collection} whose record points at the same subject as {@code record}
     * (follows and blocks by subject DID, likes and reposts by subject URI), read on the writer.
     */
    public List<String> backlinkConflicts(Connection c, String collection, Map<String, Object> record) throws SQLException {
        var out = new ArrayList<String>();
        for (var link : backlinks(record)) {
            try (var st = c.prepareStatement(
                    "SELECT r.rkey FROM record r JOIN backlink l ON l.uri = r.uri WHERE l.path = ? AND l.link_to = ? AND r.collection = ?")) {
                st.setString(1, link.path());
                st.setString(2, link.linkTo());
                st.setString(3, collection);
                try (var rs = st.executeQuery()) {
                    while (rs.next()) out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    // ---- writes, on the writer connection inside the commit transaction ----

    private static final String DELETE_BLOBS = "DELETE FROM record_blob WHERE record_uri = ?";
    private static final String DELETE_LINKS = "DELETE FROM backlink WHERE uri = ?";
    private static final String DELETE = "DELETE FROM record WHERE uri = ?";
    private static final String UPSERT = "INSERT INTO record (uri, cid, collection, rkey, rev, indexed_at) VALUES (?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (uri) DO UPDATE SET cid = excluded.cid, rev = excluded.rev, indexed_at = excluded.indexed_at";
    private static final String INSERT_BLOB = "INSERT INTO record_blob (record_uri, blob_cid) VALUES (?, ?) ON CONFLICT DO NOTHING";
    private static final String INSERT_LINK = "INSERT INTO backlink (uri, path, link_to) VALUES (?, ?, ?) ON CONFLICT DO NOTHING";

    /**
     * Applies the row changes of one commit's writes. Only the last write to each key counts (a batch
     * may create and delete the same key), so every key is touched once.
     */
    void apply(Connection c, List<PreparedWrite> writes, String rev, String now) throws SQLException {
        var pending = new PendingWrites(db, c);
        apply(pending, writes, rev, now);
        pending.send();
    }

    /**
     * Adds the row changes of one commit's writes to its transaction's {@code pending} writes (see above):
     * every key's deletes before any insert, and each kind of statement together, so that a long list
     * (an import's thousand records) goes as one batch per kind.
     */
    void apply(PendingWrites pending, List<PreparedWrite> writes, String rev, String now) {
        var last = new java.util.LinkedHashMap<String, PreparedWrite>();
        var rewritten = new java.util.HashSet<String>();
        for (var w : writes) {
            if (last.put(w.key(), w) != null) rewritten.add(w.key());
        }
        var byKind = new java.util.LinkedHashMap<String, List<Object[]>>(); // in the order they run
        for (var sql : List.of(DELETE_BLOBS, DELETE_LINKS, DELETE, UPSERT, INSERT_BLOB, INSERT_LINK)) byKind.put(sql, new ArrayList<>());
        for (var w : last.values()) {
            var uri = uri(w.collection(), w.rkey());
            PreparedRecord record = switch (w) {
                case PreparedWrite.Create cr -> cr.record();
                case PreparedWrite.Update u -> u.record();
                case PreparedWrite.Delete d -> null;
            };
            if (!(w instanceof PreparedWrite.Create) || rewritten.contains(w.key())) {
                byKind.get(DELETE_BLOBS).add(new Object[] {uri});
                byKind.get(DELETE_LINKS).add(new Object[] {uri});
            }
            if (record == null) {
                byKind.get(DELETE).add(new Object[] {uri});
                continue;
            }
            byKind.get(UPSERT).add(new Object[] {uri, record.cid().bytes(), w.collection(), w.rkey(), rev, now});
            for (var blob : record.blobs()) byKind.get(INSERT_BLOB).add(new Object[] {uri, blob.toString()});
            for (var link : backlinks(record.value())) byKind.get(INSERT_LINK).add(new Object[] {uri, link.path(), link.linkTo()});
        }
        byKind.forEach((sql, rows) -> rows.forEach(params -> pending.add(sql, params)));
    }

    record Backlink(String path, String linkTo) {}

    /** The subject links the reference PDS tracks: follows/blocks by DID, likes/reposts by AT-URI. */
    static List<Backlink> backlinks(Map<String, Object> record) {
        var type = record.get("$type");
        var subject = record.get("subject");
        if ("app.bsky.graph.follow".equals(type) || "app.bsky.graph.block".equals(type)) {
            if (subject instanceof String s && Did.isValid(s)) return List.of(new Backlink("subject", s));
        } else if ("app.bsky.feed.like".equals(type) || "app.bsky.feed.repost".equals(type)) {
            if (subject instanceof Map<?, ?> m && m.get("uri") instanceof String u && AtUri.isValid(u)) {
                return List.of(new Backlink("subject.uri", u));
            }
        }
        return List.of();
    }
}
