package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The three rate-limit buckets over HTTP, each test run once per counter store (memory and
 * database). Empty overrides restore the built-in defaults that {@link TestServer} raises.
 */
class RateLimitTest {
    static final String LOGIN = "/xrpc/com.atproto.server.createSession";
    static final String WRITE = "/xrpc/com.atproto.identity.updateHandle";
    static final String UPLOAD_NSID = "com.atproto.repo.uploadBlob";

    static TestServer start(String store, String... more) throws Exception {
        var overrides = new HashMap<String, String>();
        overrides.put("PDS_RATE_LIMIT_STORE", store);
        overrides.put("PDS_RATE_LIMIT_PER_MIN", "");
        overrides.put("PDS_RATE_LIMIT_LOGIN_PER_MIN", "");
        overrides.put("PDS_RATE_LIMIT_BLOB_PER_MIN", "");
        for (int i = 0; i < more.length; i += 2) overrides.put(more[i], more[i + 1]);
        return TestServer.start(overrides);
    }

    static HttpResponse<String> login(TestServer server, String... headers) throws Exception {
        return server.post(LOGIN, "{\"identifier\":\"" + TestServer.HANDLE + "\",\"password\":\"" + TestServer.PASSWORD + "\"}", headers);
    }

    /** Sends {@code limit} requests that pass, checking the countdown, then one that is refused. */
    static void exhaust(TestServer server, int limit, Function<Integer, HttpResponse<String>> send) throws Exception {
        long reset = -1;
        for (int i = 1; i <= limit; i++) {
            var r = send.apply(i);
            assertThat(r.statusCode()).as("request %d: %s", i, r.body()).isNotEqualTo(429).isLessThan(500);
            assertThat(header(r, "x-ratelimit-limit")).isEqualTo(Integer.toString(limit));
            assertThat(header(r, "x-ratelimit-remaining")).isEqualTo(Integer.toString(limit - i));
            assertThat(header(r, "ratelimit-limit")).isEqualTo(Integer.toString(limit));
            assertThat(header(r, "ratelimit-remaining")).isEqualTo(Integer.toString(limit - i));
            assertThat(header(r, "ratelimit-policy")).isEqualTo(limit + ";w=60");
            long thisReset = Long.parseLong(header(r, "x-ratelimit-reset"));
            assertThat(header(r, "ratelimit-reset")).isEqualTo(Long.toString(thisReset));
            if (reset < 0) {
                reset = thisReset;
                long now = System.currentTimeMillis() / 1000;
                assertThat(reset).isBetween(now + 55, now + 62);
            }
            assertThat(thisReset).isEqualTo(reset); // one window, opened by the first request
        }
        var refused = send.apply(limit + 1);
        assertRefused(refused, limit);
    }

    static void assertRefused(HttpResponse<String> r, int limit) throws Exception {
        assertThat(r.statusCode()).isEqualTo(429);
        var body = TestServer.json(r);
        assertThat(body.get("error").asText()).isEqualTo("RateLimitExceeded");
        assertThat(body.get("message").asText()).isEqualTo("Rate Limit Exceeded");
        assertThat(header(r, "x-ratelimit-limit")).isEqualTo(Integer.toString(limit));
        assertThat(header(r, "x-ratelimit-remaining")).isEqualTo("0");
        assertThat(Long.parseLong(header(r, "retry-after"))).isBetween(1L, 60L);
        assertThat(header(r, "x-request-id")).isNotBlank();
    }

    static String header(HttpResponse<String> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    static HttpResponse<String> unchecked(Call call) {
        try {
            return call.run();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    interface Call {
        HttpResponse<String> run() throws Exception;
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "database"})
    void loginsAreLimitedToTenAMinute(String store) throws Exception {
        try (var server = start(store)) {
            exhaust(server, 10, i -> unchecked(() -> login(server)));
            // A refused login does not reach the password check: the right password is refused too.
            assertRefused(login(server), 10);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "database"})
    void writesAreLimitedToTheConfiguredRate(String store) throws Exception {
        try (var server = start(store)) {
            // Anonymous writes fail authentication, yet count and carry the headers: guessing tokens is limited too.
            exhaust(server, 60, i -> unchecked(() -> server.post(WRITE, "{\"handle\":\"x" + i + ".test\"}")));
            // Queries are not limited and say nothing about limits.
            var query = server.get("/xrpc/com.atproto.server.describeServer");
            assertThat(query.statusCode()).isEqualTo(200);
            assertThat(header(query, "x-ratelimit-limit")).isNull();
            // The login bucket is separate.
            assertThat(login(server).statusCode()).isEqualTo(200);
        }
        try (var server = start(store, "PDS_RATE_LIMIT_PER_MIN", "5")) {
            exhaust(server, 5, i -> unchecked(() -> server.post(WRITE, "{}")));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "database"})
    void blobUploadsAreLimitedToThirtyAMinute(String store) throws Exception {
        try (var server = start(store)) {
            // Anonymous uploads are refused (401) but count like any other.
            exhaust(server, 30, i -> unchecked(() -> server.http.send(HttpRequest.newBuilder(URI.create(server.url("/xrpc/" + UPLOAD_NSID)))
                    .header("content-type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1, 2, 3})).build(),
                    HttpResponse.BodyHandlers.ofString())));
            // Writes are a different bucket.
            assertThat(header(server.post(WRITE, "{}"), "x-ratelimit-remaining")).isEqualTo("59");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "database"})
    void forwardedForCountsOnlyFromATrustedProxy(String store) throws Exception {
        try (var server = start(store, "PDS_RATE_LIMIT_LOGIN_PER_MIN", "2")) {
            // No trusted proxies: X-Forwarded-For is the client's own claim and changes nothing.
            login(server, "X-Forwarded-For", "198.51.100.1");
            login(server, "X-Forwarded-For", "198.51.100.2");
            assertRefused(login(server, "X-Forwarded-For", "198.51.100.3"), 2);
        }
        try (var server = start(store, "PDS_RATE_LIMIT_LOGIN_PER_MIN", "2", "PDS_TRUSTED_PROXIES", "127.0.0.1/32")) {
            // Behind a trusted proxy every forwarded client has its own window...
            for (int client = 1; client <= 3; client++) {
                var r = login(server, "X-Forwarded-For", "198.51.100." + client);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(header(r, "x-ratelimit-remaining")).isEqualTo("1");
            }
            // ...and an address the client prepends itself does not make a new one.
            assertThat(login(server, "X-Forwarded-For", "1.1.1.1, 198.51.100.1").statusCode()).isEqualTo(200);
            assertRefused(login(server, "X-Forwarded-For", "2.2.2.2, 198.51.100.1"), 2);
            // Garbage in the header is not a new client: it counts as the proxy itself.
            assertThat(login(server, "X-Forwarded-For", "garbage").statusCode()).isEqualTo(200);
            assertThat(login(server, "X-Forwarded-For", "more garbage").statusCode()).isEqualTo(200);
            assertRefused(login(server), 2);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "database"})
    void instancesOnOneDatabaseShareTheirCountsOnlyWithTheDatabaseStore(String store) throws Exception {
        try (var first = start(store, "PDS_RATE_LIMIT_LOGIN_PER_MIN", "4")) {
            var c = first.config;
            try (var second = start(store, "PDS_RATE_LIMIT_LOGIN_PER_MIN", "4", "PDS_DATA_DIR", c.dataDir().toString(),
                    "PDS_DID", c.did(), "REPO_SIGNING_KEY", c.repoSigningKey(), "ACCESS_TOKEN", c.accessTokenSecret(),
                    "REFRESH_TOKEN", c.refreshTokenSecret())) {
                for (int i = 0; i < 2; i++) assertThat(login(first).statusCode()).isEqualTo(200);
                for (int i = 0; i < 2; i++) assertThat(login(second).statusCode()).isEqualTo(200);
                var fifth = login(second);
                if (store.equals("database")) {
                    assertRefused(fifth, 4);
                    assertRefused(login(first), 4);
                } else {
                    assertThat(fifth.statusCode()).isEqualTo(200);
                    assertThat(header(fifth, "x-ratelimit-remaining")).isEqualTo("1");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "database"})
    void browsersMayReadTheLimitHeaders(String store) throws Exception {
        try (var server = start(store)) {
            var r = login(server, "Origin", "https://app.example");
            assertThat(header(r, "access-control-expose-headers"))
                    .contains("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit-limit", "retry-after");
        }
    }

    @org.junit.jupiter.api.Test
    void failedLoginsRecordTheForwardedClientNotTheProxy() throws Exception {
        try (var server = start("memory", "PDS_TRUSTED_PROXIES", "127.0.0.1")) {
            var r = server.post(LOGIN, "{\"identifier\":\"" + TestServer.HANDLE + "\",\"password\":\"wrong\"}",
                    "X-Forwarded-For", "6.6.6.6, 198.51.100.7");
            assertThat(r.statusCode()).isEqualTo(401);
            var ip = server.alteran.database().read(c -> {
                try (var rs = c.createStatement().executeQuery("SELECT ip FROM login_attempt")) {
                    rs.next();
                    return rs.getString(1);
                }
            });
            assertThat(ip).isEqualTo("198.51.100.7");
        }
    }
}
