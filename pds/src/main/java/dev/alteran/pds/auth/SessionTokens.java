package dev.alteran.pds.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import dev.alteran.atproto.syntax.Did;
import dev.alteran.pds.wire.Json;
import dev.alteran.pds.wire.XrpcException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.util.Base64;
import java.util.Set;

/**
 * Our session JWTs, shaped like the reference PDS's: HS256, header {@code typ} {@code at+jwt} for
 * access and {@code refresh+jwt} for refresh tokens, claims {@code scope}, {@code aud} and
 * {@code sub} (both our DID), {@code iat}, {@code exp}, and {@code jti} on refresh tokens. Access
 * and refresh tokens are signed with different keys ({@code ACCESS_TOKEN}, {@code REFRESH_TOKEN}),
 * so neither can stand in for the other even before the {@code typ} and scope checks.
 *
 * <p>Failures are the reference's: 400 {@code ExpiredToken} "Token has expired" for a
 * well-signed token past its {@code exp}, 400 {@code InvalidToken} for anything else. Signers and
 * verifiers are built once; both are thread-safe.
 */
public final class SessionTokens {
    static final JOSEObjectType ACCESS_TYP = new JOSEObjectType("at+jwt");
    static final JOSEObjectType REFRESH_TYP = new JOSEObjectType("refresh+jwt");
    private static final Set<Scope> ACCESS_SCOPES = Set.of(Scope.ACCESS, Scope.APP_PASS, Scope.APP_PASS_PRIVILEGED);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String did;
    private final long accessTtlSec;
    private final long refreshTtlSec;
    private final Clock clock;
    private final MACSigner accessSigner;
    private final MACSigner refreshSigner;
    private final MACVerifier accessVerifier;
    private final MACVerifier refreshVerifier;

    /** A freshly issued pair; {@code refreshExpiresAt} is epoch seconds, for the refresh-token row. */
    public record Pair(String accessJwt, String refreshJwt, String refreshJti, long refreshExpiresAt) {}

    /** A verified access token; {@code expiresAt} is epoch seconds. */
    public record Access(Principal principal, long expiresAt) {}

    /** A verified refresh token. */
    public record Refresh(String jti, long expiresAt) {}

    public SessionTokens(String did, String accessSecret, String refreshSecret, long accessTtlSec, long refreshTtlSec, Clock clock) {
        this.did = did;
        this.accessTtlSec = accessTtlSec;
        this.refreshTtlSec = refreshTtlSec;
        this.clock = clock;
        try {
            var accessKey = hmacKey(accessSecret);
            var refreshKey = hmacKey(refreshSecret);
            this.accessSigner = new MACSigner(accessKey);
            this.refreshSigner = new MACSigner(refreshKey);
            this.accessVerifier = new MACVerifier(accessKey);
            this.refreshVerifier = new MACVerifier(refreshKey);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot build the session token keys", e);
        }
    }

    /**
     * The HMAC key: the secret's UTF-8 bytes. HS256 wants at least 256 bits, which production
     * configuration enforces; a shorter development secret is stretched with SHA-256 instead of refused.
     */
    static byte[] hmacKey(String secret) {
        var bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= 32) return bytes;
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new refresh token ID: 32 random bytes, base64url. */
    public static String newJti() {
        var b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** An access token of {@code scope} and a refresh token with ID {@code refreshJti}, both from now. */
    public Pair issue(Scope scope, String refreshJti) {
        long now = nowSec();
        var access = claims(scope, now, now + accessTtlSec);
        var refresh = claims(Scope.REFRESH, now, now + refreshTtlSec);
        refresh.put("jti", refreshJti);
        return new Pair(sign(ACCESS_TYP, accessSigner, access), sign(REFRESH_TYP, refreshSigner, refresh),
                refreshJti, now + refreshTtlSec);
    }

    /** Verifies an access token; the principal carries its scope (full access or an app password's). */
    public Access verifyAccess(String token) {
        var claims = verify(token, ACCESS_TYP, accessVerifier, false);
        var scope = scope(claims, ACCESS_SCOPES);
        return new Access(new Principal(did, scope), claims.get("exp").asLong());
    }

    /** Verifies a refresh token; {@code allowExpired} is for deleteSession, which may revoke an expired token. */
    public Refresh verifyRefresh(String token, boolean allowExpired) {
        var claims = verify(token, REFRESH_TYP, refreshVerifier, allowExpired);
        scope(claims, Set.of(Scope.REFRESH));
        var jti = claims.get("jti");
        if (jti == null) throw new XrpcException(401, "MissingTokenId", "Unexpected missing refresh token id");
        return new Refresh(jti.asText(), claims.get("exp").asLong());
    }

    /** Epoch seconds of the session clock. */
    public long nowSec() {
        return clock.millis() / 1000;
    }

    private ObjectNode claims(Scope scope, long iat, long exp) {
        var o = Json.object();
        o.put("scope", scope.claim());
        o.put("aud", did);
        o.put("sub", did);
        o.put("iat", iat);
        o.put("exp", exp);
        return o;
    }

    private static String sign(JOSEObjectType typ, MACSigner signer, ObjectNode claims) {
        var header = new JWSHeader.Builder(JWSAlgorithm.HS256).type(typ).build();
        var jws = new JWSObject(header, new Payload(claims.toString()));
        try {
            jws.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a session token", e);
        }
        return jws.serialize();
    }

    /**
     * Signature, algorithm and type first: nothing in an unverified payload is looked at. Then the
     * claims, strictly typed: {@code aud} and {@code sub} must be our DID as plain strings.
     */
    private JsonNode verify(String token, JOSEObjectType typ, MACVerifier verifier, boolean allowExpired) {
        // The compact form exactly: nimbus trims what surrounds it (control characters too), which the
        // reference's verifier does not.
        if (!isCompactJws(token)) throw unverifiable();
        JWSObject jws;
        try {
            jws = JWSObject.parse(token);
        } catch (ParseException | RuntimeException e) {
            throw unverifiable();
        }
        var header = jws.getHeader();
        // Only HS256: "none", other HMAC sizes and every asymmetric algorithm are refused before verifying.
        if (!JWSAlgorithm.HS256.equals(header.getAlgorithm()) || !typ.equals(header.getType())) throw unverifiable();
        try {
            if (!jws.verify(verifier)) throw unverifiable();
        } catch (JOSEException | IllegalStateException e) {
            throw unverifiable();
        }
        JsonNode claims;
        try {
            claims = Json.READER.readTree(jws.getPayload().toBytes());
        } catch (IOException e) {
            throw unverifiable();
        }
        if (claims == null || !claims.isObject()) throw unverifiable();
        var aud = claims.get("aud");
        if (aud == null || !aud.isTextual() || !aud.asText().equals(did)) throw unverifiable();
        var exp = claims.get("exp");
        if (exp == null || !exp.isIntegralNumber()) throw unverifiable();
        var iat = claims.get("iat");
        if (iat != null && !iat.isNumber()) throw unverifiable();
        var nbf = claims.get("nbf");
        if (nbf != null && (!nbf.isNumber() || nbf.asLong() > nowSec())) throw unverifiable();
        if (!allowExpired && exp.asLong() <= nowSec()) throw new XrpcException(400, "ExpiredToken", "Token has expired");
        // Service-auth (lxm) and proof-of-possession (cnf) tokens never authenticate a session.
        if (claims.has("lxm") || claims.has("cnf")) throw malformed();
        var sub = claims.get("sub");
        if (sub == null || !sub.isTextual() || !Did.isValid(sub.asText())) throw malformed();
        if (!sub.asText().equals(did)) throw unverifiable();
        var jti = claims.get("jti");
        if (jti != null && !jti.isTextual()) throw malformed();
        return claims;
    }

    /** Base64url characters in three parts separated by dots, nothing else. */
    static boolean isCompactJws(String token) {
        int dots = 0;
        for (int i = 0; i < token.length(); i++) {
            char ch = token.charAt(i);
            if (ch == '.') dots++;
            else if (!(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_')) return false;
        }
        return dots == 2;
    }

    private static Scope scope(JsonNode claims, Set<Scope> allowed) {
        var node = claims.get("scope");
        var scope = node != null && node.isTextual() ? Scope.fromClaim(node.asText()) : null;
        if (scope == null || !allowed.contains(scope)) throw new XrpcException(400, "InvalidToken", "Bad token scope");
        return scope;
    }

    private static XrpcException unverifiable() {
        return new XrpcException(400, "InvalidToken", "Token could not be verified");
    }

    private static XrpcException malformed() {
        return new XrpcException(400, "InvalidToken", "Malformed token");
    }
}
