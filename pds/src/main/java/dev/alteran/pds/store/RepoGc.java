package dev.alteran.pds.store;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.repo.Commit;
import dev.alteran.atproto.repo.RepoException;
import dev.alteran.atproto.repo.RepoWalk;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Removes stored blocks the head no longer reaches. The write path already drops the nodes and records
 * each commit replaces; this finds whatever is left over (a crash between versions, an older release,
 * a repair). One write transaction: the live tree is walked (nodes only; record CIDs come from the
 * leaves), its CIDs are kept in a temporary table, and every other block is deleted. Safe beside a
 * running server: its commits wait for the transaction and the head cannot move during it. A damaged
 * tree (a node missing or broken) stops it before anything is deleted.
 */
public final class RepoGc {
    private static final int BATCH = 1000;

    private RepoGc() {}

    /** What was (or, in a dry run, would be) removed, and what is kept. */
    public record Result(long deletedBlocks, long deletedBytes, long keptBlocks) {}

    public static Result collect(Database db, boolean dryRun, Progress progress) {
        return db.write(c -> {
            try {
                return collect(c, dryRun, progress);
            } finally {
                Dialect.dropTempTable(c, "gc_keep");
            }
        });
    }

    private static Result collect(Connection c, boolean dryRun, Progress progress) throws SQLException {
        var root = RepoRoot.read(c);
        if (root == null) return new Result(0, 0, 0);
        long totalRecords = RepoRoot.count(c, "record");
        try (var st = c.createStatement()) {
            st.executeUpdate("CREATE TEMP TABLE IF NOT EXISTS gc_keep (cid " + Dialect.of(c).blobType() + " PRIMARY KEY)");
            st.executeUpdate("DELETE FROM gc_keep");
        }
        try (var keep = c.prepareStatement("INSERT INTO gc_keep (cid) VALUES (?) ON CONFLICT DO NOTHING");
             var source = new ConnectionBlocks(c, "repo_block")) {
            var marker = new Marker(keep, progress, totalRecords);
            try {
                RepoWalk.walk(source, root.cid(), null, null, false, marker);
            } catch (RepoException e) {
                throw new IllegalStateException("the repository is damaged (" + e.getMessage()
                        + "); nothing was deleted: run `alteran verify`");
            } catch (StoreException e) {
                if (e.getCause() instanceof SQLException sql) throw sql;
                throw e;
            }
            marker.flush();
        }
        long deleted, bytes, kept;
        var orphans = " FROM repo_block WHERE cid NOT IN (SELECT cid FROM gc_keep)";
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*), COALESCE(SUM(size), 0)" + orphans)) {
            rs.next();
            deleted = rs.getLong(1);
            bytes = rs.getLong(2);
        }
        kept = RepoRoot.count(c, "repo_block") - deleted;
        if (!dryRun && deleted > 0) {
            try (var st = c.createStatement()) {
                st.executeUpdate("DELETE" + orphans);
            }
        }
        return new Result(deleted, bytes, kept);
    }

    /** Batches the walked CIDs into the keep table. */
    private static final class Marker implements RepoWalk.Visitor {
        private final PreparedStatement keep;
        private final Progress progress;
        private final long totalRecords;
        private int pending;
        private long records;

        Marker(PreparedStatement keep, Progress progress, long totalRecords) {
            this.keep = keep;
            this.progress = progress;
            this.totalRecords = totalRecords;
        }

        @Override
        public void commit(Cid cid, byte[] bytes, Commit commit) {
            add(cid);
        }

        @Override
        public void node(Cid cid, byte[] bytes) {
            add(cid);
        }

        @Override
        public void record(String key, Cid cid, byte[] bytes) {
            add(cid);
            if (++records % 1000 == 0) progress.update("gc", records, totalRecords);
        }

        private void add(Cid cid) {
            try {
                keep.setBytes(1, cid.bytes());
                keep.addBatch();
                if (++pending == BATCH) flush();
            } catch (SQLException e) {
                throw new StoreException(e);
            }
        }

        void flush() throws SQLException {
            if (pending > 0) keep.executeBatch();
            pending = 0;
            progress.update("gc", records, totalRecords);
        }
    }
}
