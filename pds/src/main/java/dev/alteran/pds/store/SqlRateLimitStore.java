package dev.alteran.pds.store;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters in the {@code rate_limit} table, for instances that share one database: one upsert per
 * hit counts it and reads the window back atomically. Expired rows are deleted at most once per
 * {@code sweepEveryMs}.
 */
public final class SqlRateLimitStore implements RateLimitStore {
    private static final String HIT = """
            INSERT INTO rate_limit (bucket, client, count, window_end) VALUES (?, ?, 1, ?)
            ON CONFLICT (bucket, client) DO UPDATE SET
              count = CASE WHEN rate_limit.window_end > ? THEN rate_limit.count + 1 ELSE 1 END,
              window_end = CASE WHEN rate_limit.window_end > ? THEN rate_limit.window_end ELSE excluded.window_end END
            RETURNING count, window_end""";
    private final Database database;
    private final long sweepEveryMs;
    private final AtomicLong lastSweep = new AtomicLong();

    public SqlRateLimitStore(Database database) {
        this(database, 60_000);
    }

    public SqlRateLimitStore(Database database, long sweepEveryMs) {
        this.database = database;
        this.sweepEveryMs = sweepEveryMs;
    }

    @Override
    public Window hit(String bucket, String client, long nowMs, long windowMs) {
        long last = lastSweep.get();
        boolean sweep = nowMs - last >= sweepEveryMs && lastSweep.compareAndSet(last, nowMs);
        // Each statement is atomic by itself (the upsert locks its row), so no writer transaction is needed.
        return database.writeOutsideWriter(c -> {
            if (sweep) {
                try (var st = c.prepareStatement("DELETE FROM rate_limit WHERE window_end <= ?")) {
                    st.setLong(1, nowMs);
                    st.executeUpdate();
                }
            }
            var st = database.statement(c, HIT);
            st.setString(1, bucket);
            st.setString(2, client);
            st.setLong(3, nowMs + windowMs);
            st.setLong(4, nowMs);
            st.setLong(5, nowMs);
            try (var rs = st.executeQuery()) {
                rs.next();
                return new Window(rs.getLong(1), rs.getLong(2));
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
}
