package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** CORS in dev (any origin) and in production (only PDS_CORS_ORIGIN, nothing for anyone else). */
class CorsTest {
    static final String ALLOWED = "https://app.example";
    static final String ALSO_ALLOWED = "https://other.example:8443";
    static final List<String> PATHS = List.of("/xrpc/com.atproto.server.describeServer", "/xrpc/com.atproto.server.getSession",
            "/health", "/.well-known/atproto-did", "/xrpc/no.such.method");
    static TestServer dev;
    static TestServer production;

    @BeforeAll
    static void start() throws Exception {
        dev = TestServer.start();
        production = TestServer.start(Map.of("ALTERAN_ENV", "production",
                "PDS_CORS_ORIGIN", ALLOWED + ", " + "https://Other.Example:8443"));
    }

    @AfterAll
    static void stop() throws Exception {
        dev.close();
        production.close();
    }

    static HttpResponse<String> preflight(TestServer server, String path, String origin) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(server.url(path)))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type");
        if (origin != null) b.header("Origin", origin);
        return server.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String header(HttpResponse<String> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    static void assertNoCorsAllowance(HttpResponse<String> r) {
        for (var name : List.of("access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers",
                "access-control-expose-headers", "access-control-allow-credentials", "access-control-max-age")) {
            assertThat(header(r, name)).as(name).isNull();
        }
    }

    @Test
    void devAllowsEveryOriginWithAWildcard() throws Exception {
        for (var path : PATHS) {
            var r = dev.get(path, "Origin", "https://anything.example");
            assertThat(header(r, "access-control-allow-origin")).as(path).isEqualTo("*");
            assertThat(header(r, "access-control-expose-headers")).contains("x-request-id", "x-ratelimit-limit", "dpop-nonce", "www-authenticate");
            assertThat(header(r, "access-control-allow-credentials")).isNull();
        }
        var p = preflight(dev, "/xrpc/com.atproto.repo.createRecord", "http://localhost:3000");
        assertThat(p.statusCode()).isEqualTo(204);
        assertThat(header(p, "access-control-allow-origin")).isEqualTo("*");
        assertThat(header(p, "access-control-allow-methods")).contains("GET", "POST");
        assertThat(header(p, "access-control-allow-headers")).isEqualTo("authorization, content-type");
        assertThat(header(p, "access-control-max-age")).isEqualTo("86400");
        // An OAuth client's request carries its DPoP proof.
        var dpop = dev.http.send(HttpRequest.newBuilder(URI.create(dev.url("/xrpc/com.atproto.repo.createRecord")))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "http://localhost:3000")
                .header("Access-Control-Request-Method", "POST").header("Access-Control-Request-Headers", "authorization, content-type, dpop")
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(header(dpop, "access-control-allow-headers")).isEqualTo("authorization, content-type, dpop");
        // The "null" origin of sandboxed frames and files is just another origin in dev.
        assertThat(header(dev.get(PATHS.get(0), "Origin", "null"), "access-control-allow-origin")).isEqualTo("*");
    }

    @Test
    void withoutAnOriginThereAreNoCorsHeaders() throws Exception {
        for (var server : List.of(dev, production)) {
            var r = server.get(PATHS.get(0));
            assertThat(r.statusCode()).isEqualTo(200);
            assertNoCorsAllowance(r);
        }
    }

    @Test
    void productionAllowsOnlyTheListedOrigins() throws Exception {
        for (var path : PATHS) {
            for (var origin : List.of(ALLOWED, ALSO_ALLOWED)) {
                var r = production.get(path, "Origin", origin);
                assertThat(header(r, "access-control-allow-origin")).as(path + " " + origin).isEqualTo(origin);
                assertThat(r.headers().allValues("vary")).as(path).anySatisfy(v -> assertThat(v).containsIgnoringCase("origin"));
                assertThat(header(r, "access-control-expose-headers")).contains("x-ratelimit-remaining");
            }
        }
        var p = preflight(production, "/xrpc/com.atproto.repo.createRecord", ALLOWED);
        assertThat(p.statusCode()).isEqualTo(204);
        assertThat(header(p, "access-control-allow-origin")).isEqualTo(ALLOWED);
        assertThat(header(p, "access-control-allow-headers")).isEqualTo("authorization, content-type");
        // Errors are readable by the allowed origin too: a browser client needs their body.
        var error = production.get("/xrpc/com.atproto.server.getSession", "Origin", ALLOWED);
        assertThat(error.statusCode()).isEqualTo(401);
        assertThat(header(error, "access-control-allow-origin")).isEqualTo(ALLOWED);
    }

    @Test
    void productionGivesOtherOriginsNothingAndRefusesTheirPreflight() throws Exception {
        var strangers = List.of("https://evil.example", "null", "https://app.example.evil.example", "https://evil.example/https://app.example",
                "http://app.example", "https://app.example:443", "https://app.examplex", "*", "HTTPS://APP.EXAMPLE",
                "https://other.example", "https://other.example:8444");
        for (var origin : strangers) {
            for (var path : PATHS) {
                var r = production.get(path, "Origin", origin);
                assertNoCorsAllowance(r);
                assertThat(r.headers().allValues("vary")).anySatisfy(v -> assertThat(v).containsIgnoringCase("origin"));
            }
            var p = preflight(production, "/xrpc/com.atproto.repo.createRecord", origin);
            assertThat(p.statusCode()).as(origin).isEqualTo(403);
            assertNoCorsAllowance(p);
            var body = TestServer.json(p);
            assertThat(body.get("error").asText()).isEqualTo("Forbidden");
            assertThat(body.get("message").asText()).isEqualTo("Origin not allowed");
        }
        // A preflight without any Origin is refused too.
        assertThat(preflight(production, "/xrpc/com.atproto.server.describeServer", null).statusCode()).isEqualTo(403);
    }

    @Test
    void aWildcardIsRefusedInProductionAtStartUp() {
        org.junit.jupiter.api.Assertions.assertThrows(dev.alteran.pds.config.ConfigException.class,
                () -> TestServer.start(Map.of("ALTERAN_ENV", "production", "PDS_CORS_ORIGIN", "*")).close());
    }
}
