package dev.alteran.pds.auth;

import dev.alteran.pds.store.Database;
import dev.alteran.pds.wire.XrpcException;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Password sessions: login, refresh-token rotation and revocation, as the reference PDS does them.
 *
 * <p>Refresh tokens are single-use with a grace period (the reference's): using one issues a new
 * pair and shortens the used token's life to at most {@link #REFRESH_GRACE} more, recording its
 * successor. Presenting it again within that time (a client that lost the response, two tabs
 * racing) issues a fresh pair whose refresh token has the <em>same</em> successor ID, so a session
 * never forks. After the grace period, or once revoked, it fails with 400 ExpiredToken "Token has
 * been revoked" and nothing changes. Revoking (deleteSession) removes the token's whole rotation
 * chain, so a logged-out session cannot be revived through a predecessor still in its grace period.
 */
public final class Sessions {
    private static final Logger log = LoggerFactory.getLogger(Sessions.class);
    /** How long a rotated refresh token stays usable: the reference PDS's two hours. */
    public static final Duration REFRESH_GRACE = Duration.ofHours(2);
    /** The reference PDS's password-length limit. */
    static final int MAX_PASSWORD_LENGTH = 512;
    /** Every login answers no sooner than this, so timing does not tell which check failed (the reference's 350 ms). */
    static final Duration MIN_LOGIN_TIME = Duration.ofMillis(350);
    /** Failed-login rows older than this are forgotten by {@link #purgeExpired()}. */
    static final Duration LOGIN_ATTEMPT_RETENTION = Duration.ofDays(1);

    private final String did;
    private final Supplier<String> handle;
    private final Database db;
    private final SessionTokens tokens;
    private final AccountPassword password;
    private final AppPasswords appPasswords;
    private final LoginLockout lockout;
    private final Clock clock;
    private final Duration minLoginTime;

    /** A new session's tokens and how it authenticated (null {@code appPassword}: the account password). */
    public record Session(String accessJwt, String refreshJwt, AppPasswords.Grant appPassword) {}

    public Sessions(String did, Supplier<String> handle, Database db, SessionTokens tokens, AccountPassword password,
                    AppPasswords appPasswords, LoginLockout lockout, Clock clock, Duration minLoginTime) {
        this.did = did;
        this.handle = handle;
        this.db = db;
        this.tokens = tokens;
        this.password = password;
        this.appPasswords = appPasswords;
        this.lockout = lockout;
        this.clock = clock;
        this.minLoginTime = minLoginTime;
    }

    public Sessions(String did, Supplier<String> handle, Database db, SessionTokens tokens, AccountPassword password,
                    AppPasswords appPasswords, Clock clock, MeterRegistry meters) {
        this(did, handle, db, tokens, password, appPasswords, new LoginLockout(db, clock, meters), clock, MIN_LOGIN_TIME);
    }

    public LoginLockout lockout() {
        return lockout;
    }

    /**
     * createSession: {@code identifier} is our handle (any case) or our DID; {@code secret} the account
     * password or an app password. Unknown identifier and wrong password answer alike: 401
     * AuthenticationRequired "Invalid identifier or password".
     *
     * @throws LoginLockout.LockedOut while login is locked after repeated failures
     */
    public Session login(String identifier, String secret, String ip) {
        return login(identifier, secret, ip, true);
    }

    /**
     * The OAuth sign-in page's check: {@code secret} must be the account password (an app password
     * never signs an app in), with the same lockout, answer and timing as {@link #login}. Issues nothing.
     *
     * @throws LoginLockout.LockedOut while login is locked after repeated failures
     */
    public void checkAccountPassword(String identifier, String secret, String ip) {
        long start = System.nanoTime();
        try {
            checkCredentials(identifier, secret, ip, false, "failed OAuth sign-in");
        } finally {
            padTo(start);
        }
    }

    /**
     * The password check every sign-in shares: our identifier, the lockout, the account password or
     * (when allowed) an app password, whose grant it returns (null for the account password). The
     * caller pads the time.
     */
    private AppPasswords.Grant checkCredentials(String identifier, String secret, String ip, boolean allowAppPasswords, String failure) {
        if (secret.length() > MAX_PASSWORD_LENGTH) {
            throw XrpcException.authRequired("Password too long. Consider resetting your password.");
        }
        maybePurge();
        if (!isOurs(identifier)) {
            lockout.failed();
            throw invalidLogin();
        }
        lockout.begin(did, ip);
        AppPasswords.Grant grant = null;
        if (!password.matches(secret)) {
            grant = allowAppPasswords ? appPasswords.verify(secret) : null;
            if (grant == null) {
                lockout.failed();
                log.atWarn().addKeyValue("ip", ip).log(failure);
                throw invalidLogin();
            }
        }
        lockout.succeeded(did);
        return grant;
    }

    /**
     * Like {@link #login(String, String, String)}; with {@code allowAppPasswords} false only the account
     * password opens a session (createAccount of an account moving in), with the same lockout.
     */
    public Session login(String identifier, String secret, String ip, boolean allowAppPasswords) {
        long start = System.nanoTime();
        try {
            var grant = checkCredentials(identifier, secret, ip, allowAppPasswords, "failed login");
            var scope = grant == null ? Scope.ACCESS : grant.privileged() ? Scope.APP_PASS_PRIVILEGED : Scope.APP_PASS;
            var pair = tokens.issue(scope, SessionTokens.newJti());
            var appPasswordName = grant == null ? null : grant.name();
            db.write(c -> {
                try (var st = c.prepareStatement(
                        "INSERT INTO refresh_token (jti, expires_at, next_id, app_password_name) VALUES (?, ?, NULL, ?)")) {
                    st.setString(1, pair.refreshJti());
                    st.setLong(2, pair.refreshExpiresAt() * 1000);
                    st.setString(3, appPasswordName);
                    return st.executeUpdate();
                }
            });
            return new Session(pair.accessJwt(), pair.refreshJwt(), grant);
        } finally {
            padTo(start);
        }
    }

    /**
     * refreshSession: verifies the refresh token, then rotates it (see the class comment). The read and the
     * rotation are one {@link Database#write} transaction, which holds the database's write lock (on
     * PostgreSQL an advisory lock every instance takes), so instances sharing a database see each other's
     * rotations: a token rotated on one has the same successor on all, and one revoked is refused by all.
     */
    public Session refresh(String refreshJwt) {
        var token = tokens.verifyRefresh(refreshJwt, false);
        maybePurge();
        long now = clock.millis();
        var rotated = db.write(c -> {
            String nextId;
            String appPasswordName;
            long expiresAt;
            try (var st = c.prepareStatement("SELECT expires_at, next_id, app_password_name FROM refresh_token WHERE jti = ?")) {
                st.setString(1, token.jti());
                try (var rs = st.executeQuery()) {
                    if (!rs.next()) return null;
                    expiresAt = rs.getLong(1);
                    nextId = rs.getString(2);
                    appPasswordName = rs.getString(3);
                }
            }
            long graceEnd = Math.min(now + REFRESH_GRACE.toMillis(), expiresAt);
            if (graceEnd <= now) {
                delete(c, "DELETE FROM refresh_token WHERE jti = ?", token.jti());
                return null;
            }
            var scope = Scope.ACCESS;
            if (appPasswordName != null) {
                var privileged = AppPasswords.privileged(c, appPasswordName);
                if (privileged == null) return null; // its app password is gone
                scope = privileged ? Scope.APP_PASS_PRIVILEGED : Scope.APP_PASS;
            }
            var next = nextId != null ? nextId : SessionTokens.newJti();
            var pair = tokens.issue(scope, next);
            try (var st = c.prepareStatement("UPDATE refresh_token SET expires_at = ?, next_id = ? WHERE jti = ?")) {
                st.setLong(1, graceEnd);
                st.setString(2, next);
                st.setString(3, token.jti());
                st.executeUpdate();
            }
            // A re-use within the grace period finds the successor's row already there and keeps it as it is.
            try (var st = c.prepareStatement(
                    "INSERT INTO refresh_token (jti, expires_at, next_id, app_password_name) VALUES (?, ?, NULL, ?) ON CONFLICT DO NOTHING")) {
                st.setString(1, next);
                st.setLong(2, pair.refreshExpiresAt() * 1000);
                st.setString(3, appPasswordName);
                st.executeUpdate();
            }
            return pair;
        });
        if (rotated == null) throw revoked();
        return new Session(rotated.accessJwt(), rotated.refreshJwt(), null);
    }

    /**
     * deleteSession: ends the session the refresh token belongs to (an expired token is accepted).
     * Its whole rotation chain goes: predecessors still in their grace period and successors too.
     */
    public void delete(String refreshJwt) {
        revoke(tokens.verifyRefresh(refreshJwt, true).jti());
    }

    /** A live password session: its current refresh token's ID, until when it lasts, and the app password it used (or null). */
    public record Listed(String id, java.time.Instant expiresAt, String appPassword) {}

    /** The live sessions (the newest refresh token of each rotation chain), the longest-lived first. */
    public java.util.List<Listed> list() {
        long now = clock.millis();
        return db.read(c -> {
            try (var st = c.prepareStatement(
                    "SELECT jti, expires_at, app_password_name FROM refresh_token WHERE next_id IS NULL AND expires_at > ? ORDER BY expires_at DESC, jti")) {
                st.setLong(1, now);
                try (var rs = st.executeQuery()) {
                    var out = new java.util.ArrayList<Listed>();
                    while (rs.next()) out.add(new Listed(rs.getString(1), java.time.Instant.ofEpochMilli(rs.getLong(2)), rs.getString(3)));
                    return out;
                }
            }
        });
    }

    /** Ends the session whose refresh token has ID {@code jti}, its whole rotation chain; false if there was none. */
    public boolean revoke(String jti) {
        return db.write(c -> {
            try (var st = c.prepareStatement("""
                    WITH RECURSIVE
                        before(jti) AS (SELECT jti FROM refresh_token WHERE jti = ? OR next_id = ?
                                        UNION SELECT r.jti FROM refresh_token r JOIN before ON r.next_id = before.jti),
                        after(jti) AS (SELECT next_id FROM refresh_token WHERE jti = ? AND next_id IS NOT NULL
                                       UNION SELECT r.next_id FROM refresh_token r JOIN after ON r.jti = after.jti
                                       WHERE r.next_id IS NOT NULL)
                    DELETE FROM refresh_token WHERE jti IN (SELECT jti FROM before UNION SELECT jti FROM after)""")) {
                // The chains start from rows, not from the bound value: PostgreSQL wants the recursive
                // terms' text to have one collation, the column's.
                st.setString(1, jti);
                st.setString(2, jti);
                st.setString(3, jti);
                return st.executeUpdate() > 0;
            }
        });
    }

    /**
     * Deletes expired refresh-token rows and forgotten failed-login rows; returns how many rows went.
     * Runs by itself on about 1% of logins and refreshes; a CLI or a scheduler may call it too.
     */
    public int purgeExpired() {
        long now = clock.millis();
        return db.write(c -> {
            int n;
            try (var st = c.prepareStatement("DELETE FROM refresh_token WHERE expires_at <= ?")) {
                st.setLong(1, now);
                n = st.executeUpdate();
            }
            try (var st = c.prepareStatement("DELETE FROM login_attempt WHERE attempted_at < ?")) {
                st.setLong(1, now - LOGIN_ATTEMPT_RETENTION.toMillis());
                n += st.executeUpdate();
            }
            return n;
        });
    }

    private void maybePurge() {
        if (ThreadLocalRandom.current().nextInt(100) == 0) purgeExpired();
    }

    private boolean isOurs(String identifier) {
        var id = identifier.toLowerCase(Locale.ROOT);
        return id.equals(handle.get()) || id.equals(did.toLowerCase(Locale.ROOT));
    }

    private static int delete(java.sql.Connection c, String sql, String jti) throws java.sql.SQLException {
        try (var st = c.prepareStatement(sql)) {
            st.setString(1, jti);
            return st.executeUpdate();
        }
    }

    private void padTo(long startNanos) {
        long remaining = minLoginTime.toNanos() - (System.nanoTime() - startNanos);
        if (remaining <= 0) return;
        try {
            Thread.sleep(Duration.ofNanos(remaining));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static XrpcException invalidLogin() {
        return XrpcException.authRequired("Invalid identifier or password");
    }

    private static XrpcException revoked() {
        return new XrpcException(400, "ExpiredToken", "Token has been revoked");
    }
}
