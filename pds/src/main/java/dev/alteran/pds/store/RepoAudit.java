package dev.alteran.pds.store;

import dev.alteran.atproto.crypto.PublicKey;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import dev.alteran.atproto.repo.Commit;
import dev.alteran.atproto.repo.RepoException;
import dev.alteran.atproto.repo.RepoWalk;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Checks the whole stored repository and reports every problem found, from one read snapshot:
 * <ul>
 *   <li>every stored block hashes to its CID (and its recorded size is its length);</li>
 *   <li>the head commit is for our DID, signed by our key, and its rev is the recorded one;</li>
 *   <li>the MST is well-formed (see {@link RepoWalk}) and every node and record block it reaches is present;</li>
 *   <li>the record index holds exactly the MST's records with their CIDs (both directions);</li>
 *   <li>each record's blob references are exactly its {@code record_blob} rows, and every referenced
 *       blob is stored (optionally: its bytes are in the blob store too).</li>
 * </ul>
 * Blocks no longer reachable from the head are counted, not reported: removing them is {@link RepoGc}'s job.
 */
public final class RepoAudit {
    /** At most this many problems are kept in the report (all are counted). */
    static final int MAX_LISTED = 1000;

    private RepoAudit() {}

    /** The outcome: counts, and the problems found (empty when the repository is sound). */
    public record Report(Cid commit, String rev, long blocks, long nodes, long records, long blobRefs,
                         long unreachableBlocks, long problemCount, List<String> problems) {
        public boolean ok() {
            return problemCount == 0;
        }
    }

    /**
     * @param blobStored whether a blob's bytes are in the blob store; null checks only the {@code blob} table
     */
    public static Report verify(Database db, String did, PublicKey key, Predicate<Cid> blobStored, Progress progress) {
        return db.readSnapshot(c -> new Audit(c, did, key, blobStored, progress).run());
    }

    private static final class Audit implements RepoWalk.Visitor {
        private final Connection c;
        private final String did;
        private final PublicKey key;
        private final Predicate<Cid> blobStored;
        private final Progress progress;
        private final List<String> problems = new ArrayList<>();
        private long problemCount, blocks, nodes, records, blobRefs;
        private final HashSet<Cid> reachable = new HashSet<>();
        private RepoRoot root;
        private long totalRecords;
        // Cursors merged with the walk, which reaches records in key order (= uri order).
        private ResultSet index, recordBlobs;
        private boolean indexHasRow, recordBlobsHasRow;
        private PreparedStatement blobRow;

        Audit(Connection c, String did, PublicKey key, Predicate<Cid> blobStored, Progress progress) {
            this.c = c;
            this.did = did;
            this.key = key;
            this.blobStored = blobStored;
            this.progress = progress;
        }

        Report run() throws SQLException {
            root = RepoRoot.read(c);
            if (root == null) {
                problem("there is no repository (repo_root is empty)");
                return report(null, null);
            }
            if (!root.did().equals(did)) problem("repo_root is for " + root.did() + ", not " + did);
            scanBlocks();
            totalRecords = RepoRoot.count(c, "record");
            try (var idx = c.prepareStatement("SELECT uri, cid FROM record ORDER BY uri");
                 var rb = c.prepareStatement("SELECT record_uri, blob_cid FROM record_blob ORDER BY record_uri, blob_cid");
                 var blob = c.prepareStatement("SELECT 1 FROM blob WHERE cid = ?");
                 var source = new ConnectionBlocks(c, "repo_block")) {
                index = idx.executeQuery();
                indexHasRow = index.next();
                recordBlobs = rb.executeQuery();
                recordBlobsHasRow = recordBlobs.next();
                blobRow = blob;
                RepoWalk.walk(source, root.cid(), did, key, true, this);
                // What is left of the index and record_blob lies past the MST's last key.
                while (indexHasRow) {
                    problem("the record index has " + index.getString(1) + ", which is not in the repository");
                    indexHasRow = index.next();
                }
                while (recordBlobsHasRow) {
                    problem("record_blob has " + recordBlobs.getString(2) + " for " + recordBlobs.getString(1) + ", which is not in the repository");
                    recordBlobsHasRow = recordBlobs.next();
                }
            } catch (StoreException e) {
                if (e.getCause() instanceof SQLException sql) throw sql;
                throw e;
            }
            progress.update("verify", records, totalRecords);
            return report(root.cid(), root.rev());
        }

        private Report report(Cid commit, String rev) {
            long unreachable = problemCount == 0 ? Math.max(0, blocks - reachable.size()) : 0;
            return new Report(commit, rev, blocks, nodes, records, blobRefs, unreachable, problemCount, List.copyOf(problems));
        }

        private void problem(String message) {
            problemCount++;
            if (problems.size() < MAX_LISTED) problems.add(message);
        }

        /** Every stored block, reachable or not, must hash to its CID. */
        private void scanBlocks() throws SQLException {
            long total = RepoRoot.count(c, "repo_block");
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT cid, size, content FROM repo_block")) {
                while (rs.next()) {
                    blocks++;
                    var raw = rs.getBytes(1);
                    var content = rs.getBytes(3);
                    Cid cid;
                    try {
                        cid = Cid.fromBytes(raw);
                    } catch (RuntimeException e) {
                        problem("a stored block has an invalid CID (" + java.util.HexFormat.of().formatHex(raw) + ")");
                        continue;
                    }
                    if (!cid.matches(content)) problem("block " + cid + " does not hash to its CID");
                    if (rs.getLong(2) != content.length) problem("block " + cid + " is recorded as " + rs.getLong(2) + " bytes but has " + content.length);
                    if (blocks % 5000 == 0) progress.update("blocks", blocks, total);
                }
            }
            progress.update("blocks", blocks, total);
        }

        // ---- the walk ----

        @Override
        public void problem(RepoException problem) {
            problem(problem.getMessage());
        }

        @Override
        public void commit(Cid cid, byte[] bytes, Commit commit) {
            reachable.add(cid);
            if (!root.rev().equals(commit.rev())) problem("repo_root says rev " + root.rev() + " but the head commit has " + commit.rev());
        }

        @Override
        public void node(Cid cid, byte[] bytes) {
            reachable.add(cid);
            nodes++;
        }

        @Override
        public void record(String recordKey, Cid cid, byte[] bytes) {
            reachable.add(cid);
            records++;
            if (records % 1000 == 0) progress.update("verify", records, totalRecords);
            var uri = "at://" + did + "/" + recordKey;
            try {
                checkIndex(uri, cid);
                checkBlobs(uri, bytes);
            } catch (SQLException e) {
                throw new StoreException(e);
            }
        }

        private void checkIndex(String uri, Cid cid) throws SQLException {
            while (indexHasRow && index.getString(1).compareTo(uri) < 0) {
                problem("the record index has " + index.getString(1) + ", which is not in the repository");
                indexHasRow = index.next();
            }
            if (indexHasRow && index.getString(1).equals(uri)) {
                var indexed = Cid.fromBytes(index.getBytes(2));
                if (!indexed.equals(cid)) problem("the record index has " + uri + " at " + indexed + ", the repository at " + cid);
                indexHasRow = index.next();
            } else {
                problem("the record index lacks " + uri);
            }
        }

        private void checkBlobs(String uri, byte[] bytes) throws SQLException {
            var rows = new TreeSet<String>();
            while (recordBlobsHasRow && recordBlobs.getString(1).compareTo(uri) <= 0) {
                if (recordBlobs.getString(1).equals(uri)) {
                    rows.add(recordBlobs.getString(2));
                } else {
                    problem("record_blob has " + recordBlobs.getString(2) + " for " + recordBlobs.getString(1) + ", which is not in the repository");
                }
                recordBlobsHasRow = recordBlobs.next();
            }
            if (bytes == null) return; // missing or broken: already reported
            List<Cid> refs;
            try {
                refs = RepoImport.blobRefs(DagCbor.decodeMap(bytes));
            } catch (RuntimeException e) {
                problem("record " + uri + " is not a valid DAG-CBOR map: " + e.getMessage());
                return;
            }
            blobRefs += refs.size();
            var expected = new TreeSet<String>();
            for (var ref : refs) {
                var text = ref.toString();
                expected.add(text);
                if (!rows.contains(text)) problem("record_blob lacks " + text + " for " + uri);
                if (!blobKnown(ref)) problem(uri + " references blob " + text + ", which is not stored");
            }
            for (var row : rows) {
                if (!expected.contains(row)) problem("record_blob has " + row + " for " + uri + ", which does not reference it");
            }
        }

        private boolean blobKnown(Cid blob) throws SQLException {
            blobRow.setString(1, blob.toString());
            try (var rs = blobRow.executeQuery()) {
                if (!rs.next()) return false;
            }
            return blobStored == null || blobStored.test(blob);
        }
    }
}
