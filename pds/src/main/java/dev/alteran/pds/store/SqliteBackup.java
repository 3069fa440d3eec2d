package dev.alteran.pds.store;

import dev.alteran.atproto.data.Cid;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.sqlite.SQLiteConfig;

/**
 * The SQLite side of {@code alteran backup} and {@code restore}, all of it here: a consistent copy
 * of the live database taken beside the running server, and what that copy holds. The copy is
 * {@code VACUUM INTO} on a read-only connection of its own: one read transaction, so it is the
 * database as of one commit, while the server's writer goes on (WAL lets readers and the writer run
 * side by side), and it never takes the server's {@link DatabaseLock}.
 */
public final class SqliteBackup {
    /**
     * Left in a restored data directory by {@code alteran restore}; the server's next start announces
     * the restored repository to relays (see {@link AccountStatus#announceRestored}) and removes it.
     */
    public static final String RESTORED_MARKER = "restored-from-backup.json";

    private SqliteBackup() {}

    /** A blob the snapshot's {@code blob} table names: its size, and whether a record uses it. */
    public record BlobRow(String cid, long size, boolean referenced) {}

    /** What a snapshot holds: the head (null for an empty repository), the newest seq, the schema version, the blobs. */
    public record Snapshot(String did, Cid root, String rev, long lastSeq, String schemaVersion, List<BlobRow> blobs) {}

    /** Writes a consistent copy of {@code database} to {@code target}, which must not exist yet. */
    public static void snapshot(Path database, Path target) {
        if (Files.exists(target)) throw new IllegalArgumentException(target + " exists already");
        var cfg = new SQLiteConfig();
        cfg.setReadOnly(true);
        cfg.setBusyTimeout(10_000);
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + database.toAbsolutePath(), cfg.toProperties());
             var st = c.prepareStatement("VACUUM INTO ?")) {
            st.setString(1, target.toAbsolutePath().toString());
            st.execute();
        } catch (SQLException e) {
            throw new StoreException(e);
        }
    }

    /** Reads what the snapshot (or any closed database file) {@code file} holds. */
    public static Snapshot describe(Path file) {
        try (var c = open(file, true)) {
            String did = null, rev = null;
            Cid root = null;
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT did, cid, rev FROM repo_root")) {
                if (rs.next()) {
                    did = rs.getString(1);
                    root = Cid.fromBytes(rs.getBytes(2));
                    rev = rs.getString(3);
                }
            }
            long lastSeq;
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT MAX(seq) FROM seq_event")) {
                lastSeq = rs.next() ? rs.getLong(1) : 0;
            }
            String schema;
            try (var st = c.createStatement(); var rs = st.executeQuery(
                    "SELECT version FROM flyway_schema_history WHERE success = 1 AND version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1")) {
                schema = rs.next() ? rs.getString(1) : null;
            }
            var blobs = new ArrayList<BlobRow>();
            try (var st = c.createStatement(); var rs = st.executeQuery("""
                    SELECT cid, size, EXISTS (SELECT 1 FROM record_blob WHERE blob_cid = blob.cid) FROM blob ORDER BY cid""")) {
                while (rs.next()) blobs.add(new BlobRow(rs.getString(1), rs.getLong(2), rs.getBoolean(3)));
            }
            return new Snapshot(did, root, rev, lastSeq, schema, blobs);
        } catch (SQLException e) {
            throw new StoreException(e);
        }
    }

    /**
     * Removes from the snapshot {@code file} the rows of unreferenced blobs whose bytes were gone by
     * the time the backup copied them (garbage collection deleted them after the snapshot): the
     * snapshot then reads as if that collection had run before it. Returns how many rows went.
     */
    public static int forgetBlobs(Path file, Collection<String> cids) {
        if (cids.isEmpty()) return 0;
        try (var c = open(file, false)) {
            c.setAutoCommit(false);
            int n = 0;
            try (var st = c.prepareStatement("DELETE FROM blob WHERE cid = ? AND NOT EXISTS (SELECT 1 FROM record_blob WHERE blob_cid = ?)")) {
                for (var cid : cids) {
                    st.setString(1, cid);
                    st.setString(2, cid);
                    n += st.executeUpdate();
                }
            }
            c.commit();
            return n;
        } catch (SQLException e) {
            throw new StoreException(e);
        }
    }

    private static Connection open(Path file, boolean readOnly) throws SQLException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("no database at " + file);
        var cfg = new SQLiteConfig();
        cfg.setReadOnly(readOnly);
        return DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), cfg.toProperties());
    }
}
