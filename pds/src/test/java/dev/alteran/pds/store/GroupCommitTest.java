package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer thread of {@link GroupCommit}: it ends when idle and is started again, and no caller is left waiting. */
class GroupCommitTest {
    @TempDir
    Path dir;
    Database db;

    @BeforeEach
    void open() {
        db = Database.openSqlite(dir.resolve("test.sqlite"));
    }

    @AfterEach
    void close() {
        db.close();
    }

    /** Work that runs one statement and answers 1. */
    static GroupCommit.Work<Integer> one(Set<Thread> writers) {
        return (c, previous, alone) -> {
            writers.add(Thread.currentThread());
            try (var st = c.createStatement()) {
                st.execute("SELECT 1");
            }
            return 1;
        };
    }

    /**
     * A writer that ends as soon as it finds no work, and callers that each submit again the moment
     * they are answered: writers end and start all the time, and every request must be answered.
     * One caller alone has no other caller whose request would start a writer for it, so the callers
     * run one, then eight, at a time. (The narrowest case, a request queued between the writer finding
     * the queue empty and saying it ended, is left to the re-check in {@code GroupCommit.write}: a
     * caller woken by the writer is not scheduled again within that window, so this cannot produce it.)
     */
    @Test
    void everyRequestIsAnsweredWhileTheWriterEndsAndStartsAgain() throws Exception {
        for (int threads : new int[] {1, 8}) {
            var committed = new AtomicInteger();
            var writers = ConcurrentHashMap.<Thread>newKeySet();
            var group = new GroupCommit<Integer>(db, 0, (c, written) -> {}, written -> committed.addAndGet(written.size()));
            int each = 2_000;
            var answered = new AtomicInteger();
            var callers = new ArrayList<Thread>();
            for (int t = 0; t < threads; t++) {
                callers.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < each; i++) answered.addAndGet(group.submit(one(writers)));
                }));
            }
            for (var caller : callers) assertThat(caller.join(Duration.ofSeconds(60))).as("every caller answered").isTrue();
            assertThat(answered.get()).isEqualTo(threads * each);
            assertThat(committed.get()).isEqualTo(threads * each);
            assertThat(writers).as("writer threads, one after another").hasSizeGreaterThan(1)
                    .allSatisfy(w -> assertThat(w.getName()).isEqualTo(GroupCommit.WRITER_THREAD));
        }
    }

    /**
     * An Error in the second piece of a batch rolls back the whole transaction: the first piece, which
     * had run, must not be told it succeeded.
     */
    @Test
    void anErrorInABatchLeavesNoCallerToldItsWorkCommitted() throws Exception {
        var group = new GroupCommit<Integer>(db, 60_000, (c, written) -> {}, written -> {});
        db.write(c -> c.createStatement().executeUpdate("CREATE TABLE t (x INTEGER)"));
        var entered = new java.util.concurrent.CountDownLatch(1);
        var release = new java.util.concurrent.CountDownLatch(1);
        var held = Thread.ofVirtual().start(() -> group.submit((c, previous, alone) -> { // holds the writer while the batch queues
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return 0;
        }));
        entered.await();
        var outcomes = new java.util.concurrent.ConcurrentHashMap<String, Throwable>();
        var first = Thread.ofVirtual().start(() -> outcomes.put("first", failureOf(() -> group.submit((c, previous, alone) -> {
            try (var st = c.createStatement()) {
                st.executeUpdate("INSERT INTO t VALUES (1)");
            }
            return 1;
        }))));
        while (group.queued() < 1) Thread.onSpinWait();
        var second = Thread.ofVirtual().start(() -> outcomes.put("second", failureOf(() -> group.submit((c, previous, alone) -> {
            throw new AssertionError("an Error, not an exception");
        }))));
        while (group.queued() < 2) Thread.onSpinWait();
        release.countDown();
        for (var t : List.of(held, first, second)) assertThat(t.join(Duration.ofSeconds(30))).isTrue();
        assertThat(outcomes.get("first")).as("the first piece's caller").isInstanceOf(StoreException.class).hasCauseInstanceOf(AssertionError.class);
        assertThat(outcomes.get("second")).isInstanceOf(StoreException.class).hasCauseInstanceOf(AssertionError.class);
        int rows = db.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*) FROM t")) {
                rs.next();
                return rs.getInt(1);
            }
        });
        assertThat(rows).isZero();
    }

    /** What {@code action} threw, or a marker that it returned. */
    static Throwable failureOf(Runnable action) {
        try {
            action.run();
            return new AssertionError("returned");
        } catch (Throwable e) {
            return e;
        }
    }

    /** An Error (not an exception) in a piece: its caller gets it, what the piece wrote is rolled back, and the writer goes on. */
    @Test
    void anErrorInAPieceAnswersItsCallerAndTheWriterGoesOn() {
        var writers = ConcurrentHashMap.<Thread>newKeySet();
        var group = new GroupCommit<Integer>(db, 60_000, (c, written) -> {}, written -> {});
        db.write(c -> c.createStatement().executeUpdate("CREATE TABLE t (x INTEGER)"));
        assertThatThrownBy(() -> group.submit((c, previous, alone) -> {
            try (var st = c.createStatement()) {
                st.executeUpdate("INSERT INTO t VALUES (1)");
            }
            throw new AssertionError("an Error, not an exception");
        })).isInstanceOf(StoreException.class).hasCauseInstanceOf(AssertionError.class);
        assertThat(group.submit(one(writers))).isEqualTo(1);
        int rows = db.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*) FROM t")) {
                rs.next();
                return rs.getInt(1);
            }
        });
        assertThat(rows).as("the failed piece's row, never committed").isZero();
    }
}
