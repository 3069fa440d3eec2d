package dev.alteran.pds.store;

import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

/**
 * Leases of periodic jobs in the {@code job_lease} table, so that a job scheduled on every instance
 * runs once across the instances sharing a database: a round runs on the instance that takes or holds
 * the job's lease, and the others skip it. A lease its holder stops renewing (the instance is gone)
 * expires, and the next instance to try takes it.
 */
public final class JobLeases {
    private final Database db;
    private final String holder;
    private final Clock clock;

    /** Leases held in the name of this instance (a random id per process). */
    public JobLeases(Database db, Clock clock) {
        this(db, UUID.randomUUID().toString(), clock);
    }

    JobLeases(Database db, String holder, Clock clock) {
        this.db = db;
        this.holder = holder;
        this.clock = clock;
    }

    /** Takes {@code job}'s lease for {@code ttl}, or renews it when this instance holds it; false when another holds it. */
    public boolean tryAcquire(String job, Duration ttl) {
        long now = clock.millis();
        return db.write(c -> {
            try (var st = c.prepareStatement("""
                    INSERT INTO job_lease (job, holder, expires_at) VALUES (?, ?, ?)
                    ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                    WHERE job_lease.holder = excluded.holder OR job_lease.expires_at <= ?""")) {
                st.setString(1, job);
                st.setString(2, holder);
                st.setLong(3, now + ttl.toMillis());
                st.setLong(4, now);
                return st.executeUpdate() == 1;
            }
        });
    }

    /** Gives up {@code job}'s lease if this instance holds it, so that the next instance to try takes it at once. */
    public void release(String job) {
        db.write(c -> {
            try (var st = c.prepareStatement("DELETE FROM job_lease WHERE job = ? AND holder = ?")) {
                st.setString(1, job);
                st.setString(2, holder);
                return st.executeUpdate();
            }
        });
    }
}
