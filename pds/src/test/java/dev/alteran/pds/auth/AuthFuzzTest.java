package dev.alteran.pds.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.pds.wire.XrpcException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * Fuzz targets for what a request's {@code Authorization} header brings: the header itself, session
 * JWTs (access and refresh) and service-auth JWTs. Without {@code JAZZER_FUZZ=1} they replay the saved
 * inputs under {@code src/test/resources/dev/alteran/pds/auth/AuthFuzzTestInputs/}; bench/fuzz.sh fuzzes them.
 * The seeds are tokens issued with the fixed secrets and key below at {@link #NOW}.
 */
class AuthFuzzTest {
    static final String DID = "did:plc:abcdefghijklmnopqrstuvwx";
    static final String SERVICE_DID = "did:web:pds.example.com";
    static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final SessionTokens TOKENS = new SessionTokens(DID, "a".repeat(43), "b".repeat(43), 3600, 86400, CLOCK);
    static final Keypair KEY = Keypair.fromPrivateKey(Curve.K256,
            HexFormat.of().parseHex("9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c"));
    static final ServiceTokenVerifier SERVICE = new ServiceTokenVerifier(DID, SERVICE_DID, fresh -> Optional.of(KEY.publicKey()), CLOCK);
    /** The signing inputs ({@code header.payload}) of the seed tokens: the only ones that can verify. */
    static final Set<String> ISSUED = Set.of(
            signingInput(TOKENS.issue(Scope.ACCESS, "jti-0").accessJwt()),
            signingInput(TOKENS.issue(Scope.ACCESS, "jti-0").refreshJwt()),
            signingInput(serviceToken()));

    /** A service token as {@link ServiceAuth} makes them, with a fixed jti so that it is the same every run. */
    static String serviceToken() {
        var b64 = Base64.getUrlEncoder().withoutPadding();
        var header = b64.encodeToString("{\"typ\":\"JWT\",\"alg\":\"ES256K\"}".getBytes(StandardCharsets.UTF_8));
        var payload = b64.encodeToString(("{\"iat\":" + NOW.getEpochSecond() + ",\"iss\":\"" + DID + "\",\"aud\":\"" + SERVICE_DID
                + "\",\"exp\":" + (NOW.getEpochSecond() + 60) + ",\"lxm\":\"com.atproto.repo.uploadBlob\",\"jti\":\"" + "0".repeat(32) + "\"}")
                .getBytes(StandardCharsets.UTF_8));
        var input = header + "." + payload;
        return input + "." + b64.encodeToString(KEY.sign(input.getBytes(StandardCharsets.US_ASCII)));
    }

    static String signingInput(String jwt) {
        int last = jwt.lastIndexOf('.');
        return last < 0 ? jwt : jwt.substring(0, last);
    }

    /** Only 400 (a malformed header) and 401 (a refused token) are expected of credentials. */
    static void assertClientError(XrpcException e) {
        assertTrue(e.status() == 400 || e.status() == 401, () -> "status " + e.status() + " for " + e.getMessage());
    }

    /**
     * Any header value is either no credentials, a principal or a 400/401 XRPC error, nothing else
     * (the servlet maps any other exception to a 500); a principal comes only from a token whose
     * signed part is one the server issued (the fuzzer cannot forge the HMAC or the signature). The
     * same value as a refresh token, and as a service token, holds to the same.
     */
    @FuzzTest
    void authorizationHeaderOnlyYieldsIssuedTokensOr4xx(byte[] input) {
        var value = new String(input, StandardCharsets.UTF_8);
        var authenticator = new SessionAuthenticator(TOKENS, SERVICE);
        var request = SessionAuthenticatorTest.withAuthorization(value);
        try {
            var principal = authenticator.authenticate(request, null);
            if (principal != null) assertTrue(ISSUED.contains(signingInput(value.substring(value.indexOf(' ') + 1))));
        } catch (XrpcException e) {
            assertClientError(e);
        }
        try {
            var principal = authenticator.authenticateServiceToken(request, "com.atproto.repo.uploadBlob");
            if (principal != null) {
                assertEquals(Scope.SERVICE, principal.scope());
                assertTrue(ISSUED.contains(signingInput(value.substring(value.indexOf(' ') + 1))));
            }
        } catch (XrpcException e) {
            assertClientError(e);
        }
        try {
            var token = AuthorizationHeader.requireBearer(request);
            TOKENS.verifyRefresh(token, false);
            assertTrue(ISSUED.contains(signingInput(token)));
        } catch (XrpcException e) {
            assertClientError(e);
        }
    }

    /**
     * The token alone (no header to get past): a session access or refresh token, or a service token,
     * is accepted only when issued here, and refused with a 400/401 XRPC error otherwise.
     */
    @FuzzTest
    void tokensVerifyOnlyWhenIssued(byte[] input) {
        var token = new String(input, StandardCharsets.UTF_8);
        try {
            TOKENS.verifyAccess(token);
            assertTrue(ISSUED.contains(signingInput(token)));
        } catch (XrpcException e) {
            assertClientError(e);
        }
        try {
            TOKENS.verifyRefresh(token, true);
            assertTrue(ISSUED.contains(signingInput(token)));
        } catch (XrpcException e) {
            assertClientError(e);
        }
        try {
            ServiceTokenVerifier.isServiceToken(token);
            SERVICE.verify(token, "com.atproto.repo.uploadBlob");
            assertTrue(ISSUED.contains(signingInput(token)));
        } catch (XrpcException e) {
            assertClientError(e);
        }
    }
}
