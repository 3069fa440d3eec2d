package dev.alteran.pds.auth;

import dev.alteran.pds.store.Database;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;

/**
 * Password-guessing brake: five failed logins within fifteen minutes lock login for fifteen minutes
 * after the last of them, whatever the password (the right one too), for the one account. A success
 * clears the count.
 *
 * <p>Each attempt is written as a failure <em>before</em> the password is checked, in the same
 * transaction as the lock check, and the row is deleted on success. So parallel guesses cannot all
 * slip past the check: at most five are ever in flight. Rows keep the client IP (for the operator),
 * never the password.
 */
public final class LoginLockout {
    public static final int MAX_FAILURES = 5;
    public static final Duration WINDOW = Duration.ofMinutes(15);

    private final Database db;
    private final Clock clock;
    private final Counter failures;
    private final Counter lockedOut;

    /** Thrown while login is locked; {@code retryAfterSec} says for how long still. */
    public static final class LockedOut extends RuntimeException {
        private final long retryAfterSec;

        LockedOut(long retryAfterSec) {
            super("login locked", null, false, false);
            this.retryAfterSec = retryAfterSec;
        }

        public long retryAfterSec() {
            return retryAfterSec;
        }
    }

    /** Failed sign-ins and the attempts refused while locked are counted in {@code meters}. */
    public LoginLockout(Database db, Clock clock, MeterRegistry meters) {
        this.db = db;
        this.clock = clock;
        this.failures = Counter.builder("alteran.login.failures").description("Sign-ins refused for a wrong identifier or password")
                .register(meters);
        this.lockedOut = Counter.builder("alteran.login.lockouts").description("Sign-ins refused because login was locked")
                .register(meters);
    }

    /** Records an attempt for {@code did} as failed until {@link #succeeded}; throws {@link LockedOut} instead when locked. */
    public void begin(String did, String ip) {
        long now = clock.millis();
        var retryAfterMs = db.write(c -> {
            var recent = new ArrayList<Long>();
            try (var st = c.prepareStatement(
                    "SELECT attempted_at FROM login_attempt WHERE did = ? ORDER BY attempted_at DESC LIMIT " + MAX_FAILURES)) {
                st.setString(1, did);
                try (var rs = st.executeQuery()) {
                    while (rs.next()) recent.add(rs.getLong(1));
                }
            }
            long window = WINDOW.toMillis();
            if (recent.size() == MAX_FAILURES && recent.getFirst() - recent.getLast() <= window && now < recent.getFirst() + window) {
                return recent.getFirst() + window - now;
            }
            try (var st = c.prepareStatement("INSERT INTO login_attempt (did, ip, attempted_at) VALUES (?, ?, ?)")) {
                st.setString(1, did);
                st.setString(2, ip);
                st.setLong(3, now);
                st.executeUpdate();
            }
            return 0L;
        });
        if (retryAfterMs > 0) {
            lockedOut.increment();
            throw new LockedOut((retryAfterMs + 999) / 1000);
        }
    }

    /** A sign-in was refused for a wrong identifier or password (counted in the meters; the lock counts from {@link #begin}). */
    public void failed() {
        failures.increment();
    }

    /** The password was right: the account's failures are forgiven. */
    public void succeeded(String did) {
        db.write(c -> {
            try (var st = c.prepareStatement("DELETE FROM login_attempt WHERE did = ?")) {
                st.setString(1, did);
                return st.executeUpdate();
            }
        });
    }

    /** Failed attempts still counted for {@code did} (for tests and the operator). */
    public int failures(String did) {
        return db.read(c -> {
            try (var st = c.prepareStatement("SELECT count(*) FROM login_attempt WHERE did = ?")) {
                st.setString(1, did);
                try (var rs = st.executeQuery()) {
                    return rs.next() ? rs.getInt(1) : 0;
                }
            }
        });
    }
}
