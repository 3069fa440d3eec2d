package dev.alteran.pds.store;

import dev.alteran.atproto.data.Cid;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * One read snapshot of the repository's tables, for the sync exports that stream to the client
 * while they read: a commit landing meanwhile is not half in the export, and the snapshot has a
 * connection of its own ({@link Database#readSnapshot}), so a slow client holds no pooled one.
 */
public final class RepoSnapshot {
    /** What runs on the snapshot, writing its output as it reads. */
    @FunctionalInterface
    public interface Work<T> {
        T run(RepoSnapshot snapshot) throws SQLException, IOException;
    }

    /** Takes blocks as they are read. */
    @FunctionalInterface
    public interface BlockSink {
        void accept(Cid cid, byte[] bytes) throws IOException;
    }

    /** Takes records, with their blocks, as they are read. */
    @FunctionalInterface
    public interface RecordSink {
        void accept(String uri, Cid cid, byte[] bytes) throws IOException;
    }

    private final Connection c;
    private final String did;

    private RepoSnapshot(Connection c, String did) {
        this.c = c;
        this.did = did;
    }

    /** Runs {@code work} on a snapshot of {@code did}'s repository; a failure to write its output is an {@link UncheckedIOException}. */
    public static <T> T read(Database db, String did, Work<T> work) {
        return db.readSnapshot(c -> {
            try {
                return work.run(new RepoSnapshot(c, did));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** The head commit, or null when the repository does not exist. */
    public RepoRoot root() throws SQLException {
        var root = RepoRoot.read(c);
        return root != null && root.did().equals(did) ? root : null;
    }

    public boolean has(Cid cid) throws SQLException {
        try (var st = c.prepareStatement("SELECT 1 FROM repo_block WHERE cid = ?")) {
            st.setBytes(1, cid.bytes());
            try (var rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** A block's bytes, or null when the repository does not hold it. */
    public byte[] block(Cid cid) throws SQLException {
        return SqlBlockSource.read(c, cid);
    }

    /** Every block but {@code except} (only those written after revision {@code since}, when given), newest revision first. */
    public void blocks(Cid except, String since, BlockSink sink) throws SQLException, IOException {
        var sql = "SELECT cid, content FROM repo_block WHERE cid != ?" + (since == null ? "" : " AND rev > ?") + " ORDER BY rev DESC";
        try (var st = c.prepareStatement(sql)) {
            st.setBytes(1, except.bytes());
            if (since != null) st.setString(2, since);
            try (var rs = st.executeQuery()) {
                while (rs.next()) sink.accept(Cid.fromBytes(rs.getBytes(1)), rs.getBytes(2));
            }
        }
    }

    /** Every record with its block, in collection and record key order. */
    public void records(RecordSink sink) throws SQLException, IOException {
        try (var st = c.prepareStatement("""
                SELECT r.uri, r.cid, b.content FROM record r JOIN repo_block b ON b.cid = r.cid
                ORDER BY r.collection, r.rkey""");
             var rs = st.executeQuery()) {
            while (rs.next()) sink.accept(rs.getString(1), Cid.fromBytes(rs.getBytes(2)), rs.getBytes(3));
        }
    }
}
