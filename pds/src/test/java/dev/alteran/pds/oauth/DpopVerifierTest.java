package dev.alteran.pds.oauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.SqlReplayStore;
import dev.alteran.pds.wire.Json;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** DPoP proofs built here with nimbus, honest and hostile, against the verifier over a real database. */
class DpopVerifierTest {
    static final URI URL = URI.create("https://pds.example.com/oauth/token");
    static final String SECRET = DpopNoncesTest.SECRET;
    static ECKey p256;
    static ECKey otherP256;

    @TempDir
    Path dir;
    Database db;
    TestClock clock;
    DpopNonces nonces;
    DpopVerifier verifier;

    @BeforeAll
    static void keys() throws Exception {
        p256 = new ECKeyGenerator(Curve.P_256).generate();
        otherP256 = new ECKeyGenerator(Curve.P_256).generate();
    }

    @BeforeEach
    void open() {
        db = Database.openSqlite(dir.resolve("oauth.sqlite"));
        clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
        nonces = DpopNonces.fromConfig(SECRET, clock);
        verifier = new DpopVerifier(nonces, new SqlReplayStore(db, clock), clock);
    }

    @AfterEach
    void close() {
        db.close();
    }

    /** The header and claims of an honest proof for POST {@link #URL}, for a test to change. */
    ObjectNode header(JWK key, String alg) {
        var h = Json.object().put("typ", "dpop+jwt").put("alg", alg);
        h.set("jwk", Json.toTree(key.toPublicJWK().toJSONObject()));
        return h;
    }

    ObjectNode claims() {
        return Json.object().put("jti", UUID.randomUUID().toString()).put("htm", "POST").put("htu", URL.toString())
                .put("iat", clock.millis() / 1000).put("nonce", nonces.next());
    }

    /** A compact JWS of exactly these header and claims, signed by {@code signer} with {@code signingAlg}. */
    static String sign(ObjectNode header, ObjectNode claims, JWSSigner signer, JWSAlgorithm signingAlg) throws Exception {
        var input = Base64URL.encode(header.toString().getBytes(StandardCharsets.UTF_8)) + "."
                + Base64URL.encode(claims.toString().getBytes(StandardCharsets.UTF_8));
        var sig = signer.sign(new JWSHeader(signingAlg), input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + sig;
    }

    String proof(Consumer<ObjectNode> editHeader, Consumer<ObjectNode> editClaims) throws Exception {
        var h = header(p256, "ES256");
        var c = claims();
        editHeader.accept(h);
        editClaims.accept(c);
        return sign(h, c, new ECDSASigner(p256), JWSAlgorithm.ES256);
    }

    String proof(Consumer<ObjectNode> editClaims) throws Exception {
        return proof(h -> { }, editClaims);
    }

    DpopProof verify(String proof) {
        return verifier.verify(List.of(proof), "POST", URL, null);
    }

    static void refused(Runnable call, String error, String description) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(OAuthException.class, e -> {
            assertThat(e.error()).isEqualTo(error);
            assertThat(e.description()).contains(description);
        });
    }

    @Test
    void anHonestProofGivesTheKeyThumbprint() throws Exception {
        var proof = verify(proof(c -> { }));
        assertThat(proof.jkt()).isEqualTo(p256.computeThumbprint().toString());
        assertThat(proof.htm()).isEqualTo("POST");
        assertThat(proof.htu()).isEqualTo(URL.toString());
    }

    @Test
    void acceptsTheReferencesAlgorithms() throws Exception {
        var bc = new BouncyCastleProvider();
        var k256 = new ECKeyGenerator(Curve.SECP256K1).provider(bc).generate();
        var k256Signer = new ECDSASigner(k256.toECPrivateKey(bc), Curve.SECP256K1);
        k256Signer.getJCAContext().setProvider(bc);
        assertThat(verify(sign(header(k256, "ES256K"), claims(), k256Signer, JWSAlgorithm.ES256K)).jkt())
                .isEqualTo(k256.computeThumbprint().toString());

        var p384 = new ECKeyGenerator(Curve.P_384).generate();
        verify(sign(header(p384, "ES384"), claims(), new ECDSASigner(p384), JWSAlgorithm.ES384));

        RSAKey weak = new RSAKeyGenerator(1024, true).generate();
        refused(() -> verify(uncheck(() -> sign(header(weak, "RS256"), claims(), new RSASSASigner(weak.toRSAPrivateKey(), true), JWSAlgorithm.RS256))),
                "invalid_dpop_proof", "signature");

        RSAKey rsa = new RSAKeyGenerator(2048).generate();
        verify(sign(header(rsa, "RS256"), claims(), new RSASSASigner(rsa), JWSAlgorithm.RS256));
        verify(sign(header(rsa, "PS256"), claims(), new RSASSASigner(rsa), JWSAlgorithm.PS256));
    }

    @Test
    void noHeaderIsNoProof() {
        assertThat(verifier.verify(List.of(), "POST", URL, null)).isNull();
        assertThat(verifier.verify(null, "POST", URL, null)).isNull();
    }

    @Test
    void oneNonEmptyHeaderOnly() throws Exception {
        var p = proof(c -> { });
        refused(() -> verifier.verify(List.of(p, p), "POST", URL, null), "invalid_dpop_proof", "single proof");
        refused(() -> verify(""), "invalid_dpop_proof", "cannot be empty");
        refused(() -> verify("x".repeat(DpopVerifier.MAX_PROOF_CHARS + 1)), "invalid_dpop_proof", "too large");
    }

    @ParameterizedTest
    @ValueSource(strings = {"garbage", "a.b.c", "a.b", "...", "eyJ9.eyJ9.AA"})
    void malformedProofs(String proof) {
        refused(() -> verify(proof), "invalid_dpop_proof", "Failed to verify DPoP proof");
    }

    @Test
    void typeMustBeDpopJwt() throws Exception {
        refused(() -> verify(uncheck(() -> proof(h -> h.put("typ", "JWT"), c -> { }))), "invalid_dpop_proof", "typ");
        refused(() -> verify(uncheck(() -> proof(h -> h.remove("typ"), c -> { }))), "invalid_dpop_proof", "typ");
        verify(proof(h -> h.put("typ", "application/DPoP+JWT"), c -> { })); // jose's typ comparison
    }

    @Test
    void algNoneIsRefused() throws Exception {
        var h = header(p256, "none");
        var unsigned = Base64URL.encode(h.toString()) + "." + Base64URL.encode(claims().toString()) + ".";
        refused(() -> verify(unsigned), "invalid_dpop_proof", "Failed to verify DPoP proof");
    }

    @Test
    void hmacIsRefused() throws Exception {
        var secret = new byte[32];
        var h = header(p256, "HS256");
        refused(() -> verify(uncheck(() -> sign(h, claims(), new MACSigner(secret), JWSAlgorithm.HS256))),
                "invalid_dpop_proof", "alg");
    }

    @Test
    void theKeyMustBeEmbeddedPublicAndTheSigners() throws Exception {
        refused(() -> verify(uncheck(() -> proof(h -> h.remove("jwk"), c -> { }))), "invalid_dpop_proof", "Failed to verify DPoP proof");
        refused(() -> verify(uncheck(() -> proof(h -> h.set("jwk", Json.toTree(p256.toJSONObject())), c -> { }))),
                "invalid_dpop_proof", "Failed to verify DPoP proof");
        // signed by another key than the one in the header
        var h = header(otherP256, "ES256");
        refused(() -> verify(uncheck(() -> sign(h, claims(), new ECDSASigner(p256), JWSAlgorithm.ES256))),
                "invalid_dpop_proof", "signature");
        // ES256 claimed with a P-384 key
        var p384 = new ECKeyGenerator(Curve.P_384).generate();
        var wrongCurve = header(p384, "ES256");
        refused(() -> verify(uncheck(() -> sign(wrongCurve, claims(), new ECDSASigner(p384), JWSAlgorithm.ES384))),
                "invalid_dpop_proof", "Failed to verify DPoP proof");
    }

    @Test
    void aTamperedPayloadFailsTheSignature() throws Exception {
        var honest = proof(c -> { });
        var parts = honest.split("\\.");
        var forged = Json.READER.readTree(Base64URL.from(parts[1]).decodeToString()).deepCopy();
        ((ObjectNode) forged).put("htm", "GET");
        var tampered = parts[0] + "." + Base64URL.encode(forged.toString()) + "." + parts[2];
        refused(() -> verifier.verify(List.of(tampered), "GET", URL, null), "invalid_dpop_proof", "signature");
    }

    @Test
    void iatWindow() throws Exception {
        long now = clock.millis() / 1000;
        verify(proof(c -> c.put("iat", now - 190))); // 10 s old plus the 180 s tolerance
        refused(() -> verify(uncheck(() -> proof(c -> c.put("iat", now - 191)))), "invalid_dpop_proof", "iat");
        verify(proof(c -> c.put("iat", now + 180)));
        refused(() -> verify(uncheck(() -> proof(c -> c.put("iat", now + 181)))), "invalid_dpop_proof", "iat");
        refused(() -> verify(uncheck(() -> proof(c -> c.remove("iat")))), "invalid_dpop_proof", "iat");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("iat", "1767225600")))), "invalid_dpop_proof", "iat");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("exp", now - 181)))), "invalid_dpop_proof", "exp");
    }

    @Test
    void jtiIsRequiredAndSingleUse() throws Exception {
        refused(() -> verify(uncheck(() -> proof(c -> c.remove("jti")))), "invalid_dpop_proof", "jti");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("jti", "")))), "invalid_dpop_proof", "jti");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("jti", 7)))), "invalid_dpop_proof", "jti");
        var once = proof(c -> { });
        verify(once);
        refused(() -> verify(once), "invalid_dpop_proof", "replayed");
        // the same jti in a fresh proof is a replay too
        var jti = UUID.randomUUID().toString();
        verify(proof(c -> c.put("jti", jti)));
        refused(() -> verify(uncheck(() -> proof(c -> c.put("jti", jti)))), "invalid_dpop_proof", "replayed");
    }

    @Test
    void aReplayIsRefusedAfterARestart() throws Exception {
        var once = proof(c -> { });
        verify(once);
        db.close();
        db = Database.openSqlite(dir.resolve("oauth.sqlite"));
        verifier = new DpopVerifier(nonces, new SqlReplayStore(db, clock), clock);
        refused(() -> verify(once), "invalid_dpop_proof", "replayed");
    }

    @Test
    void htmMustBeTheMethod() throws Exception {
        refused(() -> verifier.verify(List.of(uncheck(() -> proof(c -> { }))), "GET", URL, null), "invalid_dpop_proof", "htm");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("htm", "post")))), "invalid_dpop_proof", "htm");
        refused(() -> verify(uncheck(() -> proof(c -> c.remove("htm")))), "invalid_dpop_proof", "htm");
    }

    @Test
    void htuMustBeTheRequestUrl() throws Exception {
        refused(() -> verify(uncheck(() -> proof(c -> c.put("htu", "https://pds.example.com/oauth/par")))), "invalid_dpop_proof", "htu");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("htu", "https://evil.example.com/oauth/token")))), "invalid_dpop_proof", "htu");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("htu", "http://pds.example.com/oauth/token")))), "invalid_dpop_proof", "htu");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("htu", "https://pds.example.com:8443/oauth/token")))), "invalid_dpop_proof", "htu");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("htu", "https://user:pw@pds.example.com/oauth/token")))), "invalid_dpop_proof", "credentials");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("htu", "ftp://pds.example.com/oauth/token")))), "invalid_dpop_proof", "http or https");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("htu", "/oauth/token")))), "invalid_dpop_proof", "valid URL");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("htu", "https://pds.example.com/oauth/token with space")))), "invalid_dpop_proof", "valid URL");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("htu", 5)))), "invalid_dpop_proof", "htu");
    }

    @Test
    void htuIsComparedAsOriginAndPath() throws Exception {
        verify(proof(c -> c.put("htu", "HTTPS://PDS.Example.COM:443/oauth/./x/../token")));
        verify(proof(c -> c.put("htu", "https://pds.example.com/oauth/token?legacy=1#frag"))); // the reference still allows these
        // the request side is reduced the same way: its query never matters
        verifier.verify(List.of(proof(c -> { })), "POST", URI.create("https://pds.example.com/oauth/token?x=1"), null);
        var root = URI.create("https://pds.example.com");
        verifier.verify(List.of(proof(c -> c.put("htu", "https://pds.example.com/"))), "POST", root, null);
    }

    @Test
    void theServerNonceIsRequired() throws Exception {
        refused(() -> verify(uncheck(() -> proof(c -> c.remove("nonce")))), "use_dpop_nonce", "requires nonce");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("nonce", "")))), "use_dpop_nonce", "requires nonce");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("nonce", "made-up")))), "use_dpop_nonce", "mismatch");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("nonce", 12)))), "invalid_dpop_proof", "nonce");
        var other = DpopNonces.fromConfig(null, clock);
        refused(() -> verify(uncheck(() -> proof(c -> c.put("nonce", other.next())))), "use_dpop_nonce", "mismatch");
    }

    @Test
    void aProofRefusedForItsNonceDoesNotUseUpItsJti() throws Exception {
        var jti = UUID.randomUUID().toString();
        refused(() -> verify(uncheck(() -> proof(c -> c.put("jti", jti).remove("nonce")))), "use_dpop_nonce", "nonce");
        verify(proof(c -> c.put("jti", jti)));
    }

    @Test
    void aNonceExpiresAfterThreeSteps() throws Exception {
        var nonce = nonces.next();
        clock.advance(Duration.ofMinutes(2));
        verify(proof(c -> c.put("nonce", nonce)));
        clock.advance(Duration.ofMinutes(1));
        refused(() -> verify(uncheck(() -> proof(c -> c.put("nonce", nonce)))), "use_dpop_nonce", "mismatch");
    }

    @Test
    void athBindsTheProofToTheAccessToken() throws Exception {
        var token = "access.token.value";
        var ath = DpopVerifier.accessTokenHash(token);
        verifier.verify(List.of(proof(c -> c.put("ath", ath))), "POST", URL, token);
        refused(() -> verifier.verify(List.of(uncheck(() -> proof(c -> c.put("ath", ath)))), "POST", URL, "another.token"),
                "invalid_dpop_proof", "ath");
        refused(() -> verifier.verify(List.of(uncheck(() -> proof(c -> { }))), "POST", URL, token), "invalid_dpop_proof", "ath");
        refused(() -> verify(uncheck(() -> proof(c -> c.put("ath", ath)))), "invalid_dpop_proof", "not allowed");
    }

    @Test
    void theProofKeyMustBeTheTokensKey() throws Exception {
        var proof = verify(proof(c -> { }));
        proof.requireKey(p256.computeThumbprint().toString());
        assertThatThrownBy(() -> proof.requireKey(otherP256.computeThumbprint().toString()))
                .isInstanceOfSatisfying(OAuthException.class, e -> {
                    assertThat(e.error()).isEqualTo("invalid_token");
                    assertThat(e.status()).isEqualTo(401);
                    assertThat(e.wwwAuthenticate()).contains("error=\"invalid_token\"");
                });
    }

    @Test
    void errorShapes() {
        var nonce = OAuthException.useDpopNonce("Authorization server requires nonce in DPoP proof");
        assertThat(nonce.status()).isEqualTo(400);
        assertThat(nonce.wwwAuthenticate()).isNull();
        assertThat(nonce.toJson().toString())
                .isEqualTo("{\"error\":\"use_dpop_nonce\",\"error_description\":\"Authorization server requires nonce in DPoP proof\"}");
        var atResource = nonce.forResourceServer();
        assertThat(atResource.status()).isEqualTo(401);
        assertThat(atResource.wwwAuthenticate()).isEqualTo("DPoP algs=\"RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K ES384 ES512\", "
                + "error=\"use_dpop_nonce\", error_description=\"Authorization server requires nonce in DPoP proof\"");
        assertThat(OAuthException.invalidDpopProof("DPoP \"htu\" mismatch").wwwAuthenticate())
                .endsWith("error=\"invalid_dpop_proof\""); // a quote in the description would break the header
        assertThat(OAuthException.invalidToken("Token expired").forResourceServer().status()).isEqualTo(401);
    }

    interface Failing<T> {
        T get() throws Exception;
    }

    static <T> T uncheck(Failing<T> f) {
        try {
            return f.get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
