package dev.alteran.pds.oauth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.wire.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Pushed authorization requests (table {@code oauth_request}), from PAR to the code's redemption.
 * A request lives {@link #PAR_EXPIRES_IN}; each step of the sign-in page (and the code) gets the
 * reference's five minutes of inactivity from then on. Expired rows are pruned on write.
 */
public final class OAuthRequests {
    /** The reference's PAR_EXPIRES_IN and AUTHORIZATION_INACTIVITY_TIMEOUT. */
    public static final Duration PAR_EXPIRES_IN = Duration.ofMinutes(5);
    public static final String REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:";
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(1);

    /** A stored request; {@code parameters} is the authorization request as validated at PAR. */
    public record Request(String id, String clientId, String clientAuth, ObjectNode parameters, String dpopJkt, String deviceId,
                          String did, boolean authorized, long expiresAt) {
        public String requestUri() {
            return REQUEST_URI_PREFIX + id;
        }

        public String param(String name) {
            var v = parameters.get(name);
            return v == null || v.isNull() ? null : v.asText();
        }
    }

    private final Database db;
    private final Clock clock;
    private final AtomicLong lastPrune = new AtomicLong();

    public OAuthRequests(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** Stores a validated request; returns it with its id. */
    public Request create(String clientId, String clientAuth, ObjectNode parameters, String dpopJkt) {
        var id = OAuthIds.random(OAuthIds.REQUEST, 16);
        long now = clock.millis();
        long expires = now + PAR_EXPIRES_IN.toMillis();
        prune(now);
        db.write(c -> {
            try (var st = c.prepareStatement("""
                    INSERT INTO oauth_request (id, client_id, client_auth, parameters, dpop_jkt, expires_at, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)""")) {
                st.setString(1, id);
                st.setString(2, clientId);
                st.setString(3, clientAuth);
                st.setString(4, parameters.toString());
                st.setString(5, dpopJkt);
                st.setLong(6, expires);
                st.setLong(7, now);
                return st.executeUpdate();
            }
        });
        return new Request(id, clientId, clientAuth, parameters, dpopJkt, null, null, false, expires);
    }

    /** The live, not yet authorized request of {@code requestUri}, or null. */
    public Request find(String requestUri) {
        if (requestUri == null || !requestUri.startsWith(REQUEST_URI_PREFIX)) return null;
        var id = requestUri.substring(REQUEST_URI_PREFIX.length());
        if (!OAuthIds.looksLike(id, OAuthIds.REQUEST)) return null;
        long now = clock.millis();
        return db.read(c -> {
            try (var st = c.prepareStatement(SELECT + " WHERE id = ? AND expires_at > ? AND code_hash IS NULL")) {
                st.setString(1, id);
                st.setLong(2, now);
                try (var rs = st.executeQuery()) {
                    return rs.next() ? row(rs) : null;
                }
            }
        });
    }

    /**
     * Ties request {@code id} to the browser {@code deviceId} (the first to open it) and, when not
     * null, the signed-in account {@code did}; extends its life by the inactivity timeout. False if
     * another browser holds it or it is gone.
     */
    public boolean bind(String id, String deviceId, String did) {
        long now = clock.millis();
        return db.write(c -> {
            try (var st = c.prepareStatement("""
                    UPDATE oauth_request SET device_id = ?, did = COALESCE(?, did), expires_at = ?
                    WHERE id = ? AND expires_at > ? AND code_hash IS NULL AND (device_id IS NULL OR device_id = ?)""")) {
                st.setString(1, deviceId);
                st.setString(2, did);
                st.setLong(3, now + PAR_EXPIRES_IN.toMillis());
                st.setString(4, id);
                st.setLong(5, now);
                st.setString(6, deviceId);
                return st.executeUpdate() == 1;
            }
        });
    }

    /** Authorizes request {@code id} (held by {@code deviceId}, signed in): returns the code, or null if it cannot. */
    public String authorize(String id, String deviceId) {
        var code = OAuthIds.random(OAuthIds.CODE, 32);
        long now = clock.millis();
        boolean done = db.write(c -> {
            try (var st = c.prepareStatement("""
                    UPDATE oauth_request SET code_hash = ?, expires_at = ?
                    WHERE id = ? AND device_id = ? AND did IS NOT NULL AND code_hash IS NULL AND expires_at > ?""")) {
                st.setString(1, OAuthIds.hash(code));
                st.setLong(2, now + PAR_EXPIRES_IN.toMillis());
                st.setString(3, id);
                st.setString(4, deviceId);
                st.setLong(5, now);
                return st.executeUpdate() == 1;
            }
        });
        return done ? code : null;
    }

    /** Forgets request {@code id} (denied). */
    public void delete(String id) {
        db.write(c -> {
            try (var st = c.prepareStatement("DELETE FROM oauth_request WHERE id = ?")) {
                st.setString(1, id);
                return st.executeUpdate();
            }
        });
    }

    /** The authorized, unexpired request whose code hashes to {@code codeHash}, or null. Changes nothing. */
    public Request findByCode(String codeHash) {
        long now = clock.millis();
        return db.read(c -> {
            try (var st = c.prepareStatement(SELECT + " WHERE code_hash = ? AND expires_at > ?")) {
                st.setString(1, codeHash);
                st.setLong(2, now);
                try (var rs = st.executeQuery()) {
                    return rs.next() ? row(rs) : null;
                }
            }
        });
    }

    /** Uses the code up, in the transaction that creates its session: false if it was used meanwhile. */
    public boolean consume(Connection c, String id, String codeHash) throws SQLException {
        try (var st = c.prepareStatement("DELETE FROM oauth_request WHERE id = ? AND code_hash = ?")) {
            st.setString(1, id);
            st.setString(2, codeHash);
            return st.executeUpdate() == 1;
        }
    }

    private static final String SELECT = """
            SELECT id, client_id, client_auth, parameters, dpop_jkt, device_id, did, code_hash, expires_at FROM oauth_request""";

    private static Request row(ResultSet rs) throws SQLException {
        ObjectNode params;
        try {
            params = (ObjectNode) Json.READER.readTree(rs.getString(4));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Request(rs.getString(1), rs.getString(2), rs.getString(3), params, rs.getString(5), rs.getString(6),
                rs.getString(7), rs.getString(8) != null, rs.getLong(9));
    }

    private void prune(long now) {
        long last = lastPrune.get();
        if (now - last < PRUNE_EVERY.toMillis() || !lastPrune.compareAndSet(last, now)) return;
        db.write(c -> {
            try (var st = c.prepareStatement("DELETE FROM oauth_request WHERE expires_at <= ?")) {
                st.setLong(1, now);
                return st.executeUpdate();
            }
        });
    }
}
