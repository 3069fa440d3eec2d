package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.alteran.atproto.car.CarReader;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.lexicon.Lexicons;
import dev.alteran.atproto.repo.BlockMap;
import dev.alteran.atproto.repo.Commit;
import dev.alteran.atproto.repo.Mst;
import dev.alteran.atproto.repo.Proofs;
import dev.alteran.atproto.repo.RepoVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass(name = "{0}")
@EnumSource(Dialect.class)
class RepoStoreTest {
    @Parameter
    Dialect dialect;
    TestDatabase testDb;

    static final String DID = "did:web:pds.example.com";
    static final String POST = "app.bsky.feed.post";
    static final Lexicons LEXICONS = Lexicons.loadBundled();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    Keypair key = Keypair.generate(Curve.K256);
    Database db;
    SequenceLog seq;
    RepoStore store;
    RecordPreparer preparer = new RecordPreparer(LEXICONS);

    @BeforeEach
    void open() {
        testDb = TestDatabase.create(dialect, dir);
        db = testDb.open();
        seq = new SequenceLog(db, SequenceLog.DEFAULT_RETENTION, () -> 1); // counts from 1: these tests name seqs
        store = RepoStore.open(db, DID, key, seq);
    }

    @AfterEach
    void close() {
        db.close();
    }

    PreparedRecord post(String text) {
        return prepare(POST, "3jzfcijpj2z2a", "{\"text\":\"" + text + "\",\"createdAt\":\"2024-01-01T00:00:00.000Z\"}", null);
    }

    PreparedRecord prepare(String collection, String rkey, String json, Boolean validate) {
        try {
            return preparer.prepare(collection, rkey, JSON.readTree(json), validate);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    AppliedCommit create(String rkey, String text) {
        return store.applyWrites(List.of(new PreparedWrite.Create(POST, rkey, post(text))), null);
    }

    long count(String table) {
        return db.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    Set<Cid> storedCids() {
        return storedCids(db);
    }

    /** Every block {@code db} holds, reachable or not. */
    static Set<Cid> storedCids(Database db) {
        return db.read(c -> {
            var out = new HashSet<Cid>();
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT cid FROM repo_block")) {
                while (rs.next()) out.add(Cid.fromBytes(rs.getBytes(1)));
            }
            return out;
        });
    }

    /** Exactly the blocks the head needs: its commit, its MST nodes, its records. */
    Set<Cid> reachableCids() {
        return reachableCids(store);
    }

    static Set<Cid> reachableCids(RepoStore store) {
        var head = store.head();
        var out = new HashSet<Cid>();
        out.add(head.cid());
        head.data().walkNodes((cid, bytes) -> out.add(cid));
        head.data().walk(e -> out.add(e.value()));
        return out;
    }

    // ---- genesis ----

    @Test
    void firstOpenCreatesASignedEmptyRepoAndSequencesIt() {
        var head = store.head();
        assertThat(head.did()).isEqualTo(DID);
        assertThat(head.data().isEmpty()).isTrue();
        assertThat(head.commit().verify(key.publicKey())).isTrue();
        var events = seq.after(0, 10);
        assertThat(events).hasSize(1);
        var e = events.getFirst();
        assertThat(e.seq()).isEqualTo(1);
        assertThat(e.type()).isEqualTo("commit");
        var body = e.decodeBody();
        assertThat(body.get("commit")).isEqualTo(head.cid());
        assertThat(body.get("rev")).isEqualTo(head.rev());
        assertThat(body).containsEntry("since", null).doesNotContainKey("prevData");
        assertThat((List<?>) body.get("ops")).isEmpty();
        var car = CarReader.readAll((byte[]) body.get("blocks"));
        assertThat(car.root()).isEqualTo(head.cid());
        assertThat(car.blocks()).containsKeys(head.cid(), head.data().root());
        assertThat(storedCids()).isEqualTo(reachableCids());
    }

    @Test
    void reopeningLoadsTheSameHeadWithoutANewEvent() {
        create("a1", "hello");
        var head = store.head();
        db.close();
        db = testDb.open();
        seq = new SequenceLog(db, SequenceLog.DEFAULT_RETENTION, () -> 1); // counts from 1: these tests name seqs
        store = RepoStore.open(db, DID, key, seq);
        assertThat(store.head().cid()).isEqualTo(head.cid());
        assertThat(seq.lastSeq()).isEqualTo(2);
        var next = create("a2", "again");
        assertThat(next.rev()).isGreaterThan(head.rev());
        assertThat(next.seq()).isEqualTo(3);
    }

    @Test
    void refusesADatabaseOfAnotherAccount() {
        assertThatThrownBy(() -> RepoStore.open(db, "did:web:other.example.com", key, seq))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining(DID);
    }

    // ---- writes ----

    @Test
    void createUpdateDeleteKeepRecordsBlocksAndMstInStep() {
        var c1 = create("a1", "one");
        var rec = store.getRecord(POST, "a1", null);
        assertThat(rec.uri()).isEqualTo("at://" + DID + "/" + POST + "/a1");
        assertThat(rec.value()).containsEntry("text", "one").containsEntry("$type", POST);
        assertThat(store.head().get(POST + "/a1")).isEqualTo(rec.cid());
        assertThat(c1.rev()).isEqualTo(store.head().rev());

        var updated = post("two");
        var c2 = store.applyWrites(List.of(new PreparedWrite.Update(POST, "a1", updated)), null);
        assertThat(c2.rev()).isGreaterThan(c1.rev());
        assertThat(store.getRecord(POST, "a1", null).cid()).isEqualTo(updated.cid());
        assertThat(store.getRecord(POST, "a1", rec.cid())).as("old version").isNull();
        assertThat(store.getRecord(POST, "a1", updated.cid())).isNotNull();
        assertThat(storedCids()).isEqualTo(reachableCids());

        store.applyWrites(List.of(new PreparedWrite.Delete(POST, "a1")), null);
        assertThat(store.getRecord(POST, "a1", null)).isNull();
        assertThat(store.head().data().isEmpty()).isTrue();
        assertThat(count("record")).isZero();
        assertThat(storedCids()).isEqualTo(reachableCids());
    }

    @Test
    void concurrentReadsEachGetTheirOwnRecordAndSeeEveryAcknowledgedWrite() throws Exception {
        var writes = new ArrayList<PreparedWrite>();
        for (int i = 0; i < 40; i++) writes.add(new PreparedWrite.Create(POST, "r" + i, post("text " + i)));
        store.applyWrites(writes, null);
        var wrong = new java.util.concurrent.atomic.AtomicInteger();
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 16; t++) {
                int seed = t;
                pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        int n = (seed * 13 + i) % 50; // 40-49 do not exist
                        var rec = store.getRecord(POST, "r" + n, null);
                        var text = rec == null ? null : rec.value().get("text");
                        // r0-r9 are updated meanwhile, so either version is right for them.
                        boolean right = n < 40 ? ("text " + n).equals(text) || n < 10 && ("again " + n).equals(text) : rec == null;
                        if (!right) wrong.incrementAndGet();
                    }
                });
            }
            // A write acknowledged while reads are in flight is seen by every read asked after it.
            for (int i = 0; i < 10; i++) {
                store.applyWrites(List.of(new PreparedWrite.Update(POST, "r" + i, post("again " + i))), null);
                var rec = store.getRecord(POST, "r" + i, null);
                if (!("again " + i).equals(rec.value().get("text"))) wrong.incrementAndGet();
            }
        }
        assertThat(wrong).hasValue(0);
    }

    @Test
    void sharedRecordContentOutlivesOneOfItsRecords() {
        var same = post("same");
        store.applyWrites(List.of(new PreparedWrite.Create(POST, "a1", same), new PreparedWrite.Create(POST, "a2", same)), null);
        store.applyWrites(List.of(new PreparedWrite.Delete(POST, "a1")), null);
        assertThat(store.getRecord(POST, "a2", null).value()).containsEntry("text", "same");
        assertThat(storedCids()).contains(same.cid()).isEqualTo(reachableCids());
        store.applyWrites(List.of(new PreparedWrite.Delete(POST, "a2")), null);
        assertThat(storedCids()).doesNotContain(same.cid()).isEqualTo(reachableCids());
    }

    @Test
    void manyRandomWritesLeaveExactlyTheReachableBlocksAndAValidRepo() {
        var rnd = new Random(7);
        var model = new TreeMap<String, Cid>();
        for (int round = 0; round < 60; round++) {
            var writes = new ArrayList<PreparedWrite>();
            var touched = new HashSet<String>();
            for (int i = 0; i < 1 + rnd.nextInt(8); i++) {
                var rkey = "k" + rnd.nextInt(40);
                if (!touched.add(rkey)) continue;
                var rec = post("t" + rnd.nextInt(20)); // repeated texts: shared record blocks
                if (!model.containsKey(rkey)) {
                    writes.add(new PreparedWrite.Create(POST, rkey, rec));
                    model.put(rkey, rec.cid());
                } else if (rnd.nextBoolean()) {
                    writes.add(new PreparedWrite.Update(POST, rkey, rec));
                    model.put(rkey, rec.cid());
                } else {
                    writes.add(new PreparedWrite.Delete(POST, rkey));
                    model.remove(rkey);
                }
            }
            store.applyWrites(writes, null);
        }
        var fromDb = new TreeMap<String, Cid>();
        for (var r : store.listRecords(POST, 100, null, true)) fromDb.put(r.rkey(), r.cid());
        assertThat(fromDb).isEqualTo(model);
        assertThat(storedCids()).isEqualTo(reachableCids());
        var verified = RepoVerifier.verify(store.blocks(), store.head().cid(), DID, key.publicKey(), true);
        assertThat(verified.recordCount()).isEqualTo(model.size());
    }

    @Test
    void aBatchMayDeleteAndRecreateTheSameKey() {
        create("a1", "one");
        var again = post("again");
        store.applyWrites(List.of(new PreparedWrite.Delete(POST, "a1"), new PreparedWrite.Create(POST, "a1", again)), null);
        assertThat(store.getRecord(POST, "a1", null).cid()).isEqualTo(again.cid());
        store.applyWrites(List.of(new PreparedWrite.Create(POST, "b1", again), new PreparedWrite.Delete(POST, "b1")), null);
        assertThat(store.getRecord(POST, "b1", null)).isNull();
        assertThat(count("record")).isEqualTo(1);
        assertThat(storedCids()).isEqualTo(reachableCids());
    }

    @Test
    void commitEventCarriesEverythingToVerifyAndInvertTheCommit() throws Exception {
        create("a1", "one");
        create("a2", "two");
        var before = store.head();
        var newRec = post("three");
        var upd = post("one, edited");
        var applied = store.applyWrites(List.of(
                new PreparedWrite.Create(POST, "a3", newRec),
                new PreparedWrite.Update(POST, "a1", upd),
                new PreparedWrite.Delete(POST, "a2")), null);
        var event = seq.get(applied.seq());
        assertThat(event.type()).isEqualTo("commit");
        assertThat(event.did()).isEqualTo(DID);
        var body = event.decodeBody();
        assertThat(body).containsEntry("seq", applied.seq()).containsEntry("repo", DID)
                .containsEntry("commit", applied.cid()).containsEntry("rev", applied.rev())
                .containsEntry("since", before.rev()).containsEntry("prevData", before.data().root())
                .containsEntry("rebase", false).containsEntry("tooBig", false).containsEntry("blobs", List.of())
                .containsEntry("time", event.time());
        @SuppressWarnings("unchecked")
        var ops = (List<Map<String, Object>>) body.get("ops");
        assertThat(ops).hasSize(3);
        assertThat(ops.get(0)).containsEntry("action", "update").containsEntry("path", POST + "/a1")
                .containsEntry("cid", upd.cid()).containsEntry("prev", before.get(POST + "/a1"));
        assertThat(ops.get(1)).containsEntry("action", "delete").containsEntry("path", POST + "/a2")
                .containsEntry("cid", null).containsEntry("prev", before.get(POST + "/a2"));
        assertThat(ops.get(2)).containsEntry("action", "create").containsEntry("path", POST + "/a3")
                .containsEntry("cid", newRec.cid()).doesNotContainKey("prev");

        var car = CarReader.readAll((byte[]) body.get("blocks"));
        assertThat(car.root()).isEqualTo(applied.cid());
        var blocks = new BlockMap(car.blocks());
        assertThat(car.blocks()).containsKeys(newRec.cid(), upd.cid());
        var commit = Proofs.verifyCommit(blocks, applied.cid(), DID, key.publicKey());
        assertThat(Proofs.verifyKey(blocks, commit.data(), POST + "/a3")).isEqualTo(newRec.cid());
        assertThat(Proofs.verifyKey(blocks, commit.data(), POST + "/a2")).isNull();
        // Sync 1.1: undoing the ops on the partial tree from the event alone yields prevData.
        var tree = Mst.load(blocks, commit.data());
        for (var op : ops) {
            var path = (String) op.get("path");
            tree = switch ((String) op.get("action")) {
                case "create" -> tree.delete(path);
                case "update" -> tree.update(path, (Cid) op.get("prev"));
                default -> tree.add(path, (Cid) op.get("prev"));
            };
        }
        assertThat(tree.root()).isEqualTo(before.data().root());
        // The frame is the header then the body, byte for byte.
        var frame = event.frame();
        assertThat(java.util.Arrays.copyOfRange(frame, frame.length - event.body().length, frame.length)).isEqualTo(event.body());
    }

    @Test
    void listenersHearEachCommittedSeqInOrder() {
        var heard = new ArrayList<Long>();
        seq.addListener(heard::add);
        var a = create("a1", "one");
        var b = create("a2", "two");
        assertThat(heard).containsExactly(a.seq(), b.seq());
        assertThatThrownBy(() -> create("a1", "dup")).isInstanceOf(RepoWriteException.class);
        assertThat(heard).hasSize(2);
    }

    @Test
    void aFailureInsideTheTransactionLeavesNothingBehind() {
        create("a1", "one");
        var head = store.head();
        var blocks = storedCids();
        long records = count("record");
        long last = seq.lastSeq();
        var heard = new ArrayList<Long>();
        seq.addListener(heard::add);
        store.addTransactionHook((c, writes, commit) -> {
            throw new SQLException("disk on fire");
        });
        assertThatThrownBy(() -> store.applyWrites(List.of(
                new PreparedWrite.Create(POST, "a2", post("two")),
                new PreparedWrite.Delete(POST, "a1")), null)).isInstanceOf(StoreException.class);
        assertThat(store.head()).isSameAs(head);
        assertThat(storedCids()).isEqualTo(blocks);
        assertThat(count("record")).isEqualTo(records);
        assertThat(store.getRecord(POST, "a1", null)).isNotNull();
        assertThat(seq.lastSeq()).isEqualTo(last);
        assertThat(heard).isEmpty();
        Cid root = db.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT cid FROM repo_root")) {
                rs.next();
                return Cid.fromBytes(rs.getBytes(1));
            }
        });
        assertThat(root).isEqualTo(head.cid());
    }

    @Test
    void concurrentWritersAreGroupCommittedEachAsItsOwnCommit() throws Exception {
        var heard = java.util.Collections.synchronizedList(new ArrayList<Long>());
        seq.addListener(heard::add);
        create("dup", "taken");
        int threads = 8, each = 40;
        var failures = new java.util.concurrent.atomic.AtomicInteger();
        var commits = java.util.concurrent.ConcurrentHashMap.<AppliedCommit>newKeySet();
        var pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        var start = new java.util.concurrent.CountDownLatch(1);
        var futures = new ArrayList<java.util.concurrent.Future<?>>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            futures.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < each; i++) {
                    if (i % 10 == 5) { // interleave refused writes: they must not take others down
                        try {
                            create("dup", "again");
                        } catch (RepoWriteException e) {
                            failures.incrementAndGet();
                        }
                    } else {
                        commits.add(create("t" + id + "-" + i, "x" + id + "-" + i));
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (var f : futures) f.get();
        pool.shutdown();
        assertThat(failures.get()).isEqualTo(threads * (each / 10));
        int expected = threads * (each - each / 10);
        assertThat(commits).hasSize(expected);
        assertThat(count("record")).isEqualTo(expected + 1);
        // every commit got its own event, seqs are contiguous, and listeners heard them in order
        var events = seq.after(0, 10_000);
        assertThat(events).hasSize(expected + 2);
        for (int i = 0; i < events.size(); i++) assertThat(events.get(i).seq()).isEqualTo(i + 1);
        assertThat(heard).isSorted().hasSize(expected + 1);
        // the events chain: each commit's since is the previous commit's rev
        for (int i = 1; i < events.size(); i++) {
            assertThat(events.get(i).decodeBody().get("since")).isEqualTo(events.get(i - 1).decodeBody().get("rev"));
        }
        assertThat(storedCids()).isEqualTo(reachableCids());
        RepoVerifier.verify(store.blocks(), store.head().cid(), DID, key.publicKey(), true);
    }

    @Test
    void aFailingRequestInAGroupLeavesTheOthersCommitted() throws Exception {
        // A planner that blocks holds the lock while others queue up behind it, forming one group.
        var entered = new java.util.concurrent.CountDownLatch(1);
        var release = new java.util.concurrent.CountDownLatch(1);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(5); // the first and the four behind it
        var first = pool.submit(() -> store.commit((repo, c) -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return List.of(new PreparedWrite.Create(POST, "g0", post("first")));
        }, null));
        entered.await();
        var ok = pool.submit(() -> create("g1", "ok"));
        var bad = pool.submit(() -> store.applyWrites(List.of(new PreparedWrite.Delete(POST, "missing")), null));
        var hookFails = new PreparedWrite.Create(POST, "g2", post("hooked"));
        store.addTransactionHook((c, writes, commit) -> {
            if (writes.contains(hookFails)) throw new SQLException("refused by hook");
        });
        var sqlBad = pool.submit(() -> store.applyWrites(List.of(hookFails), null));
        var ok2 = pool.submit(() -> create("g3", "ok too"));
        var before = store.batches();
        long deadline = System.currentTimeMillis() + 10_000;
        while (store.queuedWrites() < 4 && System.currentTimeMillis() < deadline) Thread.sleep(1);
        assertThat(store.queuedWrites()).as("requests queued behind the held writer").isEqualTo(4);
        release.countDown();
        assertThat(first.get()).isNotNull();
        assertThat(ok.get()).isNotNull();
        assertThat(ok2.get()).isNotNull();
        assertThatThrownBy(bad::get).hasCauseInstanceOf(RepoWriteException.class);
        assertThatThrownBy(sqlBad::get).hasCauseInstanceOf(StoreException.class);
        pool.shutdown();
        // The four queued while the first held the writer: one transaction carried them all.
        var after = store.batches();
        assertThat(new long[] {after[0] - before[0], after[1] - before[1]}).containsExactly(1, 4);
        for (var k : List.of("g0", "g1", "g3")) assertThat(store.getRecord(POST, k, null)).as(k).isNotNull();
        assertThat(store.getRecord(POST, "g2", null)).isNull();
        assertThat(seq.lastSeq()).isEqualTo(4);
        assertThat(storedCids()).isEqualTo(reachableCids());
        RepoVerifier.verify(store.blocks(), store.head().cid(), DID, key.publicKey(), true);
    }

    /**
     * A batch writes its blocks once, netted ({@link BlockChanges}); the outcome must be what its
     * commits would have left one by one: the same blocks, each at the rev of the commit that last
     * wrote it. The first batch's requests delete, re-create and update keys of the tree stored before
     * it and of each other, with record contents shared between records. In the second, a key is
     * deleted and created again twice, so the whole tree is dropped and comes back, twice.
     */
    @Test
    void aBatchLeavesTheBlocksItsCommitsWouldHaveLeftOneByOne() throws Exception {
        var mixed = new ArrayList<RepoStore.Planner>();
        for (int r = 0; r < 12; r++) {
            int id = r;
            mixed.add((head, c) -> {
                var writes = new ArrayList<PreparedWrite>();
                for (int k : new java.util.LinkedHashSet<>(List.of(id * 3 % 20, (id * 7 + 1) % 20, 20 + id % 4))) {
                    var rkey = "k" + k;
                    if (head.get(POST + "/" + rkey) == null) writes.add(new PreparedWrite.Create(POST, rkey, post("t" + k % 5)));
                    else if (id % 2 == 0) writes.add(new PreparedWrite.Delete(POST, rkey));
                    else writes.add(new PreparedWrite.Update(POST, rkey, post("u" + id % 3)));
                }
                return writes;
            });
        }
        RepoStore.Planner toggle = (head, c) -> List.of(head.get(POST + "/k3") == null
                ? new PreparedWrite.Create(POST, "k3", post("t3")) : new PreparedWrite.Delete(POST, "k3"));
        var batches = List.of(mixed, List.of(toggle, toggle, toggle, toggle));

        for (int i = 0; i < 20; i++) create("k" + i, "t" + i % 5);
        var inOrder = new ArrayList<RepoStore.Planner>();
        for (var batch : batches) inOrder.addAll(runAsOneBatch(batch));

        // The same commits one by one, in the same order, on a database of their own.
        var otherDb = TestDatabase.create(dialect, Files.createDirectories(dir.resolve("one-by-one"))).open();
        try {
            var otherSeq = new SequenceLog(otherDb, SequenceLog.DEFAULT_RETENTION, () -> 1);
            var other = RepoStore.open(otherDb, DID, key, otherSeq);
            for (int i = 0; i < 20; i++) other.applyWrites(List.of(new PreparedWrite.Create(POST, "k" + i, post("t" + i % 5))), null);
            for (var planner : inOrder) other.commit(planner, null);

            assertThat(store.head().data().root()).isEqualTo(other.head().data().root());
            assertThat(storedCids()).isEqualTo(reachableCids());
            assertThat(blocksByCommit(db, seq, store)).isEqualTo(blocksByCommit(otherDb, otherSeq, other));
        } finally {
            otherDb.close();
        }
        RepoVerifier.verify(store.blocks(), store.head().cid(), DID, key.publicKey(), true);
    }

    /**
     * Commits {@code planners} in one group-commit transaction (they queue while a planner that does
     * nothing holds the writer), and returns them in the order the batch ran them.
     */
    List<RepoStore.Planner> runAsOneBatch(List<RepoStore.Planner> planners) throws Exception {
        var entered = new java.util.concurrent.CountDownLatch(1);
        var release = new java.util.concurrent.CountDownLatch(1);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(planners.size() + 1);
        try {
            var held = pool.submit(() -> store.commit((repo, c) -> {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return null;
            }, null));
            entered.await();
            var futures = new ArrayList<java.util.concurrent.Future<AppliedCommit>>();
            for (var planner : planners) futures.add(pool.submit(() -> store.commit(planner, null)));
            long deadline = System.currentTimeMillis() + 10_000;
            while (store.queuedWrites() < planners.size() && System.currentTimeMillis() < deadline) Thread.sleep(1);
            var before = store.batches();
            release.countDown();
            held.get();
            var order = new TreeMap<Long, RepoStore.Planner>(); // by seq
            for (int i = 0; i < planners.size(); i++) order.put(futures.get(i).get().seq(), planners.get(i));
            var after = store.batches();
            assertThat(new long[] {after[0] - before[0], after[1] - before[1]}).containsExactly(1, planners.size());
            return new ArrayList<>(order.values());
        } finally {
            pool.shutdown();
        }
    }

    /** Each stored block but the head's commit, and which commit (by its place in the log) wrote it. */
    static Map<Cid, Integer> blocksByCommit(Database db, SequenceLog seq, RepoStore store) {
        var ordinal = new HashMap<Object, Integer>();
        for (var event : seq.after(0, 10_000)) ordinal.put(event.decodeBody().get("rev"), ordinal.size());
        return db.read(c -> {
            var out = new HashMap<Cid, Integer>();
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT cid, rev FROM repo_block")) {
                while (rs.next()) {
                    var cid = Cid.fromBytes(rs.getBytes(1));
                    if (!cid.equals(store.head().cid())) out.put(cid, ordinal.get(rs.getString(2)));
                }
            }
            return out;
        });
    }

    // ---- refusals: nothing written ----

    void assertRefused(Runnable write, String error, String message) {
        var head = store.head();
        long last = seq.lastSeq();
        var blocks = storedCids();
        assertThatThrownBy(write::run).isInstanceOfSatisfying(RepoWriteException.class, e -> {
            assertThat(e.error()).isEqualTo(error);
            assertThat(e.getMessage()).contains(message);
        });
        assertThat(store.head()).isSameAs(head);
        assertThat(seq.lastSeq()).isEqualTo(last);
        assertThat(storedCids()).isEqualTo(blocks);
    }

    @Test
    void refusesWritesThatDoNotFitTheRepository() {
        var c1 = create("a1", "one");
        assertRefused(() -> create("a1", "again"), "InvalidRequest", "already exists");
        assertRefused(() -> store.applyWrites(List.of(new PreparedWrite.Update(POST, "zz", post("x"))), null), "InvalidRequest", "Could not find record");
        assertRefused(() -> store.applyWrites(List.of(new PreparedWrite.Delete(POST, "zz")), null), "InvalidRequest", "Could not find record");
        var tooMany = new ArrayList<PreparedWrite>();
        for (int i = 0; i < 201; i++) tooMany.add(new PreparedWrite.Delete(POST, "k" + i));
        assertRefused(() -> store.applyWrites(tooMany, null), "InvalidRequest", "Too many writes. Max: 200");
        // a later write in the batch fails: the earlier ones are not applied either
        assertRefused(() -> store.applyWrites(List.of(new PreparedWrite.Create(POST, "b1", post("b")),
                new PreparedWrite.Delete(POST, "nope")), null), "InvalidRequest", "Could not find record");
        assertThat(store.head().cid()).isEqualTo(c1.cid());
    }

    @Test
    void swapCommitAndSwapRecordFollowTheReferenceRules() {
        var c1 = create("a1", "one");
        var cur = store.head().get(POST + "/a1");
        var stale = Cid.ofDagCbor(new byte[] {(byte) 0xa0});
        assertRefused(() -> store.applyWrites(List.of(new PreparedWrite.Create(POST, "a2", post("x"))), stale),
                "InvalidSwap", "Commit was at " + c1.cid());
        assertRefused(() -> store.applyWrites(List.of(new PreparedWrite.Update(POST, "a1", post("x"), new RecordSwap(stale))), null),
                "InvalidSwap", "Record was at " + cur);
        assertRefused(() -> store.applyWrites(List.of(new PreparedWrite.Update(POST, "a1", post("x"), RecordSwap.ABSENT)), null),
                "InvalidSwap", "Record was at " + cur);
        assertRefused(() -> store.applyWrites(List.of(new PreparedWrite.Delete(POST, "a1", new RecordSwap(stale))), null),
                "InvalidSwap", "Record was at " + cur);
        assertRefused(() -> store.applyWrites(List.of(new PreparedWrite.Create(POST, "a2", post("x"), new RecordSwap(cur))), null),
                "InvalidSwap", "Record was at null");

        var c2 = store.applyWrites(List.of(new PreparedWrite.Update(POST, "a1", post("x"), new RecordSwap(cur))), c1.cid());
        assertThat(c2.rev()).isGreaterThan(c1.rev());
        store.applyWrites(List.of(new PreparedWrite.Create(POST, "a2", post("y"), RecordSwap.ABSENT)), c2.cid());
        assertThat(store.getRecord(POST, "a2", null)).isNotNull();
    }

    @Test
    void plannerReturningNullCommitsNothing() {
        var head = store.head();
        assertThat(store.commit((repo, c) -> null, Cid.ofDagCbor(new byte[] {(byte) 0xa0}))).isNull();
        assertThat(store.head()).isSameAs(head);
        assertThat(seq.lastSeq()).isEqualTo(1);
    }

    @Test
    void emptyBatchMakesAnEmptyCommit() {
        var before = store.head();
        var applied = store.applyWrites(List.of(), null);
        assertThat(applied.rev()).isGreaterThan(before.rev());
        assertThat(store.head().data().root()).isEqualTo(before.data().root());
        assertThat((List<?>) seq.get(applied.seq()).decodeBody().get("ops")).isEmpty();
        assertThat(storedCids()).isEqualTo(reachableCids());
    }

    @Test
    void eventsOverTwoMegabytesAreRefused() {
        var big = "x".repeat(900_000);
        var writes = new ArrayList<PreparedWrite>();
        for (int i = 0; i < 3; i++) {
            writes.add(new PreparedWrite.Create(POST, "big" + i,
                    prepare(POST, "big" + i, "{\"text\":\"" + big + i + "\",\"createdAt\":\"2024-01-01T00:00:00.000Z\"}", false)));
        }
        assertRefused(() -> store.applyWrites(writes, null), "InvalidRequest", "Max event size: 2MB");
    }

    // ---- reads ----

    @Test
    void listRecordsPagesNewestFirstOrReversedWithRkeyCursors() {
        for (var k : List.of("a", "b", "c", "d", "e")) create(k, k);
        store.applyWrites(List.of(new PreparedWrite.Create("app.bsky.feed.like", "3jzfcijpj2z2b",
                prepare("app.bsky.feed.like", "3jzfcijpj2z2b", "{\"subject\":{\"uri\":\"at://did:plc:abc/app.bsky.feed.post/1\",\"cid\":\"bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm\"},\"createdAt\":\"2024-01-01T00:00:00.000Z\"}", null))), null);
        assertThat(store.listRecords(POST, 2, null, false)).extracting(StoredRecord::rkey).containsExactly("e", "d");
        assertThat(store.listRecords(POST, 2, "d", false)).extracting(StoredRecord::rkey).containsExactly("c", "b");
        assertThat(store.listRecords(POST, 10, "b", false)).extracting(StoredRecord::rkey).containsExactly("a");
        assertThat(store.listRecords(POST, 3, null, true)).extracting(StoredRecord::rkey).containsExactly("a", "b", "c");
        assertThat(store.listRecords(POST, 3, "c", true)).extracting(StoredRecord::rkey).containsExactly("d", "e");
        assertThat(store.listRecords("app.bsky.feed.repost", 3, null, true)).isEmpty();
        assertThat(store.listCollections()).containsExactly("app.bsky.feed.like", POST);
    }

    @Test
    void blockSourceCachesReadsWithinItsBudget() {
        for (int i = 0; i < 30; i++) create("k" + i, "t" + i);
        var source = new SqlBlockSource(db, 2_000);
        var root = store.head().data().root();
        var bytes = source.get(root);
        assertThat(bytes).isNotNull();
        assertThat(source.cachedBytes()).isEqualTo(bytes.length);
        db.write(c -> {
            try (var st = c.prepareStatement("DELETE FROM repo_block WHERE cid = ?")) {
                st.setBytes(1, root.bytes());
                st.executeUpdate();
            }
            return null;
        });
        assertThat(source.get(root)).as("served from the cache").isEqualTo(bytes);
        source.evict(List.of(root));
        assertThat(source.get(root)).isNull();
        // the budget holds however much is read
        var head = Mst.load(store.blocks(), store.head().data().root()); // still readable through the store's own cache
        var all = new ArrayList<Cid>();
        for (var e : head) all.add(e.value());
        for (var cid : all) source.get(cid);
        assertThat(source.cachedBytes()).isLessThanOrEqualTo(2_000);
    }

    // ---- record index side tables ----

    @Test
    void blobReferencesAndBacklinksFollowTheRecord() {
        var img = "bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm";
        var withImage = prepare(POST, "3jzfcijpj2z2c", "{\"text\":\"pic\",\"createdAt\":\"2024-01-01T00:00:00.000Z\",\"embed\":{\"$type\":\"app.bsky.embed.images\",\"images\":[{\"alt\":\"\",\"image\":{\"$type\":\"blob\",\"ref\":{\"$link\":\"" + img + "\"},\"mimeType\":\"image/png\",\"size\":10}}]}}", null);
        assertThat(withImage.blobs()).extracting(Cid::toString).containsExactly(img);
        store.applyWrites(List.of(new PreparedWrite.Create(POST, "p1", withImage)), null);
        var uri = store.records().uri(POST, "p1");
        assertThat(store.records().blobsOf(uri)).containsExactly(img);
        store.applyWrites(List.of(new PreparedWrite.Update(POST, "p1", post("no pic"))), null);
        assertThat(store.records().blobsOf(uri)).isEmpty();

        var follow = prepare("app.bsky.graph.follow", "3jzfcijpj2z2d", "{\"subject\":\"did:plc:bob\",\"createdAt\":\"2024-01-01T00:00:00.000Z\"}", null);
        store.applyWrites(List.of(new PreparedWrite.Create("app.bsky.graph.follow", "f1", follow)), null);
        var conflicts = db.read(c -> store.records().backlinkConflicts(c, "app.bsky.graph.follow", follow.value()));
        assertThat(conflicts).containsExactly("f1");
        List<String> none = db.read(c -> store.records().backlinkConflicts(c, "app.bsky.graph.block", follow.value()));
        assertThat(none).isEmpty();
        store.applyWrites(List.of(new PreparedWrite.Delete("app.bsky.graph.follow", "f1")), null);
        List<String> gone = db.read(c -> store.records().backlinkConflicts(c, "app.bsky.graph.follow", follow.value()));
        assertThat(gone).isEmpty();
        assertThat(count("backlink")).isZero();
    }

    /** More statements than PendingWrites sends joined: on PostgreSQL they go as batches, one per kind. */
    @Test
    void aLongBatchKeepsTheSideTablesInStep() {
        var follow = "app.bsky.graph.follow";
        var n = 3 * PendingWrites.MAX_JOINED;
        var creates = new ArrayList<PreparedWrite>();
        var updates = new ArrayList<PreparedWrite>();
        var deletes = new ArrayList<PreparedWrite>();
        for (int i = 0; i < n; i++) {
            var json = "{\"subject\":\"did:plc:bob%d\",\"createdAt\":\"2024-01-01T00:00:00.000Z\"}";
            creates.add(new PreparedWrite.Create(follow, "f" + i, prepare(follow, "3jzfcijpj2z2d", json.formatted(i), null)));
            updates.add(new PreparedWrite.Update(follow, "f" + i, prepare(follow, "3jzfcijpj2z2d", json.formatted(n + i), null)));
            deletes.add(new PreparedWrite.Delete(follow, "f" + i));
        }
        store.applyWrites(creates, null);
        assertThat(count("record")).isEqualTo(n);
        assertThat(count("backlink")).isEqualTo(n);
        store.applyWrites(updates, null); // each key's old backlink deleted before its new one is inserted
        assertThat(count("backlink")).isEqualTo(n);
        List<String> old = db.read(c -> store.records().backlinkConflicts(c, follow, Map.of("$type", follow, "subject", "did:plc:bob0")));
        assertThat(old).isEmpty();
        List<String> now = db.read(c -> store.records().backlinkConflicts(c, follow, Map.of("$type", follow, "subject", "did:plc:bob" + n)));
        assertThat(now).containsExactly("f0");
        assertThat(storedCids()).isEqualTo(reachableCids());
        store.applyWrites(deletes, null);
        assertThat(count("record")).isZero();
        assertThat(count("backlink")).isZero();
        assertThat(storedCids()).isEqualTo(reachableCids());
    }

    /**
     * Two stores on one database, as two instances on one PostgreSQL database (or a command beside the
     * server on SQLite): each builds on the other's commits, never forks, and the firehose log stays
     * gap-free in commit order; a swapCommit made against the other's old head fails.
     */
    @Test
    void aSecondWriterOnTheSameDatabaseBuildsOnTheOthersHead() {
        var first = create("3jzfcijpj2z2a", "one");
        try (var db2 = testDb.open()) {
            var other = RepoStore.open(db2, DID, key, new SequenceLog(db2, SequenceLog.DEFAULT_RETENTION, () -> 1));
            var second = other.applyWrites(List.of(new PreparedWrite.Create(POST, "3jzfcijpj2z2b", post("two"))), null);
            assertThat(second.data().repo().get(POST + "/3jzfcijpj2z2a")).as("built on the first writer's commit").isNotNull();
            assertThat(second.seq()).isEqualTo(first.seq() + 1);

            assertThatThrownBy(() -> store.applyWrites(List.of(new PreparedWrite.Create(POST, "3jzfcijpj2z2c", post("three"))), first.cid()))
                    .isInstanceOf(RepoWriteException.class);
            var third = store.applyWrites(List.of(new PreparedWrite.Create(POST, "3jzfcijpj2z2c", post("three"))), second.cid());
            assertThat(third.seq()).isEqualTo(second.seq() + 1);
            assertThat(third.rev()).isGreaterThan(second.rev());
            assertThat(third.data().repo().get(POST + "/3jzfcijpj2z2b")).isNotNull();
            assertThat(store.head().cid()).isEqualTo(third.cid());

            var fourth = other.applyWrites(List.of(new PreparedWrite.Delete(POST, "3jzfcijpj2z2a")), null);
            assertThat(fourth.data().repo().get(POST + "/3jzfcijpj2z2c")).isNotNull();
            assertThat(fourth.data().repo().get(POST + "/3jzfcijpj2z2a")).isNull();
        }
        var head = store.applyWrites(List.of(new PreparedWrite.Create(POST, "3jzfcijpj2z2d", post("four"))), null);
        assertThat(head.data().repo().get(POST + "/3jzfcijpj2z2a")).isNull();
        assertThat(count("record")).isEqualTo(3);
        assertThat(storedCids()).isEqualTo(reachableCids());
    }

    /**
     * A store catching its head up while another keeps committing: the head it read may lose its blocks
     * to the next commit before it loads, and then it loads the newer one instead of failing.
     */
    @Test
    void refreshingTheHeadWhileAnotherWriterCommitsNeverFails() throws Exception {
        try (var db2 = testDb.open()) {
            var other = RepoStore.open(db2, DID, key, new SequenceLog(db2, SequenceLog.DEFAULT_RETENTION, () -> 1));
            var done = new java.util.concurrent.atomic.AtomicBoolean();
            var writer = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 150; i++) {
                        // each commit rewrites the same record, so the previous commit's blocks are dropped
                        other.applyWrites(List.of(i == 0 ? new PreparedWrite.Create(POST, "3jzfcijpj2z2a", post("v0"))
                                : new PreparedWrite.Update(POST, "3jzfcijpj2z2a", post("v" + i))), null);
                    }
                } finally {
                    done.set(true);
                }
            });
            int refreshes = 0;
            while (!done.get()) {
                store.refreshHead();
                refreshes++;
            }
            writer.get();
            store.refreshHead();
            assertThat(refreshes).isPositive();
            assertThat(store.head().cid()).isEqualTo(other.head().cid());
        }
    }

    @Test
    void anImportStagedInMemoryOrInATableGivesTheSameRepository() throws Exception {
        var clock = new dev.alteran.atproto.syntax.TidClock();
        for (int i = 0; i < 300; i++) create(clock.next().toString(), "post " + i);
        var car = dir.resolve("repo.car");
        try (var out = Files.newOutputStream(car)) {
            RepoExport.writeCar(db, out, Progress.NONE);
        }
        Files.createDirectories(dir.resolve("target"));
        var target = TestDatabase.create(dialect, dir.resolve("target")).open();
        try {
            var targetSeq = new SequenceLog(target, SequenceLog.DEFAULT_RETENTION, () -> 1);
            var index = new RecordIndex(target, DID);
            // The same CAR, staged in memory, then again (replacing) through the temporary table.
            var inMemory = target.write(c -> RepoImport.run(c, index, DID, key.publicKey(), null, false, false, null, targetSeq, false,
                    car, Progress.NONE, RepoImport.MEMORY_STAGING_BYTES));
            var inTable = target.write(c -> RepoImport.run(c, index, DID, key.publicKey(), null, false, true, null, targetSeq, false,
                    car, Progress.NONE, 0));
            for (var result : List.of(inMemory, inTable)) {
                assertThat(result.commit()).isEqualTo(store.head().cid());
                assertThat(result.records()).isEqualTo(300);
                assertThat(result.blocks()).isEqualTo(inMemory.blocks());
            }
            var report = RepoAudit.verify(target, DID, key.publicKey(), cid -> true, Progress.NONE);
            assertThat(report.problems()).isEmpty();
            assertThat(report.records()).isEqualTo(300);
        } finally {
            target.close();
        }
    }

    /**
     * A CAR staged in repo_block itself (too large for memory) keeps only what its commit reaches: the
     * commit written after the other blocks, a block nothing references, and records sharing a block;
     * then that CAR and a clean one signed again, which drops the CAR's own commit.
     */
    @Test
    void anImportStagedInRepoBlockKeepsOnlyWhatItsCommitReaches() throws Exception {
        var clock = new dev.alteran.atproto.syntax.TidClock();
        for (int i = 0; i < 200; i++) create(clock.next().toString(), i % 50 == 0 ? "the same post" : "post " + i);
        var exported = new java.io.ByteArrayOutputStream();
        RepoExport.writeCar(db, exported, Progress.NONE);
        var carFile = dev.alteran.atproto.car.CarReader.readAll(exported.toByteArray());
        var head = carFile.root();
        var stray = dev.alteran.atproto.data.DagCbor.encode(java.util.Map.of("nobody", "links here"));
        var strayCid = Cid.ofDagCbor(stray);
        var car = dir.resolve("stray.car");
        try (var out = new dev.alteran.atproto.car.CarWriter(Files.newOutputStream(car), head)) {
            out.write(strayCid, stray);
            carFile.blocks().forEach((cid, bytes) -> {
                if (!cid.equals(head)) out.write(cid, bytes);
            });
            out.write(head, carFile.blocks().get(head));
        }
        Files.createDirectories(dir.resolve("target"));
        var target = TestDatabase.create(dialect, dir.resolve("target")).open();
        try {
            var targetSeq = new SequenceLog(target, SequenceLog.DEFAULT_RETENTION, () -> 1);
            var index = new RecordIndex(target, DID);
            var kept = target.write(c -> RepoImport.run(c, index, DID, key.publicKey(), null, false, false, null, targetSeq, false,
                    car, Progress.NONE, 0));
            assertThat(kept.commit()).isEqualTo(head);
            assertThat(storedCids(target)).isEqualTo(storedCids()).doesNotContain(strayCid);
            assertThat(kept.blocks()).isEqualTo(storedCids().size());

            // Signed again: the stray CAR, and the clean one (where the staged blocks add up, so no second walk).
            var clean = dir.resolve("clean.car");
            Files.write(clean, exported.toByteArray());
            for (var file : List.of(car, clean)) {
                var other = Keypair.generate(Curve.K256);
                var resigned = target.write(c -> RepoImport.run(c, index, DID, null, other, false, true, null, targetSeq, false,
                        file, Progress.NONE, 0));
                assertThat(resigned.commit()).isNotEqualTo(head);
                var expected = new HashSet<>(storedCids());
                expected.remove(head);
                expected.add(resigned.commit());
                assertThat(storedCids(target)).isEqualTo(expected);
                var report = RepoAudit.verify(target, DID, other.publicKey(), cid -> true, Progress.NONE);
                assertThat(report.problems()).isEmpty();
                assertThat(report.unreachableBlocks()).isZero();
                assertThat(report.records()).isEqualTo(200);
            }
        } finally {
            target.close();
        }
    }
}
