package dev.alteran.pds.store;

import dev.alteran.atproto.car.CarException;
import dev.alteran.atproto.car.CarReader;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.crypto.PublicKey;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import dev.alteran.atproto.repo.BlockSource;
import dev.alteran.atproto.repo.Commit;
import dev.alteran.atproto.repo.RepoException;
import dev.alteran.atproto.repo.RepoWalk;
import dev.alteran.atproto.repo.UnsignedCommit;
import dev.alteran.atproto.syntax.Datetime;
import dev.alteran.atproto.syntax.Tid;
import dev.alteran.atproto.syntax.TidClock;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Imports a repository CAR (a backup, or a {@code com.atproto.sync.getRepo} export of another PDS)
 * into a repository that has no records yet (the command line), or in place of the current one
 * (com.atproto.repo.importRepo). All or nothing, in one transaction: the CAR's blocks are staged
 * (in memory, or for a large CAR in {@code repo_block} itself; each checked against its CID as it is read),
 * then the repository is walked from the CAR's single root as untrusted input: the commit must be for our DID (and, for the
 * command line, signed by our key), the MST well-formed, every record present and decodable. Only blocks reachable from the
 * commit are kept. The record index is rebuilt, with each record's blob references (so the blobs
 * still to be uploaded are listed by {@code com.atproto.repo.listMissingBlobs}), the head moves to the
 * imported commit, and, for an active account, a {@code #sync} event announces the new state.
 *
 * <p>Any refusal is a {@link RepoWriteException} ({@code InvalidRequest}) and changes nothing.
 */
public final class RepoImport {
    private static final int BATCH = 1000;

    private RepoImport() {}

    /** What was imported; {@code seq} is the {@code #sync} event's, 0 when none was sequenced. */
    public record Result(Cid commit, String rev, long blocks, long records, long blobRefs, long seq) {}

    /**
     * Imports into the database directly, for the command line while the server is stopped (a running
     * server would keep writing on top of the head it holds in memory). Creates the repository row when
     * the database has none yet.
     */
    public static Result into(Database db, String did, PublicKey key, SequenceLog sequence, boolean announce, Path car,
                              Progress progress) {
        return db.writeBulk(c -> run(c, new RecordIndex(db, did), did, key, null, false, false, null, sequence, announce, car, progress, MEMORY_STAGING_BYTES));
    }

    /**
     * Like {@link #into}, for a repository signed by another key (an account moving from a PDS that
     * held its signing key): everything is checked but the signature, and the imported tree gets a new
     * commit signed by {@code signer}, with a rev after the imported one. The CAR's own commit is not kept.
     */
    public static Result resignedInto(Database db, String did, Keypair signer, SequenceLog sequence, boolean announce, Path car,
                                      Progress progress) {
        return db.writeBulk(c -> run(c, new RecordIndex(db, did), did, null, signer, false, false, null, sequence, announce, car, progress, MEMORY_STAGING_BYTES));
    }

    /**
     * The import transaction's work, on the writer connection {@code c}: the commit must be signed by
     * {@code key} (null: any signature, unchecked, as the reference PDS's importRepo), and, with
     * {@code resign} set, it is replaced by one {@code resign} signs (with {@code onlyForeign}, only when
     * {@code resign} did not sign it already at a rev after {@code after}, if given: a new commit's rev
     * follows both). A CAR up to {@code memoryStagingBytes} is staged in memory. With {@code replace}, a repository that has records is replaced whole (records,
     * their blob references and backlinks, blocks); else it is refused.
     */
    static Result run(Connection c, RecordIndex records, String did, PublicKey key, Keypair resign, boolean onlyForeign,
                      boolean replace, String after, SequenceLog sequence, boolean announce, Path car, Progress progress,
                      long memoryStagingBytes) throws SQLException {
        if (!replace && RepoRoot.count(c, "record") > 0) {
            throw RepoWriteException.invalid("The repository already has records: import only into an empty repository");
        }
        try {
            var root = root(car);
            try (var st = c.createStatement()) {
                // The repository this replaces: an empty one's commit and node, or, replacing, all of it. Blobs
                // stay; those no record references any more become unreferenced (the record_blob triggers).
                st.executeUpdate("DELETE FROM repo_block");
                if (replace) {
                    st.executeUpdate("DELETE FROM record_blob");
                    st.executeUpdate("DELETE FROM backlink");
                    st.executeUpdate("DELETE FROM record");
                }
            }
            boolean inMemory = Files.size(car) <= memoryStagingBytes;
            // The CAR's commit is kept unless it is to be signed again.
            Predicate<Commit> keepCommit = signed -> resign == null
                    || onlyForeign && (after == null || signed.rev().compareTo(after) > 0) && signed.verify(resign.publicKey());
            try (var staged = inMemory ? new MemoryStaging() : new StoredStaging(c, commitRev(car, root));
                 var imported = new Importer(c, records, progress, inMemory, keepCommit)) {
                stage(staged, car, progress);
                Commit commit;
                try {
                    commit = RepoWalk.walk(staged, root, did, key, true, imported);
                } catch (RepoException | StoreException e) {
                    if (e instanceof StoreException s && s.getCause() instanceof SQLException sql) throw sql;
                    throw RepoWriteException.invalid("Invalid repository: " + e.getMessage());
                }
                imported.finish();
                if (staged instanceof StoredStaging stored) {
                    if (!commit.rev().equals(stored.rev)) throw new IllegalStateException("the CAR's commit was read twice, with two revs");
                    stored.keepReachable(root, imported, did);
                }
                var rev = commit.rev();
                var block = imported.commitBlock;
                if (!imported.keptCommit) {
                    var clock = new TidClock();
                    clock.advancePast(Tid.parse(rev));
                    if (after != null) clock.advancePast(Tid.parse(after));
                    rev = clock.next().toString();
                    block = new UnsignedCommit(did, commit.data(), rev).sign(resign).encode();
                    root = Cid.ofDagCbor(block);
                    imported.block(root, block);
                    imported.finish();
                }
                var now = Datetime.now();
                RepoRoot.write(c, did, root, rev, now);
                long seq = 0;
                if (announce) seq = sequence.append(c, did, "sync", CommitEvents.sync(did, root, rev, block)).seq();
                return new Result(root, rev, RepoRoot.count(c, "repo_block"), imported.records, imported.blobRefs, seq);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + car, e);
        }
    }

    /**
     * Where the CAR's blocks wait for the walk. Each was checked against its CID as the CAR was read,
     * so the walk need not hash it again ({@link #verifying} is the source itself).
     */
    private sealed interface Staging extends BlockSource, AutoCloseable permits MemoryStaging, StoredStaging {
        void add(Cid cid, byte[] bytes) throws SQLException;

        default void flush() throws SQLException {}

        @Override
        default BlockSource verifying() {
            return this;
        }

        @Override
        void close() throws SQLException;
    }

    /**
     * A CAR up to this size is staged in memory: most accounts (the reference PDS takes 5 MiB by default),
     * and about a third of an import's time saved. A larger one is staged in repo_block itself, so the heap
     * stays bounded whatever the CAR's size.
     */
    static final long MEMORY_STAGING_BYTES = 8L << 20;

    private static final class MemoryStaging implements Staging {
        private final Map<Cid, byte[]> blocks = new HashMap<>();

        @Override
        public void add(Cid cid, byte[] bytes) {
            blocks.putIfAbsent(cid, bytes);
        }

        @Override
        public byte[] get(Cid cid) {
            return blocks.get(cid);
        }

        @Override
        public void close() {
            blocks.clear();
        }
    }

    /**
     * A larger CAR goes straight into {@code repo_block} (emptied first), at the rev of the CAR's commit,
     * and the walk reads it back from there: each block is written once, where it stays. What the walk
     * did not reach is deleted afterwards ({@link #keepReachable}).
     */
    private static final class StoredStaging implements Staging {
        /**
         * SQLite's page cache while staging, in KiB. With its 2 MB default, a large import spent about 40% of
         * its time in pread and pwrite: pages of the growing tables written out mid-transaction and read
         * back. This is freed when the import ends.
         */
        private static final int IMPORT_CACHE_KIB = 64 << 10;

        private final Connection c;
        private final String rev;
        private final PreparedStatement insert;
        private final ConnectionBlocks select;
        private long cacheSize; // SQLite's, restored at the end
        private int pending;

        StoredStaging(Connection c, String rev) throws SQLException {
            this.c = c;
            this.rev = rev;
            if (Dialect.of(c) == Dialect.SQLITE) {
                try (var st = c.createStatement(); var rs = st.executeQuery("PRAGMA cache_size")) {
                    rs.next();
                    cacheSize = rs.getLong(1);
                    st.execute("PRAGMA cache_size = " + -IMPORT_CACHE_KIB);
                }
            }
            this.insert = c.prepareStatement(INSERT_BLOCK);
            this.select = new ConnectionBlocks(c, "repo_block");
        }

        @Override
        public void add(Cid cid, byte[] bytes) throws SQLException {
            bindBlock(insert, cid, rev, bytes);
            if (++pending == BATCH) flush();
        }

        @Override
        public void flush() throws SQLException {
            if (pending > 0) insert.executeBatch();
            pending = 0;
        }

        @Override
        public byte[] get(Cid cid) {
            return select.get(cid);
        }

        /**
         * Deletes the staged blocks the walk did not reach: the CAR's own commit when it is signed again,
         * and whatever else the CAR carried. Every reached block is staged, so when the staged blocks are as
         * many as the distinct blocks reached (the usual CAR: commit, nodes, records), none is left over; else
         * a second walk lists the reachable nodes, and the rest go.
         */
        void keepReachable(Cid root, Importer walked, String did) throws SQLException {
            if (RepoRoot.count(c, "repo_block") == 1 + walked.nodes + distinctRecordBlocks()) {
                if (walked.keptCommit) return;
                try (var ps = c.prepareStatement("DELETE FROM repo_block WHERE cid = ?")) {
                    ps.setBytes(1, root.bytes());
                    ps.executeUpdate();
                }
                return;
            }
            try (var st = c.createStatement()) {
                st.executeUpdate("CREATE TEMP TABLE IF NOT EXISTS import_reachable (cid " + Dialect.of(c).blobType() + " PRIMARY KEY)"
                        + Dialect.of(c).keyedTempTable());
                st.executeUpdate("DELETE FROM import_reachable");
            }
            try (var add = c.prepareStatement("INSERT INTO import_reachable (cid) VALUES (?) ON CONFLICT DO NOTHING")) {
                RepoWalk.walk(this, root, did, null, false, new RepoWalk.Visitor() {
                    @Override
                    public void commit(Cid cid, byte[] bytes, Commit commit) {
                        if (walked.keptCommit) reachable(cid);
                    }

                    @Override
                    public void node(Cid cid, byte[] bytes) {
                        reachable(cid);
                    }

                    private void reachable(Cid cid) {
                        try {
                            add.setBytes(1, cid.bytes());
                            add.executeUpdate();
                        } catch (SQLException e) {
                            throw new StoreException(e);
                        }
                    }
                });
            } catch (StoreException e) {
                if (e.getCause() instanceof SQLException sql) throw sql;
                throw e;
            }
            try (var st = c.createStatement()) {
                st.executeUpdate("DELETE FROM repo_block WHERE cid NOT IN (SELECT cid FROM import_reachable) AND cid NOT IN (SELECT cid FROM record)");
            } finally {
                Dialect.dropTempTable(c, "import_reachable");
            }
        }

        private long distinctRecordBlocks() throws SQLException {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT count(DISTINCT cid) FROM record")) {
                rs.next();
                return rs.getLong(1);
            }
        }

        @Override
        public void close() throws SQLException {
            try {
                insert.close();
                select.close();
            } finally {
                if (cacheSize != 0) {
                    try (var st = c.createStatement()) {
                        st.execute("PRAGMA cache_size = " + cacheSize);
                    }
                }
            }
        }
    }

    private static final String INSERT_BLOCK = "INSERT INTO repo_block (cid, rev, size, content) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING";

    private static void bindBlock(PreparedStatement insert, Cid cid, String rev, byte[] bytes) throws SQLException {
        insert.setBytes(1, cid.bytes());
        insert.setString(2, rev);
        insert.setInt(3, bytes.length);
        insert.setBytes(4, bytes);
        insert.addBatch();
    }

    /** The CAR's single root. */
    private static Cid root(Path car) throws IOException {
        try (var reader = open(car, Progress.NONE)) {
            if (reader.roots().size() != 1) {
                throw RepoWriteException.invalid("Invalid repository CAR: expected one root, found " + reader.roots().size());
            }
            return reader.roots().getFirst();
        } catch (CarException e) {
            throw RepoWriteException.invalid("Invalid repository CAR: " + e.getMessage());
        }
    }

    /**
     * The rev of the commit {@code root}, read ahead of the blocks it is stored with: the CAR is read until
     * that block, usually among its first (the reference PDS writes the newest revision's blocks first).
     * Empty when the CAR has no such commit, or it has no rev: the walk then refuses the CAR.
     */
    private static String commitRev(Path car, Cid root) throws IOException {
        try (var reader = open(car, Progress.NONE)) {
            for (var block : reader) {
                if (block.cid().equals(root)) return java.util.Objects.requireNonNullElse(Commit.decode(block.bytes()).rev(), "");
            }
            return "";
        } catch (CarException | RepoException e) {
            return "";
        }
    }

    private static CarReader open(Path car, Progress progress) throws IOException {
        var in = new ProgressInputStream(Files.newInputStream(car), Files.size(car), progress);
        try {
            return CarReader.open(in);
        } catch (RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Reads the CAR's blocks into {@code staged}. */
    private static void stage(Staging staged, Path car, Progress progress) throws SQLException, IOException {
        try (var reader = open(car, progress)) {
            for (var block : reader) staged.add(block.cid(), block.bytes());
            staged.flush();
            long size = Files.size(car);
            progress.update("read", size, size);
        } catch (CarException e) {
            throw RepoWriteException.invalid("Invalid repository CAR: " + e.getMessage());
        } catch (UncheckedIOException e) {
            throw RepoWriteException.invalid("The repository CAR could not be read: " + e.getMessage());
        }
    }

    /**
     * Keeps what the walk reaches: records into the index, and, when the blocks were staged in memory,
     * blocks into repo_block, in batches.
     */
    private static final class Importer implements RepoWalk.Visitor, AutoCloseable {
        private final Connection c;
        private final RecordIndex index;
        private final Progress progress;
        private final boolean storeBlocks;
        private final PreparedStatement insert;
        private final Predicate<Commit> keepCommit;
        boolean keptCommit;
        private final List<PreparedWrite> writes = new ArrayList<>(BATCH);
        private String rev;
        private int pendingBlocks;
        byte[] commitBlock;
        long nodes, records, blobRefs;

        Importer(Connection c, RecordIndex index, Progress progress, boolean storeBlocks, Predicate<Commit> keepCommit) throws SQLException {
            this.keepCommit = keepCommit;
            this.c = c;
            this.index = index;
            this.progress = progress;
            this.storeBlocks = storeBlocks;
            this.insert = c.prepareStatement(INSERT_BLOCK);
        }

        @Override
        public void commit(Cid cid, byte[] bytes, Commit commit) {
            if (commit.rev() == null || !Tid.isValid(commit.rev())) throw new RepoException("commit rev is not a TID: " + commit.rev());
            rev = commit.rev();
            commitBlock = bytes;
            keptCommit = keepCommit.test(commit);
            if (keptCommit && storeBlocks) block(cid, bytes);
        }

        @Override
        public void node(Cid cid, byte[] bytes) {
            nodes++;
            if (storeBlocks) block(cid, bytes);
        }

        @Override
        public void record(String key, Cid cid, byte[] bytes) {
            if (storeBlocks) block(cid, bytes);
            Map<String, Object> value;
            try {
                value = DagCbor.decodeMap(bytes);
            } catch (RuntimeException e) {
                throw new RepoException("Could not parse record at '" + key + "'");
            }
            int slash = key.indexOf('/');
            var blobs = blobRefs(value);
            blobRefs += blobs.size();
            writes.add(new PreparedWrite.Create(key.substring(0, slash), key.substring(slash + 1),
                    new PreparedRecord(value, bytes, cid, blobs, null)));
            records++;
            if (writes.size() == BATCH) flushRecords();
        }

        /** Adds a block to repo_block, at the CAR commit's rev. */
        void block(Cid cid, byte[] bytes) {
            try {
                bindBlock(insert, cid, rev, bytes);
                if (++pendingBlocks == BATCH) {
                    insert.executeBatch();
                    pendingBlocks = 0;
                }
            } catch (SQLException e) {
                throw new StoreException(e);
            }
        }

        private void flushRecords() {
            try {
                index.apply(c, writes, rev, Datetime.now());
            } catch (SQLException e) {
                throw new StoreException(e);
            }
            writes.clear();
            progress.update("index", records, 0);
        }

        /** Sends what is pending. */
        void finish() throws SQLException {
            if (pendingBlocks > 0) insert.executeBatch();
            pendingBlocks = 0;
            if (!writes.isEmpty()) flushRecords();
            progress.update("index", records, records);
        }

        @Override
        public void close() throws SQLException {
            insert.close();
        }
    }

    /**
     * The blobs a record references, each once: {@code {$type: blob, ref}} objects and, as the reference
     * PDS counts them on import, legacy {@code {cid, mimeType}} ones.
     */
    static List<Cid> blobRefs(Object value) {
        var out = new LinkedHashSet<Cid>();
        collect(value, out, 0);
        return List.copyOf(out);
    }

    private static void collect(Object v, LinkedHashSet<Cid> out, int depth) {
        if (depth > DagCbor.MAX_DEPTH) return;
        if (v instanceof Map<?, ?> m) {
            if ("blob".equals(m.get("$type")) && m.get("ref") instanceof Cid ref) {
                out.add(ref);
                return;
            }
            if (m.size() == 2 && m.get("cid") instanceof String cid && m.get("mimeType") instanceof String && Cid.isValidSyntax(cid)) {
                out.add(Cid.parse(cid));
                return;
            }
            for (var item : m.values()) collect(item, out, depth + 1);
        } else if (v instanceof List<?> list) {
            for (var item : list) collect(item, out, depth + 1);
        }
    }

    /** Reports bytes read, every megabyte. */
    private static final class ProgressInputStream extends FilterInputStream {
        private final long total;
        private final Progress progress;
        private long count, reported;

        ProgressInputStream(InputStream in, long total, Progress progress) {
            super(in);
            this.total = total;
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) counted(1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) counted(n);
            return n;
        }

        private void counted(int n) {
            count += n;
            if (count - reported >= (1 << 20)) report();
        }

        void report() {
            reported = count;
            progress.update("read", count, total);
        }
    }
}
