package dev.alteran.pds.oauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.alteran.pds.identity.Egress;
import dev.alteran.pds.identity.Rebinding;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.SqlReplayStore;
import dev.alteran.pds.wire.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A confidential client ({@code private_key_jwt}) whose metadata document is served over https on
 * loopback: PAR and the token endpoint authenticate it by a client assertion, and every flaw of the
 * assertion gets the reference's error and changes nothing.
 */
class OAuthProviderTest {
    static final String HOST = "client.alteran-test.net";
    static final String ISSUER = "https://pds.example.com";
    static final String DID = "did:web:pds.example.com";
    static Rebinding.Tls tls;
    static ECKey clientKey;

    @TempDir
    Path dir;
    final TestClock clock = new TestClock(Instant.now());
    Database db;
    Rebinding.Stage stage;
    Rebinding.Stage keyStage;
    ClientMetadataFetcher fetcher;
    OAuthProvider provider;
    String clientId;
    final DpopProof proof = new DpopProof("jti", "dpop-key-thumbprint", "POST", ISSUER + "/oauth/par");

    @BeforeAll
    static void keys(@TempDir Path certs) throws Exception {
        tls = Rebinding.Tls.forName(HOST, certs);
        clientKey = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
    }

    @BeforeEach
    void start() throws Exception {
        start(false);
    }

    /** The client's metadata on one https server; with {@code keysByUri} its keys on another, named by jwks_uri. */
    void start(boolean keysByUri) throws Exception {
        close();
        var jwks = Json.object();
        jwks.putArray("keys").add(Json.toTree(clientKey.toPublicJWK().toJSONObject()));
        keyStage = Rebinding.stage(port -> http(jwks.toString()), tls.server());
        stage = Rebinding.stage(port -> {
            var id = "https://" + HOST + ":" + port + "/oauth/client-metadata.json";
            var doc = Json.object().put("client_id", id).put("client_name", "Confidential App").put("client_uri", "https://" + HOST + ":" + port)
                    .put("scope", "atproto transition:generic").put("token_endpoint_auth_method", "private_key_jwt")
                    .put("token_endpoint_auth_signing_alg", "ES256").put("application_type", "web").put("dpop_bound_access_tokens", true);
            doc.putArray("redirect_uris").add("https://" + HOST + "/callback");
            doc.putArray("grant_types").add("authorization_code").add("refresh_token");
            doc.putArray("response_types").add("code");
            if (keysByUri) doc.put("jwks_uri", "https://" + HOST + ":" + keyStage.port() + "/jwks.json");
            else doc.set("jwks", jwks);
            return http(doc.toString());
        }, tls.server());
        clientId = "https://" + HOST + ":" + stage.port() + "/oauth/client-metadata.json";
        var dns = new Rebinding.ScriptedResolver(Map.of(HOST, List.of(Rebinding.CHECKED)));
        fetcher = new ClientMetadataFetcher(new Egress(dns, Rebinding.RULE, tls.client()), clock, true);
        db = Database.openSqlite(dir.resolve("p.sqlite"));
        var tokens = new OAuthTokens(db, ISSUER, DID, "0123456789abcdef0123456789abcdef", OAuthTokens.Lifetimes.REFERENCE, clock);
        provider = new OAuthProvider(ISSUER, DID, fetcher, new OAuthRequests(db, clock), tokens, new SqlReplayStore(db, clock), db, clock);
    }

    static String http(String json) {
        var body = json.getBytes(StandardCharsets.UTF_8);
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n" + json;
    }

    @AfterEach
    void close() throws Exception {
        if (fetcher != null) fetcher.close();
        if (stage != null) stage.close();
        if (keyStage != null) keyStage.close();
        if (db != null) db.close();
        fetcher = null;
        stage = null;
        keyStage = null;
        db = null;
    }

    String assertion(ECKey key, String jti, Instant iat, String aud) throws Exception {
        var claims = new JWTClaimsSet.Builder().issuer(clientId).subject(clientId).audience(aud).jwtID(jti)
                .issueTime(Date.from(iat)).expirationTime(Date.from(iat.plusSeconds(60))).build();
        var jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }

    Map<String, String> par(String assertion) {
        var p = new HashMap<String, String>();
        p.put("client_id", clientId);
        p.put("response_type", "code");
        p.put("redirect_uri", "https://" + HOST + "/callback");
        p.put("scope", "atproto transition:generic");
        p.put("state", "st");
        p.put("code_challenge", Pkce.s256("v".repeat(43)));
        p.put("code_challenge_method", "S256");
        p.put("client_assertion_type", OAuthProvider.CLIENT_ASSERTION_TYPE);
        if (assertion != null) p.put("client_assertion", assertion);
        return p;
    }

    static void refused(Runnable call, String error, String description) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(OAuthException.class, e -> {
            assertThat(e.error()).isEqualTo(error);
            assertThat(e.description()).contains(description);
        });
    }

    long requests() {
        return db.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT count(*) FROM oauth_request")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    @Test
    void aConfidentialClientGetsCodeAndTokensWithALongerSession() throws Exception {
        var pushed = provider.pushedAuthorizationRequest(par(assertion(clientKey, UUID.randomUUID().toString(), clock.instant(), ISSUER)), proof);
        var request = provider.requests().find(pushed.get("request_uri").asText());
        assertThat(provider.requests().bind(request.id(), "dev-00000000000000000000000000000000", DID)).isTrue();
        var code = provider.requests().authorize(request.id(), "dev-00000000000000000000000000000000");
        var token = new HashMap<String, String>();
        token.put("client_id", clientId);
        token.put("grant_type", "authorization_code");
        token.put("code", code);
        token.put("redirect_uri", "https://" + HOST + "/callback");
        token.put("code_verifier", "v".repeat(43));
        token.put("client_assertion_type", OAuthProvider.CLIENT_ASSERTION_TYPE);
        token.put("client_assertion", assertion(clientKey, UUID.randomUUID().toString(), clock.instant(), ISSUER));
        var issued = provider.token(token, proof);
        assertThat(provider.tokens().verify(issued.accessToken()).did()).isEqualTo(DID);

        // a confidential session outlives a public one: a refresh after three weeks still works
        clock.advance(Duration.ofDays(21));
        var refresh = new HashMap<String, String>();
        refresh.put("client_id", clientId);
        refresh.put("grant_type", "refresh_token");
        refresh.put("refresh_token", issued.refreshToken());
        refresh.put("client_assertion_type", OAuthProvider.CLIENT_ASSERTION_TYPE);
        refresh.put("client_assertion", assertion(clientKey, UUID.randomUUID().toString(), clock.instant(), ISSUER));
        assertThat(provider.token(refresh, proof).accessToken()).isNotNull();
    }

    /** The issue's hostile client ids, through PAR: a private address, a redirect, a huge document; none is stored. */
    @Test
    void clientIdsAtPrivateAddressesRedirectingOrHugeAreRefusedAtPar() throws Exception {
        var privateDns = new Rebinding.ScriptedResolver(Map.of(HOST, List.of(Rebinding.PRIVATE)));
        try (var privateFetcher = new ClientMetadataFetcher(new Egress(privateDns, Rebinding.RULE, tls.client()), clock, true)) {
            var behindPrivate = new OAuthProvider(ISSUER, DID, privateFetcher, new OAuthRequests(db, clock), provider.tokens(),
                    new SqlReplayStore(db, clock), db, clock);
            refused(() -> behindPrivate.pushedAuthorizationRequest(par(null), proof), "invalid_client_metadata", "Unable to obtain client metadata");
            assertThat(stage.server().accepted).as("no connection to a private address").hasValue(0);
        }
        Map<String, IntFunction<String>> answers = Map.of(
                "HTTP 302", port -> Rebinding.redirect("https://" + HOST + ":" + port + "/elsewhere.json"),
                "Unable to obtain client metadata", port -> http("{\"x\":\"" + "a".repeat(ClientMetadataFetcher.MAX_BYTES) + "\"}"));
        for (var answer : answers.entrySet()) {
            try (var bad = Rebinding.stage(answer.getValue(), tls.server())) {
                var p = par(null);
                p.put("client_id", "https://" + HOST + ":" + bad.port() + "/oauth/client-metadata.json");
                refused(() -> provider.pushedAuthorizationRequest(p, proof), "invalid_client_metadata", answer.getKey());
            }
        }
        assertThat(requests()).isZero();
    }

    @Test
    void keysPublishedAtJwksUriAreFetched() throws Exception {
        start(true);
        var pushed = provider.pushedAuthorizationRequest(par(assertion(clientKey, UUID.randomUUID().toString(), clock.instant(), ISSUER)), proof);
        assertThat(pushed.get("request_uri").asText()).startsWith(OAuthRequests.REQUEST_URI_PREFIX);
        var stranger = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        refused(() -> provider.pushedAuthorizationRequest(par(sneaky(() -> assertion(stranger, UUID.randomUUID().toString(),
                clock.instant(), ISSUER))), proof), "invalid_client", "signature");
    }

    @Test
    void flawedAssertionsAreRefusedAndStoreNothing() throws Exception {
        var jti = UUID.randomUUID().toString();
        provider.pushedAuthorizationRequest(par(assertion(clientKey, jti, clock.instant(), ISSUER)), proof);
        assertThat(requests()).isEqualTo(1);
        refused(() -> provider.pushedAuthorizationRequest(par(sneaky(() -> assertion(clientKey, jti, clock.instant(), ISSUER))), proof),
                "invalid_grant", "jti reused");
        refused(() -> provider.pushedAuthorizationRequest(par(null), proof), "invalid_request", "client_assertion");
        refused(() -> provider.pushedAuthorizationRequest(par(sneaky(() -> assertion(clientKey, UUID.randomUUID().toString(),
                clock.instant().minusSeconds(120), ISSUER))), proof), "invalid_client", "iat");
        refused(() -> provider.pushedAuthorizationRequest(par(sneaky(() -> assertion(clientKey, UUID.randomUUID().toString(),
                clock.instant(), "https://other.example"))), proof), "invalid_client", "aud");
        var stranger = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        refused(() -> provider.pushedAuthorizationRequest(par(sneaky(() -> assertion(stranger, UUID.randomUUID().toString(),
                clock.instant(), ISSUER))), proof), "invalid_client", "signature");
        // the DPoP proof made with the client's own key
        var sameKey = new DpopProof("jti2", clientKey.computeThumbprint().toString(), "POST", ISSUER + "/oauth/par");
        refused(() -> provider.pushedAuthorizationRequest(par(sneaky(() -> assertion(clientKey, UUID.randomUUID().toString(),
                clock.instant(), ISSUER))), sameKey), "invalid_request", "different key");
        assertThat(requests()).isEqualTo(1);
    }

    interface Maker {
        String make() throws Exception;
    }

    static String sneaky(Maker maker) {
        try {
            return maker.make();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
