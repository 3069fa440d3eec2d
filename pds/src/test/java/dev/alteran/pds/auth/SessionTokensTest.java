package dev.alteran.pds.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.pds.wire.Json;
import dev.alteran.pds.wire.XrpcException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class SessionTokensTest {
    static final String DID = "did:web:pds.example.com";
    static final String ACCESS_SECRET = "a".repeat(43);
    static final String REFRESH_SECRET = "b".repeat(43);
    static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");

    final SessionTokens tokens = at(NOW);

    static SessionTokens at(Instant now) {
        return new SessionTokens(DID, ACCESS_SECRET, REFRESH_SECRET, 3600, 86400, Clock.fixed(now, ZoneOffset.UTC));
    }

    static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A JWT built by hand, HMAC-SHA-256 (or another) with the given key: independent of the code under test. */
    static String forge(String headerJson, Map<String, Object> claims, String secret, String macAlg) throws Exception {
        var input = b64(headerJson) + "." + b64(Json.WRITER.writeValueAsString(claims));
        var mac = Mac.getInstance(macAlg);
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), macAlg));
        var sig = Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        return input + "." + sig;
    }

    static Map<String, Object> accessClaims(long iat, long exp) {
        return Map.of("scope", "com.atproto.access", "aud", DID, "sub", DID, "iat", iat, "exp", exp);
    }

    static void fails(ThrowingCallable call, int status, String error, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(XrpcException.class, e -> {
            assertThat(e.status()).isEqualTo(status);
            assertThat(e.error()).isEqualTo(error);
            assertThat(e.getMessage()).isEqualTo(message);
        });
    }

    long now() {
        return NOW.getEpochSecond();
    }

    @Test
    void issuedTokensHaveTheReferenceShape() throws Exception {
        var pair = tokens.issue(Scope.ACCESS, "jti-1");
        var accessParts = pair.accessJwt().split("\\.");
        var header = Json.READER.readTree(Base64.getUrlDecoder().decode(accessParts[0]));
        assertThat(header.get("alg").asText()).isEqualTo("HS256");
        assertThat(header.get("typ").asText()).isEqualTo("at+jwt");
        var claims = Json.READER.readTree(Base64.getUrlDecoder().decode(accessParts[1]));
        assertThat(claims.get("scope").asText()).isEqualTo("com.atproto.access");
        assertThat(claims.get("aud").isTextual()).isTrue();
        assertThat(claims.get("aud").asText()).isEqualTo(DID);
        assertThat(claims.get("sub").asText()).isEqualTo(DID);
        assertThat(claims.get("iat").asLong()).isEqualTo(now());
        assertThat(claims.get("exp").asLong()).isEqualTo(now() + 3600);
        assertThat(claims.has("jti")).isFalse();

        var refreshParts = pair.refreshJwt().split("\\.");
        var rh = Json.READER.readTree(Base64.getUrlDecoder().decode(refreshParts[0]));
        assertThat(rh.get("typ").asText()).isEqualTo("refresh+jwt");
        var rc = Json.READER.readTree(Base64.getUrlDecoder().decode(refreshParts[1]));
        assertThat(rc.get("scope").asText()).isEqualTo("com.atproto.refresh");
        assertThat(rc.get("jti").asText()).isEqualTo("jti-1");
        assertThat(rc.get("exp").asLong()).isEqualTo(now() + 86400);
        assertThat(pair.refreshExpiresAt()).isEqualTo(now() + 86400);
    }

    @Test
    void accessTokenVerifies() {
        var pair = tokens.issue(Scope.APP_PASS, "j");
        var access = tokens.verifyAccess(pair.accessJwt());
        assertThat(access.principal()).isEqualTo(new Principal(DID, Scope.APP_PASS));
        assertThat(access.expiresAt()).isEqualTo(now() + 3600);
        assertThat(tokens.verifyRefresh(pair.refreshJwt(), false)).isEqualTo(new SessionTokens.Refresh("j", now() + 86400));
    }

    @Test
    void handForgedTokenWithTheRightKeyVerifies() throws Exception {
        // guards the forging helper the rejection tests rely on
        var token = forge("{\"typ\":\"at+jwt\",\"alg\":\"HS256\"}", accessClaims(now(), now() + 60), ACCESS_SECRET, "HmacSHA256");
        assertThat(tokens.verifyAccess(token).principal().scope()).isEqualTo(Scope.ACCESS);
    }

    @Test
    void badSignatureIsRefused() throws Exception {
        var token = forge("{\"typ\":\"at+jwt\",\"alg\":\"HS256\"}", accessClaims(now(), now() + 60), "x".repeat(43), "HmacSHA256");
        fails(() -> tokens.verifyAccess(token), 400, "InvalidToken", "Token could not be verified");
        var good = tokens.issue(Scope.ACCESS, "j").accessJwt();
        var tampered = good.substring(0, good.length() - 2) + (good.endsWith("AA") ? "BB" : "AA");
        fails(() -> tokens.verifyAccess(tampered), 400, "InvalidToken", "Token could not be verified");
    }

    @Test
    void algNoneIsRefused() throws Exception {
        var token = b64("{\"typ\":\"at+jwt\",\"alg\":\"none\"}") + "." + b64(Json.WRITER.writeValueAsString(accessClaims(now(), now() + 60))) + ".";
        fails(() -> tokens.verifyAccess(token), 400, "InvalidToken", "Token could not be verified");
        var unsigned = b64("{\"typ\":\"at+jwt\",\"alg\":\"none\"}") + "." + b64("{\"scope\":\"com.atproto.access\"}");
        fails(() -> tokens.verifyAccess(unsigned), 400, "InvalidToken", "Token could not be verified");
    }

    @Test
    void otherAlgorithmsAreRefusedEvenWithTheRightKey() throws Exception {
        var hs512 = forge("{\"typ\":\"at+jwt\",\"alg\":\"HS512\"}", accessClaims(now(), now() + 60), ACCESS_SECRET, "HmacSHA512");
        fails(() -> tokens.verifyAccess(hs512), 400, "InvalidToken", "Token could not be verified");
        // HS256 MAC under an asymmetric algorithm name (the classic key-confusion shape)
        var es256 = forge("{\"typ\":\"at+jwt\",\"alg\":\"ES256K\"}", accessClaims(now(), now() + 60), ACCESS_SECRET, "HmacSHA256");
        fails(() -> tokens.verifyAccess(es256), 400, "InvalidToken", "Token could not be verified");
    }

    @Test
    void wrongAudienceOrSubjectIsRefused() throws Exception {
        var header = "{\"typ\":\"at+jwt\",\"alg\":\"HS256\"}";
        var wrongAud = forge(header, Map.of("scope", "com.atproto.access", "aud", "did:web:other.example", "sub", DID,
                "iat", now(), "exp", now() + 60), ACCESS_SECRET, "HmacSHA256");
        fails(() -> tokens.verifyAccess(wrongAud), 400, "InvalidToken", "Token could not be verified");
        var audArray = forge(header, Map.of("scope", "com.atproto.access", "aud", java.util.List.of(DID), "sub", DID,
                "iat", now(), "exp", now() + 60), ACCESS_SECRET, "HmacSHA256");
        fails(() -> tokens.verifyAccess(audArray), 400, "InvalidToken", "Token could not be verified");
        var wrongSub = forge(header, Map.of("scope", "com.atproto.access", "aud", DID, "sub", "did:plc:abcdefghijklmnopqrstuvwx",
                "iat", now(), "exp", now() + 60), ACCESS_SECRET, "HmacSHA256");
        fails(() -> tokens.verifyAccess(wrongSub), 400, "InvalidToken", "Token could not be verified");
        var notADid = forge(header, Map.of("scope", "com.atproto.access", "aud", DID, "sub", "alice",
                "iat", now(), "exp", now() + 60), ACCESS_SECRET, "HmacSHA256");
        fails(() -> tokens.verifyAccess(notADid), 400, "InvalidToken", "Malformed token");
    }

    @Test
    void expiredTokenIsExpiredToken() throws Exception {
        var token = tokens.issue(Scope.ACCESS, "j");
        var later = at(NOW.plusSeconds(3600));
        fails(() -> later.verifyAccess(token.accessJwt()), 400, "ExpiredToken", "Token has expired");
        assertThat(at(NOW.plusSeconds(3599)).verifyAccess(token.accessJwt()).principal().did()).isEqualTo(DID);
        var laterStill = at(NOW.plusSeconds(86400));
        fails(() -> laterStill.verifyRefresh(token.refreshJwt(), false), 400, "ExpiredToken", "Token has expired");
        assertThat(laterStill.verifyRefresh(token.refreshJwt(), true).jti()).isEqualTo("j");
    }

    @Test
    void refreshAndAccessTokensAreNotInterchangeable() throws Exception {
        var pair = tokens.issue(Scope.ACCESS, "j");
        fails(() -> tokens.verifyAccess(pair.refreshJwt()), 400, "InvalidToken", "Token could not be verified");
        fails(() -> tokens.verifyRefresh(pair.accessJwt(), false), 400, "InvalidToken", "Token could not be verified");
        // the right key and typ but the other scope
        var refreshScoped = forge("{\"typ\":\"at+jwt\",\"alg\":\"HS256\"}", Map.of("scope", "com.atproto.refresh", "aud", DID,
                "sub", DID, "iat", now(), "exp", now() + 60, "jti", "x"), ACCESS_SECRET, "HmacSHA256");
        fails(() -> tokens.verifyAccess(refreshScoped), 400, "InvalidToken", "Bad token scope");
        var missingTyp = forge("{\"alg\":\"HS256\"}", accessClaims(now(), now() + 60), ACCESS_SECRET, "HmacSHA256");
        fails(() -> tokens.verifyAccess(missingTyp), 400, "InvalidToken", "Token could not be verified");
    }

    @Test
    void refreshTokenWithoutJtiIsMissingTokenId() throws Exception {
        var token = forge("{\"typ\":\"refresh+jwt\",\"alg\":\"HS256\"}", Map.of("scope", "com.atproto.refresh", "aud", DID,
                "sub", DID, "iat", now(), "exp", now() + 60), REFRESH_SECRET, "HmacSHA256");
        fails(() -> tokens.verifyRefresh(token, false), 401, "MissingTokenId", "Unexpected missing refresh token id");
    }

    @Test
    void serviceAuthShapedClaimsAreMalformed() throws Exception {
        var token = forge("{\"typ\":\"at+jwt\",\"alg\":\"HS256\"}", Map.of("scope", "com.atproto.access", "aud", DID,
                "sub", DID, "iat", now(), "exp", now() + 60, "lxm", "com.atproto.repo.createRecord"), ACCESS_SECRET, "HmacSHA256");
        fails(() -> tokens.verifyAccess(token), 400, "InvalidToken", "Malformed token");
    }

    @Test
    void garbageIsInvalidToken() {
        for (var junk : new String[] {"", "abc", "a.b.c", "....", "eyJ.eyJ.sig"}) {
            fails(() -> tokens.verifyAccess(junk), 400, "InvalidToken", "Token could not be verified");
        }
    }

    @Test
    void anIssuedTokenWithAnythingAroundItIsRefused() {
        // Found by AuthFuzzTest: nimbus trimmed a leading control character, so "\u001b" + token verified.
        var good = tokens.issue(Scope.ACCESS, "j").accessJwt();
        for (var padded : new String[] {"\u001b" + good, good + "\u0000", " " + good, good + "\n", good + "."}) {
            fails(() -> tokens.verifyAccess(padded), 400, "InvalidToken", "Token could not be verified");
        }
        assertThat(tokens.verifyAccess(good).principal().did()).isEqualTo(DID);
    }

    @Test
    void shortDevSecretsStillWork() {
        var t = new SessionTokens(DID, "dev", "dev2", 60, 60, Clock.systemUTC());
        assertThat(t.verifyAccess(t.issue(Scope.ACCESS, "j").accessJwt()).principal().did()).isEqualTo(DID);
    }
}
