package dev.alteran.pds.store;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link ReplayStore} in the {@code oauth_replay} table, so a restart or another instance on the
 * same database still refuses a replay. One statement per check: an expired row is taken over, a
 * live one makes the insert change nothing. Expired rows are deleted at most once per
 * {@code sweepEvery}.
 */
public final class SqlReplayStore implements ReplayStore {
    private static final String CLAIM = """
            INSERT INTO oauth_replay (namespace, value, expires_at) VALUES (?, ?, ?)
            ON CONFLICT (namespace, value) DO UPDATE SET expires_at = excluded.expires_at
            WHERE oauth_replay.expires_at <= ?""";
    private final Database database;
    private final Clock clock;
    private final long sweepEveryMs;
    private final AtomicLong lastSweep = new AtomicLong();

    public SqlReplayStore(Database database, Clock clock) {
        this(database, clock, Duration.ofMinutes(1));
    }

    public SqlReplayStore(Database database, Clock clock, Duration sweepEvery) {
        this.database = database;
        this.clock = clock;
        this.sweepEveryMs = sweepEvery.toMillis();
    }

    @Override
    public boolean unique(String namespace, String value, Duration ttl) {
        long now = clock.millis();
        long last = lastSweep.get();
        boolean sweep = now - last >= sweepEveryMs && lastSweep.compareAndSet(last, now);
        return database.write(c -> {
            if (sweep) {
                try (var st = c.prepareStatement("DELETE FROM oauth_replay WHERE expires_at <= ?")) {
                    st.setLong(1, now);
                    st.executeUpdate();
                }
            }
            try (var st = c.prepareStatement(CLAIM)) {
                st.setString(1, namespace);
                st.setString(2, value);
                st.setLong(3, now + ttl.toMillis());
                st.setLong(4, now);
                return st.executeUpdate() == 1;
            }
        });
    }

    /** Rows in the table, for tests of the sweep. */
    long size() {
        return database.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT count(*) FROM oauth_replay")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }
}
