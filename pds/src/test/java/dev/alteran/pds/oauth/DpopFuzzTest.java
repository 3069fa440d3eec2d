package dev.alteran.pds.oauth;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.jwk.JWK;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.SqlReplayStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;

/**
 * Fuzz target for DPoP proofs (the {@code DPoP} header of the OAuth endpoints and of every DPoP-bound
 * XRPC call). Without {@code JAZZER_FUZZ=1} it replays the saved inputs under
 * {@code src/test/resources/dev/alteran/pds/oauth/DpopFuzzTestInputs/}; bench/fuzz.sh fuzzes it. The
 * seeds are proofs signed with the keys below, at {@link #NOW}, with the nonce of {@link #SECRET}.
 */
class DpopFuzzTest {
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final String SECRET = DpopNoncesTest.SECRET;
    static final URI TOKEN_URL = URI.create("https://pds.example.com/oauth/token");
    static final URI XRPC_URL = URI.create("https://pds.example.com/xrpc/com.atproto.repo.createRecord");
    static final String ACCESS_TOKEN = "access-token";
    /** Test keys (P-256 and secp256k1), known only to this test. */
    static final List<JWK> KEYS = List.of(
            jwk("{\"kty\":\"EC\",\"d\":\"MI9vUqdCI6YSaDrMD7HWbQM0iUFzt-ZKA_kfjTbi0D0\",\"crv\":\"P-256\",\"x\":\"dr_kYjBRn0wizG6Hei6Ec2BZD2nw667BojhjhKFHKJ8\",\"y\":\"U8RCoU9cKyPr0j_7E1KuuHM2hSE3tSEYraPAK0WJa7U\"}"),
            jwk("{\"kty\":\"EC\",\"d\":\"88ndswRngEb3ANxAxHOvbP1KsYOe6aPiltCHkgDxlhE\",\"crv\":\"secp256k1\",\"x\":\"lzz081ZZUtmufaEx8qlBp9LeQFsBvezmUfY_dIx-6Pc\",\"y\":\"rr0yVRClJoLpVhV631GtbVg6OILbiliRzDqQSmFbxIQ\"}"));
    static final Set<String> THUMBPRINTS = Set.of(thumbprint(KEYS.get(0)), thumbprint(KEYS.get(1)));
    static final DpopVerifier VERIFIER;

    static {
        try {
            var dir = Files.createTempDirectory("dpop-fuzz");
            dir.toFile().deleteOnExit();
            var db = Database.openSqlite(dir.resolve("oauth.sqlite"));
            VERIFIER = new DpopVerifier(DpopNonces.fromConfig(SECRET, CLOCK), new SqlReplayStore(db, CLOCK), CLOCK);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JWK jwk(String json) {
        try {
            return JWK.parse(json);
        } catch (ParseException e) {
            throw new IllegalStateException(e);
        }
    }

    static String thumbprint(JWK key) {
        try {
            return key.computeThumbprint().toString();
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Any header value is either refused with an {@link OAuthException} ({@code invalid_dpop_proof} or
     * {@code use_dpop_nonce}) or accepted, nothing else; an accepted proof was signed by one of our
     * keys (the fuzzer cannot sign) and is never accepted a second time (its jti is remembered).
     * Checked at the token endpoint (no access token) and on an XRPC call (with one, so {@code ath} counts).
     */
    @FuzzTest
    void proofIsSignedAndUsedOnceOrRefused(byte[] input) {
        var proof = new String(input, StandardCharsets.UTF_8);
        check(proof, "POST", TOKEN_URL, null);
        check(proof, "POST", XRPC_URL, ACCESS_TOKEN);
    }

    private static void check(String proof, String method, URI url, String accessToken) {
        DpopProof verified;
        try {
            verified = VERIFIER.verify(List.of(proof), method, url, accessToken);
        } catch (OAuthException e) {
            assertTrue(e.error().equals("invalid_dpop_proof") || e.error().equals("use_dpop_nonce"), e.error());
            return;
        }
        assertTrue(THUMBPRINTS.contains(verified.jkt()), "accepted a proof none of our keys signed");
        assertThrows(OAuthException.class, () -> VERIFIER.verify(List.of(proof), method, url, accessToken), "a replay");
    }
}
