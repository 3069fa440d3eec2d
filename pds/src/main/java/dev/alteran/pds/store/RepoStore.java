package dev.alteran.pds.store;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.repo.BlockMap;
import dev.alteran.atproto.repo.CommitData;
import dev.alteran.atproto.repo.MissingBlockException;
import dev.alteran.atproto.repo.Mst;
import dev.alteran.atproto.repo.Repo;
import dev.alteran.atproto.repo.UnsignedCommit;
import dev.alteran.atproto.repo.Write;
import dev.alteran.atproto.syntax.Datetime;
import dev.alteran.atproto.syntax.Tid;
import dev.alteran.atproto.syntax.TidClock;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The account's repository over SQL. The head commit lives in memory (the MST paths its latest commit
 * built stay decoded, {@link Repo#settled()}), so a write of the next TID key reads nothing back from the
 * database. Each write is one transaction:
 * the next signed commit, its blocks, the record rows, the new root and the {@code #commit} event.
 * The in-memory head moves only after that transaction commits, and only one write runs at a time
 * ({@link GroupCommit}).
 */
public final class RepoStore {
    /** The most writes one commit may carry (com.atproto.repo.applyWrites). */
    public static final int MAX_WRITES = 200;
    /** The most block bytes one commit event may carry, as the reference PDS limits it. */
    public static final long MAX_EVENT_BYTES = 2_000_000;

    /** Decides, under the write lock and inside the transaction, what to write; null means nothing (no commit). */
    @FunctionalInterface
    public interface Planner {
        List<PreparedWrite> plan(Repo head, Connection c) throws SQLException;
    }

    /**
     * Runs inside every commit transaction after its blocks, record rows and event are written (blob
     * reference checks go here); throwing aborts the whole commit.
     */
    @FunctionalInterface
    public interface TransactionHook {
        void beforeCommit(Connection c, List<PreparedWrite> writes, CommitData commit) throws SQLException;
    }

    private final Database db;
    private final String did;
    private final Keypair signingKey;
    private final SqlBlockSource blocks;
    private final RecordIndex records;
    private final SequenceLog sequence;
    private final TidClock clock = new TidClock();
    private final GroupCommit<Step> groupCommit;
    private final List<TransactionHook> hooks = new CopyOnWriteArrayList<>();
    private volatile Repo head;
    /** {@code alteran.repo.commits}, once {@link #instrument} named a registry. */
    private volatile Timer commits;

    private final String initialHandle;

    private RepoStore(Database db, String did, Keypair signingKey, SequenceLog sequence, String initialHandle) {
        this.initialHandle = initialHandle;
        this.db = db;
        this.did = did;
        this.signingKey = signingKey;
        this.blocks = new SqlBlockSource(db);
        this.records = new RecordIndex(db, did);
        this.sequence = sequence;
        this.groupCommit = new GroupCommit<>(db, this::writeBlocks, this::committed);
    }

    /**
     * Loads the repository of {@code did}, or, on first start, creates it empty with a signed initial
     * commit and sequences that commit.
     */
    public static RepoStore open(Database db, String did, Keypair signingKey, SequenceLog sequence) {
        return open(db, did, signingKey, sequence, null);
    }

    /**
     * Like {@link #open(Database, String, Keypair, SequenceLog)}; a new repository is announced as the
     * reference PDS announces a new account, in one transaction: {@code #identity} (with {@code handle}),
     * {@code #account} (active), the initial {@code #commit} and a {@code #sync}.
     */
    public static RepoStore open(Database db, String did, Keypair signingKey, SequenceLog sequence, String handle) {
        var store = new RepoStore(db, did, signingKey, sequence, handle);
        store.loadOrCreate(true);
        return store;
    }

    /**
     * Like {@link #open(Database, String, Keypair, SequenceLog)}, but a new repository is created
     * silently, without any event: the account is moving in (deactivated), and its history is
     * announced when it is activated.
     */
    public static RepoStore openUnannounced(Database db, String did, Keypair signingKey, SequenceLog sequence) {
        var store = new RepoStore(db, did, signingKey, sequence, null);
        store.loadOrCreate(false);
        return store;
    }

    /** Whether the database holds no repository yet (a first start). */
    public static boolean isNew(Database db) {
        return db.read(c -> RepoRoot.read(c) == null);
    }

    private record Root(String did, Cid cid, String rev) {}

    private void loadOrCreate(boolean announce) {
        var root = db.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT did, cid, rev FROM repo_root")) {
                return rs.next() ? new Root(rs.getString(1), Cid.fromBytes(rs.getBytes(2)), rs.getString(3)) : null;
            }
        });
        if (root != null) {
            if (!root.did().equals(did)) {
                throw new IllegalStateException("the database holds the repository of " + root.did() + ", not of " + did);
            }
            clock.advancePast(Tid.parse(root.rev()));
            head = Repo.load(blocks, root.cid());
            return;
        }
        groupCommit.exclusive(() -> {
            var lastSeq = new long[1];
            var created = db.write(c -> {
                var rev = clock.next().toString();
                var data = Repo.create(blocks, did, signingKey, rev, Map.of());
                var now = Datetime.now();
                blocks.insert(c, data.newBlocks().asMap(), rev);
                try (var st = c.prepareStatement("INSERT INTO repo_root (did, cid, rev, indexed_at) VALUES (?, ?, ?, ?)")) {
                    st.setString(1, did);
                    st.setBytes(2, data.cid().bytes());
                    st.setString(3, rev);
                    st.setString(4, now);
                    st.executeUpdate();
                }
                if (!announce) return new AppliedCommit(data.cid(), rev, 0, data);
                if (initialHandle != null) {
                    sequence.append(c, did, "identity", CommitEvents.identity(did, initialHandle));
                    sequence.append(c, did, "account", CommitEvents.accountActive(did));
                }
                var event = sequence.append(c, did, "commit", CommitEvents.commit(did, data, data.newBlocks()));
                lastSeq[0] = event.seq();
                if (initialHandle != null) lastSeq[0] = sequence.append(c, did, "sync", CommitEvents.sync(did, data)).seq();
                return new AppliedCommit(data.cid(), rev, event.seq(), data);
            });
            head = created.data().repo();
            if (lastSeq[0] > 0) sequence.publish(lastSeq[0]);
            return null;
        });
    }

    // ---- writes ----

    /**
     * Applies {@code writes} as one commit: all of them or none. A create of an existing record, an
     * update or delete of a missing one, a failed swap ({@code swapCommit}: the head must be that
     * commit; each write's {@link RecordSwap}) is a {@link RepoWriteException}.
     */
    public AppliedCommit applyWrites(List<PreparedWrite> writes, Cid swapCommit) {
        return commit((repo, c) -> writes, swapCommit);
    }

    /**
     * The general form: {@code planner} sees the current head under the write lock and returns the
     * writes (or null for no commit at all, as for a delete of a record that is already gone). Returns
     * the commit, or null when the planner returned null.
     *
     * <p>Concurrent callers are group-committed ({@link GroupCommit}): each request is its own signed
     * commit and event, but a batch of them shares one database transaction.
     */
    public AppliedCommit commit(Planner planner, Cid swapCommit) {
        long start = System.nanoTime();
        var step = groupCommit.submit((c, previous, alone) -> {
            // The first commit of a transaction reads the head and the log's last seq; the next ones build on the one before.
            var at = previous == null ? headUnderLock(c) : new Head(previous.commit().data().repo(), previous.commit().seq());
            var planned = planner.plan(at.repo(), c);
            return planned == null ? null : write(c, at, planned, swapCommit, alone);
        });
        if (step == null) return null;
        var timer = commits;
        if (timer != null) timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        return step.commit();
    }

    /**
     * Reports to {@code meters}: {@code alteran.repo.commits}, each commit's time from its request to its
     * transaction's end (the wait for the writer included), and the group-commit transactions that carried them.
     */
    public void instrument(MeterRegistry meters) {
        commits = Timer.builder("alteran.repo.commits").description("Repository commits, from the write request to the commit")
                .serviceLevelObjectives(Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
                        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1))
                .register(meters);
        FunctionCounter.builder("alteran.repo.commit.transactions", groupCommit, g -> g.batches()[0])
                .description("Database transactions that carried commits (group commit shares one among queued writes)")
                .register(meters);
    }

    /** One commit: what it wrote, and the record blocks it replaced. */
    private record Step(AppliedCommit commit, List<Cid> replaced) {}

    /** Ends a batch of more than one commit: their MST nodes and commit blocks, netted ({@link BlockChanges}). */
    private void writeBlocks(Connection c, List<Step> steps) throws SQLException {
        var changes = new BlockChanges();
        for (var step : steps) changes.add(step.commit().data());
        var pending = new PendingWrites(db, c);
        blocks.write(pending, changes);
        pending.send();
    }

    /**
     * Catches the head up with the stored one, for reads (getLatestCommit, getHead, sync.getRecord) when
     * another instance on the same database committed: {@link SeqTailer} calls it when it hears of new
     * events. Between batches, so it never races this store's own writes.
     */
    public void refreshHead() {
        groupCommit.exclusive(() -> {
            while (true) {
                var root = db.read(RepoRoot::read);
                if (root == null || head == null || root.cid().equals(head.cid()) || root.rev().compareTo(head.rev()) <= 0) return null;
                try {
                    adopt(root.cid(), root.rev());
                    return null;
                } catch (MissingBlockException e) {
                    // Another instance committed again while this head loaded, dropping blocks only the older
                    // head had: load the newer one. Missing blocks of the head still stored are a real loss.
                    var now = db.read(RepoRoot::read);
                    if (now == null || now.cid().equals(root.cid())) throw e;
                }
            }
        });
    }

    /** The head a commit builds on, and the sequencer log's greatest seq in its transaction (0: empty). */
    private record Head(Repo repo, long lastSeq) {}

    /**
     * The head a transaction builds on: this store's, unless another writer committed since (another
     * instance on the same PostgreSQL database, or a command beside the server): then the stored head,
     * loaded afresh. The transaction holds the database's write lock from before this read
     * ({@link Database#writeLockedByFirstStatement}), so the stored head cannot move again before it commits; the
     * compare-and-set in {@link #write} keeps a fork impossible even so. The log's last seq comes in
     * the same statement, and on PostgreSQL the write lock in the same round trip.
     */
    private Head headUnderLock(Connection c) throws SQLException {
        Cid stored;
        String rev;
        long lastSeq;
        var query = "SELECT r.cid, r.rev, (SELECT MAX(seq) FROM seq_event) FROM repo_root r WHERE r.did = ?";
        var locking = db.dialect().withWriteLock(query); // the transaction's first statement: GroupCommit leaves the lock to it
        var st = db.statement(c, locking != null ? locking : query);
        st.setString(1, did);
        st.execute();
        if (locking != null) st.getMoreResults(); // past the lock's result, to the head's
        try (var rs = st.getResultSet()) {
            if (!rs.next()) return new Head(head, sequence.lastSeq(c));
            stored = Cid.fromBytes(rs.getBytes(1));
            rev = rs.getString(2);
            lastSeq = rs.getLong(3);
        }
        if (!stored.equals(head.cid())) adopt(stored, rev);
        return new Head(head, lastSeq);
    }

    /**
     * Moves the head to {@code stored}, which another writer committed. Cached blocks stay (a CID's bytes
     * never change), except those the other writer's commits dropped: the old tree's nodes the new one no
     * longer has, the old commit and the records replaced, found by diffing the two heads, which reads
     * only the nodes that changed. Clearing the cache instead made every write after another
     * instance's read the tree again from the database, node by node. When the old tree cannot be read
     * (nodes it had not loaded are gone), the cache is cleared.
     */
    private void adopt(Cid stored, String rev) {
        clock.advancePast(Tid.parse(rev));
        var previous = head;
        var next = Repo.load(blocks, stored);
        try {
            var diff = Mst.diff(previous.data(), next.data());
            var dropped = new ArrayList<Cid>(diff.removedCids());
            dropped.add(previous.cid());
            for (var op : diff.ops()) if (op.prev() != null) dropped.add(op.prev());
            blocks.evict(dropped);
        } catch (MissingBlockException e) {
            blocks.clearCache(); // next stays: its blocks are the stored head's, and a CID's bytes never change
        }
        head = next;
    }

    /** After a batch commits: the head, the block cache and the firehose listeners move on. */
    private void committed(List<Step> steps) {
        for (var step : steps) {
            var data = step.commit().data();
            blocks.evict(data.removedCids());
            blocks.evict(step.replaced());
            blocks.cacheCommitted(data.newBlocks().asMap());
        }
        // Its blocks are stored now: the head keeps the paths this batch built, not every node it touched.
        if (!steps.isEmpty()) head = steps.getLast().commit().data().repo().settled();
        for (var step : steps) sequence.publish(step.commit().seq());
    }

    /**
     * One commit, in the transaction. Alone in its batch, it writes its MST nodes and commit block
     * with its other statements; else they are left to {@link #writeBlocks}, which writes the batch's
     * once. Its record blocks it always writes itself.
     */
    private Step write(Connection c, Head at, List<PreparedWrite> writes, Cid swapCommit, boolean alone) throws SQLException {
        var current = at.repo();
        if (writes.size() > MAX_WRITES) throw RepoWriteException.invalid("Too many writes. Max: " + MAX_WRITES);
        if (swapCommit != null && !swapCommit.equals(current.cid())) {
            throw RepoWriteException.swap("Commit was at " + current.cid());
        }
        var state = new HashMap<String, Cid>(); // keys written earlier in this batch -> their CID (null: deleted)
        var mstWrites = new ArrayList<Write>(writes.size());
        var recordBlocks = new LinkedHashMap<Cid, byte[]>();
        var replaced = new ArrayList<Cid>();
        for (var w : writes) {
            var key = w.key();
            var before = current.get(key);
            var now = state.containsKey(key) ? state.get(key) : before;
            if (w.swap() != null) checkSwap(w, before);
            switch (w) {
                case PreparedWrite.Create cr -> {
                    if (now != null) throw RepoWriteException.invalid("Record already exists: " + records.uri(w.collection(), w.rkey()));
                    mstWrites.add(new Write.Create(key, cr.record().cid()));
                    recordBlocks.put(cr.record().cid(), cr.record().bytes());
                    state.put(key, cr.record().cid());
                }
                case PreparedWrite.Update u -> {
                    if (now == null) throw RepoWriteException.invalid("Could not find record: " + records.uri(w.collection(), w.rkey()));
                    mstWrites.add(new Write.Update(key, u.record().cid()));
                    recordBlocks.put(u.record().cid(), u.record().bytes());
                    replaced.add(now);
                    state.put(key, u.record().cid());
                }
                case PreparedWrite.Delete d -> {
                    if (now == null) throw RepoWriteException.invalid("Could not find record: " + records.uri(w.collection(), w.rkey()));
                    mstWrites.add(new Write.Delete(key));
                    replaced.add(now);
                    state.put(key, null);
                }
            }
        }

        var rev = nextRev(current);
        var data = current.applyWrites(mstWrites, signingKey, rev);
        var eventBlocks = new BlockMap().putAll(data.newBlocks()).putAll(data.relevantBlocks());
        recordBlocks.forEach(eventBlocks::put);
        if (eventBlocks.byteSize() > MAX_EVENT_BYTES) throw RepoWriteException.invalid("Too many writes. Max event size: 2MB");

        // The record rows, blocks, head move and event go to the database together (PendingWrites).
        var pending = new PendingWrites(db, c);
        var now = Datetime.now();
        records.apply(pending, writes, rev, now);
        var changes = new BlockChanges();
        if (alone) changes.add(data);
        changes.add(rev, recordBlocks);
        blocks.write(pending, changes);
        blocks.deleteUnreferenced(pending, replaced);
        // Compare-and-set: the head moves only from the commit this one was built on.
        pending.add(1, () -> new IllegalStateException("the head of " + did + " is no longer " + current.cid() + ": another writer moved it"),
                "UPDATE repo_root SET cid = ?, rev = ?, indexed_at = ? WHERE did = ? AND cid = ?",
                data.cid().bytes(), rev, now, did, current.cid().bytes());
        var event = sequence.appendAfter(pending, at.lastSeq(), did, "commit", CommitEvents.commit(did, data, eventBlocks));
        for (var hook : hooks) hook.beforeCommit(c, writes, data);
        return new Step(new AppliedCommit(data.cid(), rev, event.seq(), data), replaced);
    }

    /** The reference PDS's swap rules: a create expects no record, an update or delete expects exactly that CID. */
    private static void checkSwap(PreparedWrite w, Cid current) {
        var expected = w.swap().cid();
        boolean ok = w instanceof PreparedWrite.Create ? expected == null && current == null
                : expected != null && expected.equals(current);
        if (!ok) throw RepoWriteException.swap("Record was at " + (current == null ? "null" : current.toString()));
    }

    private String nextRev(Repo current) {
        var rev = clock.next().toString();
        if (current.rev() != null && rev.compareTo(current.rev()) <= 0) {
            clock.advancePast(Tid.parse(current.rev()));
            rev = clock.next().toString();
        }
        return rev;
    }

    // ---- wholesale replacement ----

    /**
     * Imports a repository CAR in place of this repository (records, blocks; uploaded blobs stay): see
     * {@link RepoImport}. Runs under the write lock, so writes queue behind it and then build on the
     * imported head.
     *
     * @param announce sequence a {@code #sync} event for the new head (an active account)
     */
    public RepoImport.Result importCar(java.nio.file.Path car, boolean announce, Progress progress) {
        return importCar(car, announce, progress, RepoImport.MEMORY_STAGING_BYTES);
    }

    /** The same, staging the CAR in memory only up to {@code memoryStagingBytes} (tests take both ways). */
    RepoImport.Result importCar(java.nio.file.Path car, boolean announce, Progress progress, long memoryStagingBytes) {
        return groupCommit.exclusive(() -> {
            // The old host's signature is not checked (an account moving in brings a CAR its old key signed),
            // as the reference PDS's importRepo. An active account's commit is announced, so it must be ours
            // and after what was announced before: else the same tree is signed again with our key, at a later rev.
            var after = head.rev();
            var result = db.writeBulk(c -> RepoImport.run(c, records, did, null, announce ? signingKey : null, true, true,
                    announce ? after : null, sequence, announce, car, progress, memoryStagingBytes));
            blocks.clearCache();
            clock.advancePast(Tid.parse(result.rev()));
            head = Repo.load(blocks, result.commit());
            if (result.seq() > 0) sequence.publish(result.seq());
            return result;
        });
    }

    /** Work done in the transaction of {@link #recommit}, given the new commit. */
    @FunctionalInterface
    public interface Recommit<T> {
        T run(Connection c, Cid cid, String rev, byte[] commitBlock) throws SQLException;
    }

    /**
     * Signs the current tree again, with our key, at a new rev after the head's: the same records, a
     * new commit (an account that moved in replaces the old host's signature before it announces its
     * repository). {@code then} runs in the same transaction; the previous commit block is dropped.
     */
    public <T> T recommit(Recommit<T> then) {
        return groupCommit.exclusive(() -> {
            var previous = head;
            var rev = clock.next().toString();
            var block = new UnsignedCommit(did, previous.data().root(), rev).sign(signingKey).encode();
            var cid = Cid.ofDagCbor(block);
            var out = db.write(c -> {
                blocks.insert(c, Map.of(cid, block), rev);
                if (!previous.cid().equals(cid)) {
                    try (var st = c.prepareStatement("DELETE FROM repo_block WHERE cid = ?")) {
                        st.setBytes(1, previous.cid().bytes());
                        st.executeUpdate();
                    }
                }
                RepoRoot.write(c, did, cid, rev, Datetime.now());
                return then.run(c, cid, rev, block);
            });
            blocks.clearCache();
            head = Repo.load(blocks, cid);
            return out;
        });
    }

    /** Adds a hook run inside every later commit transaction. */
    public void addTransactionHook(TransactionHook hook) {
        hooks.add(hook);
    }

    public void removeTransactionHook(TransactionHook hook) {
        hooks.remove(hook);
    }

    /** Group commit so far: the transactions run for write requests, and the requests they carried. */
    public long[] batches() {
        return groupCommit.batches();
    }

    /** Write requests waiting for the writer. */
    public int queuedWrites() {
        return groupCommit.queued();
    }

    // ---- reads ----

    /** The current head: commit, rev and MST. */
    public Repo head() {
        return head;
    }

    public String did() {
        return did;
    }

    /** A fresh TID from the clock that also issues revs: record keys for createRecord. */
    public String nextTid() {
        return clock.next().toString();
    }

    public SqlBlockSource blocks() {
        return blocks;
    }

    public RecordIndex records() {
        return records;
    }

    public SequenceLog sequence() {
        return sequence;
    }

    /** The current record, or null; with {@code cid}, only if the current version has that CID. */
    public StoredRecord getRecord(String collection, String rkey, Cid cid) {
        return records.get(collection, rkey, cid);
    }

    public List<StoredRecord> listRecords(String collection, int limit, String cursor, boolean reverse) {
        return records.list(collection, limit, cursor, reverse);
    }

    public List<String> listCollections() {
        return records.collections();
    }
}
