package dev.alteran.pds.store;

import dev.alteran.atproto.car.CarWriter;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.repo.Commit;
import dev.alteran.atproto.repo.RepoWalk;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashSet;

/**
 * The repository as a CAR file (a backup, or the input of {@code com.atproto.repo.importRepo}
 * elsewhere): the head commit as the root and first block, then every block reachable from it, each
 * MST node before its subtrees and records in key order. Streamed from one read snapshot: a commit
 * landing meanwhile is not half in the file, and nothing is held in memory but the path being walked.
 */
public final class RepoExport {
    private RepoExport() {}

    /** What was written. */
    public record Result(Cid commit, String rev, long blocks, long records, long bytes) {}

    /** Writes the repository stored in {@code db} to {@code out}, flushed and left open: the caller owns it. */
    public static Result writeCar(Database db, OutputStream out, Progress progress) {
        return db.readSnapshot(c -> writeCar(c, out, progress));
    }

    static Result writeCar(Connection c, OutputStream out, Progress progress) throws SQLException {
        var root = RepoRoot.read(c);
        if (root == null) throw new IllegalStateException("there is no repository to export");
        long total = RepoRoot.count(c, "record");
        var counting = new CountingOutputStream(out);
        try (var blocks = new ConnectionBlocks(c, "repo_block")) {
            var car = new CarWriter(counting, root.cid()); // flushed below, never closed: that would close out
            var counts = new long[2];
            var written = new HashSet<Cid>(); // record blocks shared by several keys go out once
            RepoWalk.walk(blocks, root.cid(), null, null, true, new RepoWalk.Visitor() {
                @Override
                public void commit(Cid cid, byte[] bytes, Commit commit) {
                    car.write(cid, bytes);
                    counts[0]++;
                }

                @Override
                public void node(Cid cid, byte[] bytes) {
                    car.write(cid, bytes);
                    counts[0]++;
                }

                @Override
                public void record(String key, Cid cid, byte[] bytes) {
                    if (written.add(cid)) {
                        car.write(cid, bytes);
                        counts[0]++;
                    }
                    if (++counts[1] % 1000 == 0) progress.update("export", counts[1], total);
                }
            });
            car.flush();
            progress.update("export", counts[1], total);
            return new Result(root.cid(), root.rev(), counts[0], counts[1], counting.count);
        }
    }

    private static final class CountingOutputStream extends java.io.FilterOutputStream {
        long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws java.io.IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws java.io.IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
