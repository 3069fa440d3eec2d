package dev.alteran.server;

import dev.alteran.pds.xrpc.AuthLevel;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.wire.Json;
import dev.alteran.pds.wire.XrpcException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Security headers on every PDS response, HSTS only over HTTPS, and error bodies that give nothing away. */
class SecurityHeadersTest {
    static final String CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    static final List<String> PATHS = List.of("/", "/health", "/ready", "/.well-known/atproto-did", "/.well-known/did.json",
            "/xrpc/com.atproto.server.describeServer", "/xrpc/com.atproto.server.getSession", "/xrpc/no.such.method",
            "/xrpc/com.atproto.server.createSession", "/xrpc/", "/xrpc");
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of("PDS_TRUSTED_PROXIES", "10.0.0.0/8"));
        // A handler that fails with internal details in its exception: none of them may reach the client.
        server.alteran.router().query("test.hostile.explode", AuthLevel.PUBLIC, call -> {
            throw new IllegalStateException("secret detail: jdbc:sqlite:/var/lib/alteran at dev.alteran.Secret");
        });
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    static String header(HttpResponse<String> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    static void assertSecurityHeaders(String what, java.util.function.Function<String, String> header) {
        assertThat(header.apply("x-content-type-options")).as(what).isEqualTo("nosniff");
        assertThat(header.apply("referrer-policy")).as(what).isEqualTo("no-referrer");
        assertThat(header.apply("x-frame-options")).as(what).isEqualTo("DENY");
        assertThat(header.apply("content-security-policy")).as(what).isEqualTo(CSP);
    }

    /** An error body says the status in XRPC form and nothing about the server's insides. */
    static JsonNode assertPlainError(String what, int status, String contentType, String body) throws Exception {
        assertThat(contentType).as(what).startsWith("application/json");
        var json = Json.READER.readTree(body);
        assertThat(json.size()).as(what + " " + body).isEqualTo(2);
        assertThat(json.get("error").isTextual()).isTrue();
        assertThat(json.get("message").isTextual()).isTrue();
        for (var leak : List.of("jetty", "Jetty", "Exception", "at org.", "at dev.", "java.", "Servlet", "secret", "sqlite", "<")) {
            assertThat(body).as(what).doesNotContain(leak);
        }
        return json;
    }

    @Test
    void everyPdsResponseCarriesTheSecurityHeaders() throws Exception {
        for (var path : PATHS) {
            var get = server.get(path);
            assertSecurityHeaders("GET " + path, n -> header(get, n));
            assertThat(header(get, "strict-transport-security")).as(path).isNull();
            var post = server.post(path, "{");
            assertSecurityHeaders("POST " + path, n -> header(post, n));
        }
        // The one page meant for people is plain text, never HTML.
        assertThat(header(server.get("/"), "content-type")).startsWith("text/plain");
    }

    @Test
    void hstsOnlyWhenATrustedProxySaysHttps() throws Exception {
        var path = "/xrpc/com.atproto.server.describeServer";
        // We are not a trusted proxy's peer here (127.0.0.1 is not in 10.0.0.0/8): the header is the client's claim.
        assertThat(header(server.get(path, "X-Forwarded-Proto", "https"), "strict-transport-security")).isNull();
        try (var proxied = TestServer.start(Map.of("PDS_TRUSTED_PROXIES", "127.0.0.1"))) {
            var https = proxied.get(path, "X-Forwarded-Proto", "https");
            assertThat(header(https, "strict-transport-security")).isEqualTo("max-age=63072000; includeSubDomains");
            assertThat(header(proxied.get(path, "X-Forwarded-Proto", "http"), "strict-transport-security")).isNull();
            assertThat(header(proxied.get(path), "strict-transport-security")).isNull();
            assertThat(header(proxied.get("/health", "X-Forwarded-Proto", "https"), "strict-transport-security")).isNotNull();
        }
    }

    @Test
    void anUnexpectedHandlerFailureIsABare500() throws Exception {
        var r = server.get("/xrpc/test.hostile.explode");
        assertThat(r.statusCode()).isEqualTo(500);
        var json = assertPlainError("explode", 500, header(r, "content-type"), r.body());
        assertThat(json.get("error").asText()).isEqualTo("InternalServerError");
        assertThat(json.get("message").asText()).isEqualTo("Internal Server Error");
        assertThat(header(r, "x-request-id")).isNotBlank(); // the log line with the details carries it
    }

    @Test
    void jettysOwnErrorsAreMinimalJson() throws Exception {
        // Paths no servlet claims, methods a servlet does not answer.
        var cases = Map.of(
                "GET /nope", 404, "GET /xrpcx", 404, "GET /.well-known/other", 404, "GET /health/x", 404,
                "POST /health", 405, "DELETE /ready", 405, "PUT /", 405, "POST /.well-known/atproto-did", 405);
        for (var c : cases.entrySet()) {
            var parts = c.getKey().split(" ");
            var r = server.http.send(HttpRequest.newBuilder(URI.create(server.url(parts[1])))
                    .method(parts[0], HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(c.getKey()).isEqualTo(c.getValue());
            var json = assertPlainError(c.getKey(), r.statusCode(), header(r, "content-type"), r.body());
            var expected = XrpcException.forStatus(c.getValue());
            assertThat(json.get("error").asText()).isEqualTo(expected.error());
            assertThat(json.get("message").asText()).isEqualTo(expected.getMessage());
            assertSecurityHeaders(c.getKey(), n -> header(r, n));
        }
    }

    @Test
    void unparsableRequestsGetMinimalJson() throws Exception {
        var raw = List.of(
                "GARBAGE\r\n\r\n",
                "GET /health HTTP/1.1\r\n\r\n", // no Host
                "GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
                "GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
                "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n",
                "GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /xrpc/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET /xrpc/..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET /xrpc/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET /xrpc/a%00b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET /xrpc/com.atproto.identity.resolveHandle?handle=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "POST /xrpc/com.atproto.server.createSession HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                "POST /xrpc/com.atproto.server.createSession HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef",
                "POST /xrpc/com.atproto.server.createSession HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "GET http://evil.example/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        for (var request : raw) {
            var what = request.length() > 80 ? request.substring(0, 80) + "..." : request;
            var r = RawHttp.send(server, request);
            assertThat(r.status()).as(what).isBetween(400, 499);
            assertPlainError(what, r.status(), r.header("content-type"), r.body());
            assertThat(r.header("x-content-type-options")).as(what).isEqualTo("nosniff");
        }
    }
}
