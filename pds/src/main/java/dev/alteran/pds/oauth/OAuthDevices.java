package dev.alteran.pds.oauth;

import dev.alteran.pds.store.Database;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;

/**
 * Browsers that open the sign-in page (table {@code oauth_device}). The device cookie holds the
 * device id and a secret ({@code dev-<hex>.<secret>}); only the secret's hash is stored. A sign-in
 * with "remember this device" records the account on the device for {@link #REMEMBER}, the
 * reference's AUTHENTICATION_MAX_AGE, after which the password is asked again.
 */
public final class OAuthDevices {
    public static final Duration REMEMBER = Duration.ofDays(7);
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(10);

    /** A known browser, and the account it remembers (or null). */
    public record Device(String id, String did) {}

    /** A new browser and the cookie value that names it. */
    public record Created(Device device, String cookie) {}

    private final Database db;
    private final Clock clock;
    private final java.util.concurrent.atomic.AtomicLong lastPrune = new java.util.concurrent.atomic.AtomicLong();

    public OAuthDevices(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** The device a cookie value names, if it is live and its secret matches; else null. */
    public Device load(String cookie) {
        if (cookie == null || cookie.length() > 200) return null;
        int dot = cookie.indexOf('.');
        if (dot < 0) return null;
        var id = cookie.substring(0, dot);
        var secretHash = OAuthIds.hash(cookie.substring(dot + 1));
        if (!OAuthIds.looksLike(id, OAuthIds.DEVICE)) return null;
        long now = clock.millis();
        return db.read(c -> {
            try (var st = c.prepareStatement("SELECT secret_hash, did FROM oauth_device WHERE id = ? AND expires_at > ?")) {
                st.setString(1, id);
                st.setLong(2, now);
                try (var rs = st.executeQuery()) {
                    if (!rs.next()) return null;
                    if (!MessageDigest.isEqual(rs.getString(1).getBytes(StandardCharsets.US_ASCII), secretHash.getBytes(StandardCharsets.US_ASCII))) return null;
                    return new Device(id, rs.getString(2));
                }
            }
        });
    }

    /** Registers a new browser. */
    public Created create(String userAgent) {
        var id = OAuthIds.random(OAuthIds.DEVICE, 16);
        var secret = OAuthIds.random("", 32);
        long now = clock.millis();
        prune(now);
        db.write(c -> {
            try (var st = c.prepareStatement("""
                    INSERT INTO oauth_device (id, secret_hash, did, user_agent, created_at, last_seen_at, expires_at)
                    VALUES (?, ?, NULL, ?, ?, ?, ?)""")) {
                st.setString(1, id);
                st.setString(2, OAuthIds.hash(secret));
                st.setString(3, userAgent == null ? null : userAgent.substring(0, Math.min(userAgent.length(), 512)));
                st.setLong(4, now);
                st.setLong(5, now);
                st.setLong(6, now + REMEMBER.toMillis());
                return st.executeUpdate();
            }
        });
        return new Created(new Device(id, null), id + "." + secret);
    }

    /** Remembers ({@code did}) or forgets (null) the account on device {@code id}, for {@link #REMEMBER} from now. */
    public void remember(String id, String did) {
        long now = clock.millis();
        db.write(c -> {
            try (var st = c.prepareStatement("UPDATE oauth_device SET did = ?, last_seen_at = ?, expires_at = ? WHERE id = ?")) {
                st.setString(1, did);
                st.setLong(2, now);
                st.setLong(3, now + REMEMBER.toMillis());
                st.setString(4, id);
                return st.executeUpdate();
            }
        });
    }

    private void prune(long now) {
        long last = lastPrune.get();
        if (now - last < PRUNE_EVERY.toMillis() || !lastPrune.compareAndSet(last, now)) return;
        db.write(c -> {
            try (var st = c.prepareStatement("DELETE FROM oauth_device WHERE expires_at <= ?")) {
                st.setLong(1, now);
                return st.executeUpdate();
            }
        });
    }
}
