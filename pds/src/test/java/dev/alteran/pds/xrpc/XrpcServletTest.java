package dev.alteran.pds.xrpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.lexicon.Lexicons;
import dev.alteran.pds.auth.Scope;
import dev.alteran.pds.auth.ServiceAuth;
import dev.alteran.pds.auth.ServiceTokenVerifier;
import dev.alteran.pds.auth.SessionAuthenticator;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.pds.auth.Principal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import dev.alteran.pds.auth.SessionTokens;
import dev.alteran.pds.config.TrustedProxies;
import dev.alteran.pds.http.RateLimiter;
import dev.alteran.pds.http.RateLimiter.Bucket;
import dev.alteran.pds.store.MemoryRateLimitStore;
import dev.alteran.pds.wire.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The servlet enforces what each route declares before its handler runs: HTTP method, rate-limit
 * bucket, parameters, auth level and the JSON input's Lexicon, and renders outputs and errors. Real
 * Jetty on a loopback port, real session tokens, the bundled Lexicons; the handlers record that they ran.
 */
class XrpcServletTest {
    static final String DID = "did:web:pds.example.com";
    static final io.micrometer.core.instrument.simple.SimpleMeterRegistry METERS = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    static final SessionTokens TOKENS = new SessionTokens(DID, "a".repeat(43), "b".repeat(43), 3600, 86400, Clock.systemUTC());
    static final String OWNER = "Bearer " + TOKENS.issue(Scope.ACCESS, "r1").accessJwt();
    static final String APP_PASSWORD = "Bearer " + TOKENS.issue(Scope.APP_PASS, "r2").accessJwt();
    static final String REFRESH = "Bearer " + TOKENS.issue(Scope.ACCESS, "r3").refreshJwt();
    /** The account's signing key, as its DID document names it; the test rotates it. */
    static final Keypair ACCOUNT_KEY = Keypair.generate(Curve.K256);
    static final Keypair ROTATED_KEY = Keypair.generate(Curve.K256);
    static final String SERVICE_DID = "did:web:pds.example.com";
    static volatile Keypair currentKey = ACCOUNT_KEY;
    static volatile Keypair cachedKey = ACCOUNT_KEY;
    /** Calls that reached a handler, with the caller it saw. */
    static final List<String> ran = new CopyOnWriteArrayList<>();
    static Server jetty;
    static String base;
    static final HttpClient client = HttpClient.newHttpClient();
    /** Its probe directory cannot be made (its parent is a file), so once reported, full stays full. */
    static dev.alteran.pds.store.StorageFull storageFull;

    @BeforeAll
    static void start() throws Exception {
        var notADirectory = java.nio.file.Files.createTempFile("xrpc-servlet-test-", ".file");
        notADirectory.toFile().deleteOnExit();
        storageFull = new dev.alteran.pds.store.StorageFull(notADirectory.resolve("data"));
        var lexicons = Lexicons.loadBundled();
        var router = new XrpcRouter()
                // Real NSIDs, so their Lexicons apply; the handlers are the test's own.
                .query("com.atproto.server.describeServer", AuthLevel.PUBLIC, call -> {
                    ran.add("describeServer " + (call.auth() == null ? "anonymous" : call.auth().scope()));
                    return Map.of("did", DID, "availableUserDomains", List.of());
                })
                .query("com.atproto.server.getSession", AuthLevel.ACCESS, call -> {
                    ran.add("getSession " + call.principal().scope());
                    return Map.of("handle", "alice.test", "did", DID);
                })
                .procedure("com.atproto.server.createAppPassword", AuthLevel.FULL_ACCESS, Bucket.WRITE, call -> {
                    ran.add("createAppPassword " + call.jsonBody().get("name").asText());
                    return Map.of("name", "x", "password", "p", "createdAt", "2026-01-01T00:00:00.000Z");
                })
                .procedure("com.atproto.server.refreshSession", AuthLevel.REFRESH, Bucket.WRITE, call -> {
                    ran.add("refreshSession " + call.refreshToken().length());
                    return null;
                })
                .procedure("com.atproto.server.createSession", AuthLevel.PUBLIC, Bucket.LOGIN, call -> {
                    ran.add("createSession");
                    return null;
                })
                .procedure("com.atproto.repo.uploadBlob", AuthLevel.ACCESS_OR_SERVICE, Bucket.BLOB, call -> {
                    ran.add("uploadBlob " + call.principal().scope());
                    // Read the upload, as the real handler does. Left unread, a body that arrived after
                    // the headers makes Jetty close the connection after answering, and the client's
                    // next request on that pooled connection failed with no response (a CI run).
                    call.discardBody(1024);
                    return null;
                })
                .procedure("com.atproto.server.createAccount", AuthLevel.OPTIONAL_SERVICE, Bucket.WRITE, call -> {
                    ran.add("createAccount " + (call.auth() == null ? "anonymous" : call.auth().scope()));
                    return Map.of("accessJwt", "a", "refreshJwt", "r", "handle", "alice.test", "did", DID);
                })
                // An output that breaks its Lexicon: checkAccountStatus requires nine fields.
                .query("com.atproto.server.checkAccountStatus", AuthLevel.PUBLIC, call -> Map.of("activated", true))
                .queryWithoutLexicon("com.atproto.sync.getRepo.json", AuthLevel.PUBLIC, call -> Map.of("limit", call.param("limit")))
                .query("test.xrpc.full", AuthLevel.PUBLIC, call -> {
                    // As the writer reports a commit that ran out of disk space.
                    throw new dev.alteran.pds.store.StoreException(new org.sqlite.SQLiteException(
                            "[SQLITE_FULL] Insertion failed because database is full (database or disk is full)", org.sqlite.SQLiteErrorCode.SQLITE_FULL));
                })
                .query("test.xrpc.nospace", AuthLevel.PUBLIC, call -> {
                    throw new java.io.UncheckedIOException(new java.io.IOException("No space left on device"));
                })
                .query("test.xrpc.explode", AuthLevel.PUBLIC, call -> {
                    throw new IllegalStateException("secret detail");
                });
        var limiter = new RateLimiter(new MemoryRateLimitStore(), new TrustedProxies(List.of()),
                Map.of(Bucket.WRITE, 1000, Bucket.BLOB, 1000, Bucket.LOGIN, 2), Clock.systemUTC(), METERS);
        // The cached key until asked afresh, as a DID document cache behaves when the key was rotated.
        var serviceTokens = new ServiceTokenVerifier(DID, SERVICE_DID,
                fresh -> Optional.of((fresh ? currentKey : cachedKey).publicKey()), Clock.systemUTC());
        var servlet = new XrpcServlet(router, 64 * 1024, new SessionAuthenticator(TOKENS, serviceTokens), limiter, new XrpcParams(lexicons),
                new XrpcBodies(lexicons, true), XrpcServlet.NOT_IMPLEMENTED, storageFull,
                new RequestMetrics(METERS, router.routes().stream().map(XrpcRouter.Route::nsid).collect(java.util.stream.Collectors.toSet())));
        jetty = new Server();
        var connector = new ServerConnector(jetty);
        connector.setHost("127.0.0.1");
        jetty.addConnector(connector);
        var context = new ServletContextHandler();
        context.addServlet(new ServletHolder(servlet), "/xrpc/*");
        jetty.setHandler(context);
        jetty.start();
        base = "http://127.0.0.1:" + connector.getLocalPort() + "/xrpc/";
    }

    @AfterAll
    static void stop() throws Exception {
        jetty.stop();
    }

    @BeforeEach
    void clear() {
        ran.clear();
    }

    record Answer(int status, JsonNode body, HttpResponse<String> response) {
        String error() {
            return body.path("error").asText(null);
        }
    }

    static Answer get(String path, String auth) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(base + path)).GET();
        if (auth != null) b.header("Authorization", auth);
        return send(b);
    }

    static Answer post(String path, String auth, String type, String body) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) b.header("Authorization", auth);
        if (type != null) b.header("Content-Type", type);
        return send(b);
    }

    static Answer send(HttpRequest.Builder b) throws Exception {
        var r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        var body = r.body().isEmpty() ? Json.object() : Json.READER.readTree(r.body());
        return new Answer(r.statusCode(), body, r);
    }

    @Test
    void everyAnswerIsTimedByMethodAndStatusAndUnknownNamesShareOneTag() throws Exception {
        double ok = requests("com.atproto.server.describeServer", "200");
        double missing = requests("com.atproto.server.getSession", "401");
        double other = requests(RequestMetrics.OTHER, "501");
        get("com.atproto.server.describeServer", null);
        get("com.atproto.server.getSession", null);
        get("com.example.nobody.knowsThis" + System.nanoTime(), null);
        get("com.example.nobody.norThis" + System.nanoTime(), null);
        // A call is timed as the servlet returns, just after the client has its answer: waited for, not assumed.
        assertThat(awaitRequests("com.atproto.server.describeServer", "200", ok + 1)).isEqualTo(ok + 1);
        assertThat(awaitRequests("com.atproto.server.getSession", "401", missing + 1)).isEqualTo(missing + 1);
        assertThat(awaitRequests(RequestMetrics.OTHER, "501", other + 2)).isEqualTo(other + 2);
        assertThat(METERS.find(RequestMetrics.NAME).tagKeys("nsid").timers())
                .noneMatch(t -> t.getId().getTag("nsid").startsWith("com.example."));
    }

    static double awaitRequests(String nsid, String status, double expected) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (requests(nsid, status) < expected && System.nanoTime() < deadline) Thread.onSpinWait();
        return requests(nsid, status);
    }

    static double requests(String nsid, String status) {
        var timer = METERS.find(RequestMetrics.NAME).tags("nsid", nsid, "status", status).timer();
        return timer == null ? 0 : timer.count();
    }

    @Test
    void aPublicRouteAnswersAnyoneAndMayStillAskWhoCalls() throws Exception {
        assertThat(get("com.atproto.server.describeServer", null).status()).isEqualTo(200);
        assertThat(get("com.atproto.server.describeServer", OWNER).status()).isEqualTo(200);
        assertThat(ran).containsExactly("describeServer anonymous", "describeServer ACCESS");
    }

    @Test
    void anAccessRouteRefusesAnonymousAndBadTokensBeforeItsHandler() throws Exception {
        var anonymous = get("com.atproto.server.getSession", null);
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.error()).isEqualTo("AuthMissing");
        assertThat(get("com.atproto.server.getSession", "Bearer not-a-jwt").status()).isEqualTo(400);
        assertThat(get("com.atproto.server.getSession", REFRESH).status()).isIn(400, 401);
        assertThat(ran).isEmpty();
        assertThat(get("com.atproto.server.getSession", APP_PASSWORD).status()).isEqualTo(200);
        assertThat(ran).containsExactly("getSession APP_PASS");
    }

    @Test
    void aFullAccessRouteRefusesAppPasswords() throws Exception {
        var body = "{\"name\":\"phone\"}";
        var app = post("com.atproto.server.createAppPassword", APP_PASSWORD, "application/json", body);
        assertThat(app.status()).isEqualTo(400);
        assertThat(app.error()).isEqualTo("InvalidToken");
        assertThat(ran).isEmpty();
        assertThat(post("com.atproto.server.createAppPassword", OWNER, "application/json", body).status()).isEqualTo(200);
        assertThat(ran).containsExactly("createAppPassword phone");
    }

    @Test
    void aRefreshRouteNeedsABearerToken() throws Exception {
        assertThat(post("com.atproto.server.refreshSession", null, null, "").error()).isEqualTo("AuthMissing");
        assertThat(ran).isEmpty();
        assertThat(post("com.atproto.server.refreshSession", REFRESH, null, "").status()).isEqualTo(200);
        assertThat(ran).containsExactly("refreshSession " + (REFRESH.length() - "Bearer ".length()));
    }

    @Test
    void theJsonInputIsCheckedAgainstItsLexiconBeforeTheHandler() throws Exception {
        var missing = post("com.atproto.server.createAppPassword", OWNER, "application/json", "{}");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.error()).isEqualTo("InvalidRequest");
        assertThat(missing.body().path("message").asText()).isEqualTo("Input must have the property \"name\"");
        var wrongType = post("com.atproto.server.createAppPassword", OWNER, "application/json", "{\"name\":7}");
        assertThat(wrongType.body().path("message").asText()).isEqualTo("Input/name must be a string");
        var notJson = post("com.atproto.server.createAppPassword", OWNER, "text/plain", "{\"name\":\"x\"}");
        assertThat(notJson.error()).isEqualTo("InvalidRequest");
        assertThat(ran).isEmpty();
    }

    @Test
    void theHttpMethodMustMatchTheKind() throws Exception {
        var wrong = post("com.atproto.server.describeServer", null, "application/json", "{}");
        assertThat(wrong.status()).isEqualTo(400);
        assertThat(wrong.body().path("message").asText()).isEqualTo("Incorrect HTTP method (POST) expected GET");
        assertThat(get("com.atproto.server.createSession", null).body().path("message").asText())
                .isEqualTo("Incorrect HTTP method (GET) expected POST");
        assertThat(ran).isEmpty();
    }

    @Test
    void theDeclaredBucketIsCountedBeforeAuth() throws Exception {
        // LOGIN allows two a minute here; the third is refused before its handler, with the limit headers.
        var body = "{\"identifier\":\"alice.test\",\"password\":\"x\"}";
        var seen = 0;
        for (int i = 0; i < 3; i++) {
            var a = post("com.atproto.server.createSession", null, "application/json", body);
            if (a.status() == 429) {
                assertThat(a.error()).isEqualTo("RateLimitExceeded");
                assertThat(a.response().headers().firstValue("ratelimit-limit")).hasValue("2");
                seen++;
            }
        }
        assertThat(seen).isEqualTo(1);
        assertThat(ran).containsExactly("createSession", "createSession");
        // Queries declare no bucket: no headers.
        assertThat(get("com.atproto.server.describeServer", null).response().headers().firstValue("ratelimit-limit")).isEmpty();
    }

    @Test
    void aRefusedRawUploadIsAnsweredWhileTheClientStillSends() throws Exception {
        var big = "x".repeat(2 * 1024 * 1024);
        var refused = post("com.atproto.repo.uploadBlob", null, "image/png", big);
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.error()).isEqualTo("AuthMissing");
        assertThat(ran).isEmpty();
    }

    @Test
    void anOutputThatBreaksItsLexiconIsA500WhenOutputsAreChecked() throws Exception {
        var a = get("com.atproto.server.checkAccountStatus", null);
        assertThat(a.status()).isEqualTo(500);
        assertThat(a.body().path("message").asText()).isEqualTo("Internal Server Error");
        assertThat(a.response().body()).doesNotContain("activated");
    }

    @Test
    void aRouteWithoutLexiconSkipsTheSchemaChecks() throws Exception {
        // getRepo.json borrows nothing from com.atproto.sync.getRepo: no required did, any limit.
        var a = get("com.atproto.sync.getRepo.json?limit=abc", null);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.body().path("limit").asText()).isEqualTo("abc");
    }

    @Test
    void unknownMethodsAndFailuresKeepTheirDetailsToThemselves() throws Exception {
        var unknown = get("com.example.nothing", OWNER);
        assertThat(unknown.status()).isEqualTo(501);
        assertThat(unknown.error()).isEqualTo("MethodNotImplemented");
        assertThat(get("not..an.nsid", null).status()).isEqualTo(400);
        var exploded = get("test.xrpc.explode", null);
        assertThat(exploded.status()).isEqualTo(500);
        assertThat(exploded.error()).isEqualTo("InternalServerError");
        assertThat(exploded.response().body()).doesNotContain("secret");
    }

    @Test
    void aFullDiskIs507InsufficientStorageSaidPlainly() throws Exception {
        assertThat(storageFull.isFull()).isFalse();
        for (var nsid : List.of("test.xrpc.full", "test.xrpc.nospace")) {
            var full = get(nsid, null);
            assertThat(full.status()).isEqualTo(507);
            assertThat(full.error()).isEqualTo("InsufficientStorage");
            assertThat(full.body().path("message").asText()).contains("storage is full");
        }
        assertThat(storageFull.isFull()).isTrue();
    }

    @Test
    void aProcedureMustDeclareABucket() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new XrpcRouter().procedure("com.atproto.repo.createRecord",
                AuthLevel.ACCESS, null, call -> null)).isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new XrpcRouter()
                .query("a.b.c", AuthLevel.PUBLIC, call -> null).query("a.b.c", AuthLevel.PUBLIC, call -> null))
                .isInstanceOf(IllegalStateException.class);
    }

    /** A service token the account's key {@code key} signed, as getServiceAuth issues them. */
    static String serviceToken(Keypair key, String aud, String lxm, Clock clock) {
        return "Bearer " + new ServiceAuth(DID, key, clock).issue(new Principal(DID, Scope.ACCESS), aud, null, lxm);
    }

    @Test
    void anOptionalServiceRouteTakesOnlyTheAccountsServiceTokenForThatMethodOrNone() throws Exception {
        var now = Clock.systemUTC();
        var body = "{\"handle\":\"alice.test\",\"did\":\"" + DID + "\"}";
        var ok = post("com.atproto.server.createAccount", serviceToken(ACCOUNT_KEY, SERVICE_DID, "com.atproto.server.createAccount", now),
                "application/json", body);
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ran).containsExactly("createAccount SERVICE");
        ran.clear();

        // No credentials: the handler runs with no caller (and decides, as the reference's createAccount does).
        var none = post("com.atproto.server.createAccount", null, "application/json", body);
        assertThat(none.status()).isEqualTo(200);
        assertThat(ran).containsExactly("createAccount anonymous");
        ran.clear();

        // A session, another credential type, another method's token, another key, an expired token: refused before the handler.
        var session = post("com.atproto.server.createAccount", OWNER, "application/json", body);
        assertThat(session.status()).isEqualTo(401);
        assertThat(session.error()).isEqualTo("BadJwt");
        var basic = post("com.atproto.server.createAccount", "Basic YTpi", "application/json", body);
        assertThat(basic.status()).isEqualTo(401);
        var otherMethod = post("com.atproto.server.createAccount", serviceToken(ACCOUNT_KEY, SERVICE_DID, "com.atproto.repo.uploadBlob", now),
                "application/json", body);
        assertThat(otherMethod.error()).isEqualTo("BadJwtLexiconMethod");
        var otherKey = post("com.atproto.server.createAccount", serviceToken(Keypair.generate(Curve.K256), SERVICE_DID,
                "com.atproto.server.createAccount", now), "application/json", body);
        assertThat(otherKey.error()).isEqualTo("BadJwtSignature");
        var anHourAgo = Clock.fixed(Instant.now().minusSeconds(3600), ZoneOffset.UTC);
        var expired = post("com.atproto.server.createAccount", serviceToken(ACCOUNT_KEY, SERVICE_DID, "com.atproto.server.createAccount", anHourAgo),
                "application/json", body);
        assertThat(expired.error()).isEqualTo("JwtExpired");
        assertThat(ran).isEmpty();
    }

    @Test
    void anUploadTakesTheAccountsServiceTokenForThatMethod() throws Exception {
        var now = Clock.systemUTC();
        var ok = post("com.atproto.repo.uploadBlob", serviceToken(ACCOUNT_KEY, SERVICE_DID, "com.atproto.repo.uploadBlob", now), "image/png", "x");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ran).containsExactly("uploadBlob SERVICE");
        assertThat(post("com.atproto.repo.uploadBlob", OWNER, "image/png", "x").status()).isEqualTo(200); // a session still works
        ran.clear();

        var otherMethod = post("com.atproto.repo.uploadBlob", serviceToken(ACCOUNT_KEY, SERVICE_DID, "com.atproto.repo.createRecord", now), "image/png", "x");
        assertThat(otherMethod.error()).isEqualTo("BadJwtLexiconMethod");
        var noMethod = post("com.atproto.repo.uploadBlob", serviceToken(ACCOUNT_KEY, SERVICE_DID, null, now), "image/png", "x");
        assertThat(noMethod.error()).isEqualTo("BadJwtLexiconMethod");
        var otherServer = post("com.atproto.repo.uploadBlob", serviceToken(ACCOUNT_KEY, "did:web:other.example", "com.atproto.repo.uploadBlob", now), "image/png", "x");
        assertThat(otherServer.error()).isEqualTo("BadJwtAudience");
        var otherKey = post("com.atproto.repo.uploadBlob", serviceToken(Keypair.generate(Curve.K256), SERVICE_DID, "com.atproto.repo.uploadBlob", now), "image/png", "x");
        assertThat(otherKey.status()).isEqualTo(401);
        assertThat(otherKey.error()).isEqualTo("BadJwtSignature");
        var anHourAgo = Clock.fixed(Instant.now().minusSeconds(3600), ZoneOffset.UTC);
        var expired = post("com.atproto.repo.uploadBlob", serviceToken(ACCOUNT_KEY, SERVICE_DID, "com.atproto.repo.uploadBlob", anHourAgo), "image/png", "x");
        assertThat(expired.error()).isEqualTo("JwtExpired");
        // Not a session: a route that wants one refuses it.
        assertThat(get("com.atproto.server.getSession", serviceToken(ACCOUNT_KEY, SERVICE_DID, "com.atproto.repo.uploadBlob", now)).status())
                .isIn(400, 401);
        assertThat(ran).isEmpty();
    }

    @Test
    void aRotatedAccountKeyIsLookedUpAfreshOnce() throws Exception {
        currentKey = ROTATED_KEY; // the document now names the new key; the cache still holds the old one
        try {
            var a = post("com.atproto.repo.uploadBlob", serviceToken(ROTATED_KEY, SERVICE_DID, "com.atproto.repo.uploadBlob", Clock.systemUTC()),
                    "image/png", "x");
            assertThat(a.status()).isEqualTo(200);
            assertThat(ran).containsExactly("uploadBlob SERVICE");
        } finally {
            currentKey = ACCOUNT_KEY;
        }
    }
}
