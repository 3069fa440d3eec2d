package dev.alteran.pds.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import dev.alteran.atproto.syntax.Did;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.wire.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * OAuth sessions and their tokens: issues them (authorization code and refresh grants), verifies
 * access tokens for the resource server, and revokes them. The database is the truth: every
 * {@link #verify} reads the session row, so a revocation (by the app, by {@code alteran oauth
 * revoke}, or by a replayed refresh token or code) takes effect at once on every instance.
 *
 * <p>Access tokens are JWTs as the reference PDS issues them: HS256, {@code typ: at+jwt}, claims
 * {@code iss} (the public origin), {@code aud} (this server's DID), {@code sub} (the account DID),
 * {@code client_id}, {@code scope}, {@code cnf.jkt} (the DPoP key), {@code jti} (the session's
 * current token id, which changes at each refresh), {@code iat} and {@code exp}. The HMAC key is
 * derived from {@code ACCESS_TOKEN} (HMAC-SHA256 of a fixed label), so it is not the key of the
 * password-session tokens: neither kind of token can stand in for the other.
 *
 * <p>Refresh tokens ({@code ref-} + 32 random bytes) are single-use: each refresh rotates the pair;
 * presenting a used one ends the whole session. Lifetimes follow the reference ({@link Lifetimes}).
 */
public final class OAuthTokens implements AccessTokenVerifier {
    static final JOSEObjectType ACCESS_TYP = new JOSEObjectType("at+jwt");
    private static final String KEY_LABEL = "alteran oauth access token";
    /** How often {@link #verify} records a session's last use (a write): at most once a minute. */
    static final Duration LAST_USE_STEP = Duration.ofMinutes(1);
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(10);

    /**
     * The reference's lifetimes: an access token lives an hour (never past its session). A public
     * client's session lasts 2 weeks from sign-in and each refresh token 2 weeks; a confidential
     * client's session lasts 2 years and each refresh token 3 months.
     */
    public record Lifetimes(Duration access, Duration publicSession, Duration publicRefresh,
                            Duration confidentialSession, Duration confidentialRefresh) {
        private static final Duration YEAR = Duration.ofMillis((long) (365.25 * 24 * 3600 * 1000));
        public static final Lifetimes REFERENCE = new Lifetimes(Duration.ofHours(1), Duration.ofDays(14), Duration.ofDays(14),
                YEAR.multipliedBy(2), YEAR.dividedBy(4));

        public Lifetimes withAccess(Duration access) {
            return new Lifetimes(access, publicSession, publicRefresh, confidentialSession, confidentialRefresh);
        }

        Duration session(boolean confidential) {
            return confidential ? confidentialSession : publicSession;
        }

        Duration refresh(boolean confidential) {
            return confidential ? confidentialRefresh : publicRefresh;
        }
    }

    /**
     * What an authorization grants: the account, the client and how it authenticated ({@code
     * clientAuth}, JSON), whether it is confidential, the browser it was granted on, the resolved
     * scope and the DPoP key the tokens are bound to.
     */
    public record Grant(String did, String clientId, String clientAuth, boolean confidential, String deviceId,
                        String scope, String dpopJkt) {}

    /** A token response's contents. */
    public record Issued(String sessionId, String accessToken, String refreshToken, long expiresIn, String scope, String sub) {
        /** The token endpoint's JSON answer (token_type DPoP, as every atproto token is DPoP-bound). */
        public com.fasterxml.jackson.databind.node.ObjectNode toJson() {
            var o = Json.object();
            o.put("access_token", accessToken);
            o.put("token_type", "DPoP");
            o.put("refresh_token", refreshToken);
            o.put("scope", scope);
            o.put("expires_in", expiresIn);
            o.put("sub", sub);
            return o;
        }
    }

    /** A signed-in app as the owner sees it ({@code alteran oauth sessions}). */
    public record SessionInfo(String id, String did, String clientId, String scope, Instant createdAt, Instant lastUsedAt,
                              Instant expiresAt) {}

    private final Database db;
    private final String issuer;
    private final String audience;
    private final Lifetimes lifetimes;
    private final Clock clock;
    private final MACSigner signer;
    private final MACVerifier verifier;
    private final AtomicLong lastPrune = new AtomicLong();

    /**
     * @param issuer   the public origin (no trailing slash): {@code iss} of every token
     * @param audience this server's DID: {@code aud} of every token
     * @param secret   {@code ACCESS_TOKEN}; the signing key is derived from it
     */
    public OAuthTokens(Database db, String issuer, String audience, String secret, Lifetimes lifetimes, Clock clock) {
        this.db = db;
        this.issuer = issuer;
        this.audience = audience;
        this.lifetimes = lifetimes;
        this.clock = clock;
        try {
            var key = deriveKey(secret);
            this.signer = new MACSigner(key);
            this.verifier = new MACVerifier(key);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot build the OAuth access token key", e);
        }
    }

    private static byte[] deriveKey(String secret) {
        try {
            var mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(KEY_LABEL.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    public String issuer() {
        return issuer;
    }

    public Lifetimes lifetimes() {
        return lifetimes;
    }

    /**
     * A new session for {@code grant}, created by redeeming the code whose hash is {@code codeHash}.
     * Call it in the same transaction ({@code c}) that consumes the code, so a code yields one session.
     */
    public Issued create(Connection c, Grant grant, String codeHash) throws SQLException {
        long now = clock.millis();
        var sessionId = OAuthIds.random(OAuthIds.SESSION, 16);
        var tokenId = OAuthIds.random(OAuthIds.TOKEN, 16);
        var refresh = OAuthIds.random(OAuthIds.REFRESH, 32);
        long sessionEnd = now + lifetimes.session(grant.confidential()).toMillis();
        long refreshEnd = Math.min(sessionEnd, now + lifetimes.refresh(grant.confidential()).toMillis());
        try (var st = c.prepareStatement("""
                INSERT INTO oauth_session (id, token_id, did, client_id, client_auth, confidential, device_id, scope, dpop_jkt,
                    code_hash, refresh_hash, created_at, updated_at, last_used_at, expires_at, refresh_expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            st.setString(1, sessionId);
            st.setString(2, tokenId);
            st.setString(3, grant.did());
            st.setString(4, grant.clientId());
            st.setString(5, grant.clientAuth());
            st.setInt(6, grant.confidential() ? 1 : 0);
            st.setString(7, grant.deviceId());
            st.setString(8, grant.scope());
            st.setString(9, grant.dpopJkt());
            st.setString(10, codeHash);
            st.setString(11, OAuthIds.hash(refresh));
            st.setLong(12, now);
            st.setLong(13, now);
            st.setLong(14, now);
            st.setLong(15, sessionEnd);
            st.setLong(16, refreshEnd);
            st.executeUpdate();
        }
        return issue(sessionId, tokenId, refresh, grant.did(), grant.clientId(), grant.scope(), grant.dpopJkt(), now, sessionEnd);
    }

    /** {@link #create(Connection, Grant, String)} in a transaction of its own. */
    public Issued create(Grant grant, String codeHash) {
        prune();
        return db.write(c -> create(c, grant, codeHash));
    }

    /** The session a code created, if any: a replayed code revokes it. Returns true if one was revoked. */
    public boolean revokeByCode(Connection c, String codeHash) throws SQLException {
        return deleteWhere(c, "code_hash", codeHash);
    }

    /**
     * The refresh grant: rotates {@code refreshToken} of client {@code clientId} (whose request carried
     * a DPoP proof of key {@code dpopJkt}). A used refresh token ends the session (400 {@code
     * invalid_grant} "Refresh token replayed"); an unknown, expired or foreign one is 400
     * {@code invalid_grant} and changes nothing.
     */
    public Issued refresh(String refreshToken, String clientId, String dpopJkt) {
        if (!OAuthIds.looksLike(refreshToken, OAuthIds.REFRESH)) throw invalidGrant("Invalid refresh token");
        var hash = OAuthIds.hash(refreshToken);
        prune();
        // The outcome of a replay (the session deleted) must commit even though the request fails.
        record Outcome(Issued issued, OAuthException error) {}
        var outcome = db.write(c -> {
            long now = clock.millis();
            try (var st = c.prepareStatement("SELECT session_id FROM oauth_used_refresh WHERE refresh_hash = ?")) {
                st.setString(1, hash);
                try (var rs = st.executeQuery()) {
                    if (rs.next()) {
                        deleteSession(c, rs.getString(1));
                        return new Outcome(null, invalidGrant("Refresh token replayed"));
                    }
                }
            }
            String sessionId, did, scope, jkt, sessionClient;
            boolean confidential;
            long sessionEnd, refreshEnd;
            try (var st = c.prepareStatement("""
                    SELECT id, did, client_id, scope, dpop_jkt, confidential, expires_at, refresh_expires_at
                    FROM oauth_session WHERE refresh_hash = ?""")) {
                st.setString(1, hash);
                try (var rs = st.executeQuery()) {
                    if (!rs.next()) return new Outcome(null, invalidGrant("Invalid refresh token"));
                    sessionId = rs.getString(1);
                    did = rs.getString(2);
                    sessionClient = rs.getString(3);
                    scope = rs.getString(4);
                    jkt = rs.getString(5);
                    confidential = rs.getInt(6) == 1;
                    sessionEnd = rs.getLong(7);
                    refreshEnd = rs.getLong(8);
                }
            }
            if (!sessionClient.equals(clientId)) return new Outcome(null, invalidGrant("Token was not issued to this client"));
            if (!jkt.equals(dpopJkt)) return new Outcome(null, new OAuthException("invalid_dpop_proof", "DPoP proof does not match the expected JKT", 400, false));
            if (now >= refreshEnd || now >= sessionEnd) {
                deleteSession(c, sessionId);
                return new Outcome(null, invalidGrant("Refresh token expired"));
            }
            var tokenId = OAuthIds.random(OAuthIds.TOKEN, 16);
            var next = OAuthIds.random(OAuthIds.REFRESH, 32);
            long nextRefreshEnd = Math.min(sessionEnd, now + lifetimes.refresh(confidential).toMillis());
            try (var st = c.prepareStatement("INSERT INTO oauth_used_refresh (refresh_hash, session_id, expires_at) VALUES (?, ?, ?)")) {
                st.setString(1, hash);
                st.setString(2, sessionId);
                st.setLong(3, sessionEnd);
                st.executeUpdate();
            }
            try (var st = c.prepareStatement("""
                    UPDATE oauth_session SET token_id = ?, refresh_hash = ?, updated_at = ?, last_used_at = ?, refresh_expires_at = ?
                    WHERE id = ?""")) {
                st.setString(1, tokenId);
                st.setString(2, OAuthIds.hash(next));
                st.setLong(3, now);
                st.setLong(4, now);
                st.setLong(5, nextRefreshEnd);
                st.setString(6, sessionId);
                st.executeUpdate();
            }
            return new Outcome(issue(sessionId, tokenId, next, did, clientId, scope, jkt, now, sessionEnd), null);
        });
        if (outcome.error() != null) throw outcome.error();
        return outcome.issued();
    }

    private Issued issue(String sessionId, String tokenId, String refresh, String did, String clientId, String scope, String jkt,
                         long now, long sessionEnd) {
        long exp = Math.min(now + lifetimes.access().toMillis(), sessionEnd);
        if (exp - now <= 250) throw invalidGrant("Session expired");
        var claims = Json.object();
        claims.put("iss", issuer);
        claims.put("aud", audience);
        claims.put("sub", did);
        claims.put("client_id", clientId);
        claims.put("scope", scope);
        claims.putObject("cnf").put("jkt", jkt);
        claims.put("jti", tokenId);
        claims.put("iat", now / 1000);
        claims.put("exp", exp / 1000);
        var jws = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.HS256).type(ACCESS_TYP).build(), new Payload(claims.toString()));
        try {
            jws.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign an access token", e);
        }
        return new Issued(sessionId, jws.serialize(), refresh, (exp - now) / 1000, scope, did);
    }

    @Override
    public OAuthAccess verify(String accessToken) {
        var claims = verifySignature(accessToken);
        long nowSec = clock.millis() / 1000;
        var exp = claims.get("exp");
        if (exp == null || !exp.isIntegralNumber()) throw OAuthException.invalidToken("Invalid token");
        if (exp.asLong() <= nowSec) throw OAuthException.invalidToken("Token expired");
        if (!issuer.equals(text(claims, "iss")) || !audience.equals(text(claims, "aud"))) throw OAuthException.invalidToken("Invalid token");
        var sub = text(claims, "sub");
        var jti = text(claims, "jti");
        var cnf = claims.get("cnf");
        var jkt = cnf == null ? null : text(cnf, "jkt");
        if (sub == null || !Did.isValid(sub) || jti == null || jkt == null) throw OAuthException.invalidToken("Invalid token");
        long now = clock.millis();
        record Row(String id, String did, String clientId, String scope, String jkt, long lastUsed) {}
        var row = db.read(c -> {
            try (var st = c.prepareStatement("""
                    SELECT id, did, client_id, scope, dpop_jkt, last_used_at FROM oauth_session
                    WHERE token_id = ? AND expires_at > ?""")) {
                st.setString(1, jti);
                st.setLong(2, now);
                try (var rs = st.executeQuery()) {
                    return rs.next() ? new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getLong(6)) : null;
                }
            }
        });
        if (row == null) throw OAuthException.invalidToken("Token was revoked");
        if (!row.did().equals(sub) || !row.jkt().equals(jkt)) throw OAuthException.invalidToken("Invalid token");
        if (now - row.lastUsed() >= LAST_USE_STEP.toMillis()) {
            db.write(c -> {
                try (var st = c.prepareStatement("UPDATE oauth_session SET last_used_at = ? WHERE id = ? AND last_used_at < ?")) {
                    st.setLong(1, now);
                    st.setString(2, row.id());
                    st.setLong(3, now);
                    return st.executeUpdate();
                }
            });
        }
        return new OAuthAccess(row.did(), row.clientId(), row.id(), ScopeSet.of(row.scope()), row.jkt(), Instant.ofEpochSecond(exp.asLong()));
    }

    /** Signature, algorithm and type first; nothing in an unverified payload is looked at. */
    private JsonNode verifySignature(String token) {
        if (token == null || token.length() > 16_384) throw OAuthException.invalidToken("Invalid token");
        JWSObject jws;
        try {
            jws = JWSObject.parse(token);
        } catch (ParseException | RuntimeException e) {
            throw OAuthException.invalidToken("Invalid token");
        }
        var header = jws.getHeader();
        if (!JWSAlgorithm.HS256.equals(header.getAlgorithm()) || !ACCESS_TYP.equals(header.getType())) {
            throw OAuthException.invalidToken("Invalid token");
        }
        try {
            if (!jws.verify(verifier)) throw OAuthException.invalidToken("Invalid token");
        } catch (JOSEException | IllegalStateException e) {
            throw OAuthException.invalidToken("Invalid token");
        }
        try {
            var claims = Json.READER.readTree(jws.getPayload().toBytes());
            if (claims == null || !claims.isObject()) throw OAuthException.invalidToken("Invalid token");
            return claims;
        } catch (IOException e) {
            throw OAuthException.invalidToken("Invalid token");
        }
    }

    private static String text(JsonNode o, String field) {
        var v = o.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    /**
     * The revocation endpoint (RFC 7009): ends the session of {@code token}, an access token (even
     * expired), a refresh token (current or used) or a session id, if it belongs to {@code clientId}
     * (null: any client, for the owner). Unknown tokens are ignored; the endpoint answers 200 either way.
     */
    public boolean revoke(String token, String clientId) {
        if (token == null || token.isEmpty() || token.length() > 16_384) return false;
        String column;
        String value;
        if (OAuthIds.looksLike(token, OAuthIds.REFRESH)) {
            value = OAuthIds.hash(token);
            column = "refresh_hash";
        } else if (OAuthIds.looksLike(token, OAuthIds.SESSION)) {
            value = token;
            column = "id";
        } else {
            JsonNode claims;
            try {
                claims = verifySignature(token);
            } catch (OAuthException e) {
                return false;
            }
            value = text(claims, "jti");
            column = "token_id";
            if (value == null) return false;
        }
        return db.write(c -> {
            String sessionId = null;
            try (var st = c.prepareStatement("SELECT id, client_id FROM oauth_session WHERE " + column + " = ?")) {
                st.setString(1, value);
                try (var rs = st.executeQuery()) {
                    if (rs.next() && (clientId == null || clientId.equals(rs.getString(2)))) sessionId = rs.getString(1);
                }
            }
            if (sessionId == null && column.equals("refresh_hash")) {
                try (var st = c.prepareStatement("SELECT u.session_id, s.client_id FROM oauth_used_refresh u JOIN oauth_session s ON s.id = u.session_id WHERE u.refresh_hash = ?")) {
                    st.setString(1, value);
                    try (var rs = st.executeQuery()) {
                        if (rs.next() && (clientId == null || clientId.equals(rs.getString(2)))) sessionId = rs.getString(1);
                    }
                }
            }
            return sessionId != null && deleteSession(c, sessionId);
        });
    }

    /** Ends session {@code id} (the owner's {@code alteran oauth revoke}); false if there is none. */
    public boolean revokeSession(String id) {
        return db.write(c -> deleteSession(c, id));
    }

    /** The live sessions, newest first. */
    public List<SessionInfo> sessions() {
        long now = clock.millis();
        return db.read(c -> {
            try (var st = c.prepareStatement("""
                    SELECT id, did, client_id, scope, created_at, last_used_at, expires_at FROM oauth_session
                    WHERE expires_at > ? ORDER BY created_at DESC, id""")) {
                st.setLong(1, now);
                try (var rs = st.executeQuery()) {
                    var out = new ArrayList<SessionInfo>();
                    while (rs.next()) out.add(info(rs));
                    return out;
                }
            }
        });
    }

    private static SessionInfo info(ResultSet rs) throws SQLException {
        return new SessionInfo(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                Instant.ofEpochMilli(rs.getLong(5)), Instant.ofEpochMilli(rs.getLong(6)), Instant.ofEpochMilli(rs.getLong(7)));
    }

    private static boolean deleteSession(Connection c, String id) throws SQLException {
        try (var st = c.prepareStatement("DELETE FROM oauth_used_refresh WHERE session_id = ?")) {
            st.setString(1, id);
            st.executeUpdate();
        }
        try (var st = c.prepareStatement("DELETE FROM oauth_session WHERE id = ?")) {
            st.setString(1, id);
            return st.executeUpdate() > 0;
        }
    }

    private static boolean deleteWhere(Connection c, String column, String value) throws SQLException {
        String id;
        try (var st = c.prepareStatement("SELECT id FROM oauth_session WHERE " + column + " = ?")) {
            st.setString(1, value);
            try (var rs = st.executeQuery()) {
                if (!rs.next()) return false;
                id = rs.getString(1);
            }
        }
        return deleteSession(c, id);
    }

    /** Deletes expired sessions and used refresh tokens, at most once per {@link #PRUNE_EVERY}. */
    void prune() {
        long now = clock.millis();
        long last = lastPrune.get();
        if (now - last < PRUNE_EVERY.toMillis() || !lastPrune.compareAndSet(last, now)) return;
        db.write(c -> {
            try (var st = c.prepareStatement("DELETE FROM oauth_used_refresh WHERE expires_at <= ?")) {
                st.setLong(1, now);
                st.executeUpdate();
            }
            try (var st = c.prepareStatement("DELETE FROM oauth_session WHERE expires_at <= ?")) {
                st.setLong(1, now);
                return st.executeUpdate();
            }
        });
    }

    private static OAuthException invalidGrant(String description) {
        return new OAuthException("invalid_grant", description, 400, false);
    }
}
