package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.lexicon.Lexicons;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What one commit costs on PostgreSQL, counted from the driver's own protocol log: the statements it
 * executes and the round trips (each Sync is one wait for the server). The commit path runs inside the
 * write lock, so every round trip there is time every other write waits for.
 */
class PostgresCommitRoundTripsTest {
    static final String DID = "did:web:pds.example.com";
    static final ObjectMapper JSON = new ObjectMapper();
    static final Logger DRIVER = Logger.getLogger("org.postgresql.core.v3.QueryExecutorImpl");

    Database db;
    RepoStore store;
    RecordPreparer preparer = new RecordPreparer(Lexicons.loadBundled());
    final Counter counter = new Counter();
    Level previousLevel;

    /** Counts the frontend messages this test's thread and the repository's writer thread send. */
    static final class Counter extends Handler {
        final Thread thread = Thread.currentThread();
        final AtomicInteger executes = new AtomicInteger();
        final AtomicInteger syncs = new AtomicInteger();

        @Override
        public void publish(LogRecord r) {
            var sender = Thread.currentThread();
            if (sender != thread && !sender.getName().equals(GroupCommit.WRITER_THREAD) || r.getMessage() == null) return;
            var m = r.getMessage();
            if (m.startsWith(" FE=> Execute")) executes.incrementAndGet();
            else if (m.startsWith(" FE=> Sync")) syncs.incrementAndGet();
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}

        void reset() {
            executes.set(0);
            syncs.set(0);
        }
    }

    @BeforeEach
    void open() {
        db = TestDatabase.create(Dialect.POSTGRES, null).open();
        store = RepoStore.open(db, DID, Keypair.generate(Curve.K256), new SequenceLog(db));
        previousLevel = DRIVER.getLevel();
        DRIVER.setLevel(Level.FINEST);
        DRIVER.addHandler(counter);
    }

    @AfterEach
    void close() {
        DRIVER.removeHandler(counter);
        DRIVER.setLevel(previousLevel);
        db.close();
    }

    void create() throws Exception {
        var rkey = store.nextTid();
        var record = preparer.prepare("app.bsky.feed.post", rkey,
                JSON.readTree("{\"text\":\"hello\",\"createdAt\":\"2024-01-01T00:00:00.000Z\"}"), null);
        store.applyWrites(List.of(new PreparedWrite.Create("app.bsky.feed.post", rkey, record)), null);
    }

    /** User and system CPU of a process on this machine (the embedded server's backend), NaN when it is elsewhere. */
    static double cpuSeconds(long pid) {
        try {
            var stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
            var fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
        } catch (java.io.IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    @Test
    void aCreateIsAFewRoundTrips() throws Exception {
        for (int i = 0; i < 20; i++) create(); // warm: statements server-prepared, blocks cached
        counter.reset();
        long backend = db.write(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                return rs.getLong(1);
            }
        });
        counter.reset();
        int n = 200;
        double serverBefore = cpuSeconds(backend);
        for (int i = 0; i < n; i++) create();
        // For the record (not asserted: the machine may be shared): the CPU one commit costs the server.
        System.out.printf("one createRecord commit on PostgreSQL: %.1f statements, %.1f round trips, writer backend CPU %.0f us%n",
                counter.executes.get() / (double) n, counter.syncs.get() / (double) n, (cpuSeconds(backend) - serverBefore) * 1e6 / n);
        // The write lock with the head and the log's last seq; the blocks, the record row, the dropped MST nodes,
        // the head's compare-and-set and the event with its notification, sent together (PendingWrites); the
        // commit. 10 before they were first cut, 6 before they were sent together.
        assertThat(counter.syncs.get()).isGreaterThanOrEqualTo(n).isLessThanOrEqualTo(3 * n);
        assertThat(counter.executes.get()).isLessThanOrEqualTo(8 * n + n / SequenceLog.PRUNE_EVERY + 1);
    }
}
