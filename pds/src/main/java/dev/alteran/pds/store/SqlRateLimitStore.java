package dev.alteran.pds.store;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counters in the {@code rate_limit} table, for instances that share one database. One upsert adds
 * hits to a window and reads it back atomically. Far from its limit, a client's hits are counted here
 * and sent in one upsert at most {@link #SEND_EVERY_MS} later, while this instance's view of the window
 * is fresh (read within {@link #FRESH_MS}): a busy client costs one statement per interval, not one per
 * request. From half its limit on, every hit goes to the database, so refusals are decided on the shared
 * count (other instances' last few milliseconds of hits aside). Expired rows are deleted at most once
 * per {@code sweepEveryMs}.
 */
public final class SqlRateLimitStore implements RateLimitStore, AutoCloseable {
    static final long FRESH_MS = 100;
    static final long SEND_EVERY_MS = 50;
    private static final int MAX_LOCAL_CLIENTS = 100_000;
    private static final Logger log = LoggerFactory.getLogger(SqlRateLimitStore.class);
    private static final String ADD = """
            INSERT INTO rate_limit (bucket, client, count, window_end) VALUES (?, ?, ?, ?)
            ON CONFLICT (bucket, client) DO UPDATE SET
              count = CASE WHEN rate_limit.window_end > ? THEN rate_limit.count + excluded.count ELSE excluded.count END,
              window_end = CASE WHEN rate_limit.window_end > ? THEN rate_limit.window_end ELSE excluded.window_end END
            RETURNING count, window_end""";
    private final Database database;
    private final long sweepEveryMs;
    private final AtomicLong lastSweep = new AtomicLong();
    private final ConcurrentHashMap<Key, Counter> counters = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Counter> unsent = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean sending = new AtomicBoolean();
    private volatile boolean closed;

    private record Key(String bucket, String client) {}

    /** One client's window in one bucket, as this instance sees it; its fields are guarded by {@link #lock}. */
    private static final class Counter {
        final Key key;
        final ReentrantLock lock = new ReentrantLock();
        long shared; // the database's count at the last exchange
        long endMs; // and the window's end
        long exchangedAtMs = Long.MIN_VALUE / 2; // the clock of the hit that exchanged last
        long unsent; // hits counted here since
        long lastHitMs;
        long windowMs;

        Counter(Key key) {
            this.key = key;
        }
    }

    public SqlRateLimitStore(Database database) {
        this(database, 60_000);
    }

    public SqlRateLimitStore(Database database, long sweepEveryMs) {
        this.database = database;
        this.sweepEveryMs = sweepEveryMs;
    }

    @Override
    public Window hit(String bucket, String client, long nowMs, long windowMs, long limit) {
        sweepIfDue(nowMs);
        var key = new Key(bucket, client);
        var counter = counters.get(key);
        if (counter == null) {
            // A flood of new clients is counted in the database only, as it comes.
            if (counters.size() >= MAX_LOCAL_CLIENTS || closed) return add(bucket, client, 1, nowMs, windowMs);
            counter = counters.computeIfAbsent(key, Counter::new);
        }
        counter.lock.lock();
        try {
            long count = counter.shared + counter.unsent + 1;
            if (counter.endMs > nowMs && nowMs - counter.exchangedAtMs < FRESH_MS && 2 * count < limit && !closed) {
                if (counter.unsent++ == 0) unsent.add(counter);
                counter.lastHitMs = nowMs;
                counter.windowMs = windowMs;
                startSender();
                return new Window(count, counter.endMs);
            }
            // Hits still unsent from a window that has ended are dropped with it.
            return exchange(counter, 1 + (counter.endMs > nowMs ? counter.unsent : 0), nowMs, windowMs);
        } finally {
            counter.lock.unlock();
        }
    }

    /** Sends whatever is unsent, and counts later hits in the database only (before the database closes). */
    @Override
    public void close() {
        closed = true;
        counters.values().forEach(this::send); // the sender may hold some it took from the queue
    }

    /** Adds {@code hits} to the counter's window in the database and takes the window it reads back; under the counter's lock. */
    private Window exchange(Counter counter, long hits, long nowMs, long windowMs) {
        counter.unsent = 0;
        var window = add(counter.key.bucket(), counter.key.client(), hits, nowMs, windowMs);
        counter.shared = window.count();
        counter.endMs = window.endMs();
        counter.exchangedAtMs = nowMs;
        return window;
    }

    private Window add(String bucket, String client, long hits, long nowMs, long windowMs) {
        // One statement, atomic by itself (the upsert locks its row): no writer transaction is needed.
        return database.writeOutsideWriter(c -> {
            var st = database.statement(c, ADD);
            st.setString(1, bucket);
            st.setString(2, client);
            st.setLong(3, hits);
            st.setLong(4, nowMs + windowMs);
            st.setLong(5, nowMs);
            st.setLong(6, nowMs);
            try (var rs = st.executeQuery()) {
                rs.next();
                return new Window(rs.getLong(1), rs.getLong(2));
            }
        });
    }

    /** One sender at a time, a virtual thread that ends when nothing is left to send. */
    private void startSender() {
        if (sending.compareAndSet(false, true)) Thread.ofVirtual().name("rate-limit-sender").start(this::sendLoop);
    }

    private void sendLoop() {
        while (!closed) {
            try {
                Thread.sleep(SEND_EVERY_MS); // the interval that gathers hits into one statement
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            sendUnsent();
            if (unsent.isEmpty()) {
                sending.set(false);
                // A hit counted after the check saw this sender still running: take its work back.
                if (unsent.isEmpty() || !sending.compareAndSet(false, true)) return;
            }
        }
        sending.set(false);
    }

    private void sendUnsent() {
        for (Counter counter; (counter = unsent.poll()) != null; ) send(counter);
    }

    private void send(Counter counter) {
        counter.lock.lock();
        try {
            if (counter.unsent > 0) exchange(counter, counter.unsent, counter.lastHitMs, counter.windowMs);
        } catch (RuntimeException e) {
            // Not counted across instances; the next hit reads the database again.
            counter.unsent = 0;
            counter.exchangedAtMs = Long.MIN_VALUE / 2;
            log.warn("rate-limit counts not sent to the database: {}", e.toString());
        } finally {
            counter.lock.unlock();
        }
    }

    private void sweepIfDue(long nowMs) {
        long last = lastSweep.get();
        if (nowMs - last < sweepEveryMs || !lastSweep.compareAndSet(last, nowMs)) return;
        counters.values().removeIf(c -> c.endMs <= nowMs && c.unsent == 0);
        database.writeOutsideWriter(c -> {
            try (var st = c.prepareStatement("DELETE FROM rate_limit WHERE window_end <= ?")) {
                st.setLong(1, nowMs);
                return st.executeUpdate();
            }
        });
    }

    /** Rows in the table, for tests of the sweep. */
    long size() {
        return database.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT count(*) FROM rate_limit")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** Hits counted here and not yet sent, for tests. */
    long unsentHits() {
        return counters.values().stream().mapToLong(c -> {
            c.lock.lock();
            try {
                return c.unsent;
            } finally {
                c.lock.unlock();
            }
        }).sum();
    }
}
