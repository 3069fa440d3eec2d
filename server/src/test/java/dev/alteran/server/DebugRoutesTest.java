package dev.alteran.server;

import static dev.alteran.server.AuthClient.error;
import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.pds.xrpc.DebugServlet;
import dev.alteran.pds.wire.Json;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /debug/* exists only when turned on, and then answers only the owner's full-access session. */
class DebugRoutesTest {
    static TestServer server;
    static String owner;
    static String did;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of("PDS_DEBUG_ROUTES", "true"));
        owner = "Bearer " + AuthClient.login(server).get("accessJwt").asText();
        did = server.config.did();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static HttpResponse<byte[]> send(String method, String path, byte[] body, String... headers) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(server.url(path)))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) b.headers(headers);
        return server.http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<String> postJson(String path, String json, String auth) throws Exception {
        return auth == null ? server.post(path, json) : server.post(path, json, "Authorization", auth);
    }

    static HttpResponse<String> asString(HttpResponse<byte[]> r) {
        return new HttpResponse<>() {
            public int statusCode() { return r.statusCode(); }
            public HttpRequest request() { return r.request(); }
            public java.util.Optional<HttpResponse<String>> previousResponse() { return java.util.Optional.empty(); }
            public java.net.http.HttpHeaders headers() { return r.headers(); }
            public String body() { return new String(r.body(), StandardCharsets.UTF_8); }
            public java.util.Optional<javax.net.ssl.SSLSession> sslSession() { return r.sslSession(); }
            public URI uri() { return r.uri(); }
            public java.net.http.HttpClient.Version version() { return r.version(); }
        };
    }

    @Test
    void offByDefault() throws Exception {
        try (var plain = TestServer.start()) {
            assertThat(plain.alteran.paths()).doesNotContain(DebugServlet.PATH);
            var login = "Bearer " + AuthClient.login(plain).get("accessJwt").asText();
            for (var path : new String[] {"/debug/record?uri=x", "/debug/blob/x", "/debug/gc/blobs"}) {
                var r = plain.get(path, "Authorization", login);
                assertThat(r.statusCode()).as(path).isEqualTo(404);
                assertThat(TestServer.json(r).get("error").asText()).isEqualTo("NotFound");
            }
            // No servlet claims the path: Jetty's fallback answers 404 to GET and 405 to anything else.
            assertThat(plain.post("/debug/gc/blobs", "{}", "Authorization", login).statusCode()).isIn(404, 405);
        }
        assertThat(server.alteran.paths()).contains(DebugServlet.PATH);
    }

    @Test
    void onlyTheOwnersFullAccessSessionGetsIn() throws Exception {
        var created = server.post("/xrpc/com.atproto.server.createAppPassword", "{\"name\":\"debug-test\"}", "Authorization", owner);
        var appPassword = TestServer.json(created).get("password").asText();
        var appSession = "Bearer " + AuthClient.login(server, appPassword).get("accessJwt").asText();
        var refresh = "Bearer " + AuthClient.login(server).get("refreshJwt").asText();
        var forged = "Bearer " + AuthClient.forge("at+jwt", Map.of("scope", "com.atproto.access", "sub", did, "aud", did,
                "iat", AuthClient.nowSec(), "exp", AuthClient.nowSec() + 600), "not-the-server-secret-not-the-server-secret");
        var gets = new String[] {"/debug/record?uri=" + q("at://" + did + "/app.bsky.feed.post/x"), "/debug/blob/x", "/debug/nope"};
        for (var path : gets) {
            assertThat(error(server.get(path))).as(path).isEqualTo("401 AuthMissing: Authentication Required");
            assertThat(error(server.get(path, "Authorization", appSession))).as(path).isEqualTo("400 InvalidToken: Bad token scope");
            assertThat(server.get(path, "Authorization", refresh).statusCode()).as(path).isIn(400, 401);
            assertThat(server.get(path, "Authorization", forged).statusCode()).as(path).isIn(400, 401);
        }
        var write = "{\"uri\":\"at://" + did + "/app.bsky.feed.post/x\",\"json\":{\"text\":\"no\"}}";
        assertThat(error(postJson("/debug/record", write, null))).isEqualTo("401 AuthMissing: Authentication Required");
        assertThat(error(postJson("/debug/record", write, appSession))).isEqualTo("400 InvalidToken: Bad token scope");
        assertThat(postJson("/debug/gc/blobs", "{}", forged).statusCode()).isIn(400, 401);
        assertThat(server.alteran.repo().getRecord("app.bsky.feed.post", "x", null)).isNull();
    }

    @Test
    void recordsAreWrittenThroughTheRepository() throws Exception {
        var head = server.alteran.repo().head();
        long seq = server.alteran.sequence().lastSeq();
        var uri = "at://" + did + "/com.example.debug/self";
        var r = postJson("/debug/record", "{\"uri\":\"" + uri + "\",\"json\":{\"hello\":\"world\",\"n\":1}}", owner);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        var out = TestServer.json(r);
        assertThat(out.get("uri").asText()).isEqualTo(uri);
        assertThat(out.get("commit").get("rev").asText()).isGreaterThan(head.rev());
        // A signed commit and a firehose event, like any write.
        assertThat(server.alteran.repo().head().cid()).isNotEqualTo(head.cid());
        assertThat(server.alteran.sequence().lastSeq()).isGreaterThan(seq);

        var got = server.get("/debug/record?uri=" + q(uri), "Authorization", owner);
        assertThat(got.statusCode()).isEqualTo(200);
        var record = TestServer.json(got);
        assertThat(record.get("cid").asText()).isEqualTo(out.get("cid").asText());
        // As putRecord stores it: the record typed by its collection.
        assertThat(record.get("value")).isEqualTo(Json.READER.readTree("{\"$type\":\"com.example.debug\",\"hello\":\"world\",\"n\":1}"));
        // The public API sees the same record.
        var xrpc = server.get("/xrpc/com.atproto.repo.getRecord?repo=" + q(did) + "&collection=com.example.debug&rkey=self");
        assertThat(TestServer.json(xrpc).get("cid").asText()).isEqualTo(out.get("cid").asText());

        // Replacing it with other content is a new commit.
        var again = postJson("/debug/record", "{\"uri\":\"" + uri + "\",\"json\":{\"hello\":\"again\"}}", owner);
        assertThat(TestServer.json(again).get("cid").asText()).isNotEqualTo(out.get("cid").asText());
    }

    @Test
    void recordRequestsAreChecked() throws Exception {
        var cases = Map.of(
                "{\"uri\":\"at://did:plc:someoneelse2222222222222/com.example.debug/x\",\"json\":{}}", "400 RepoNotFound",
                "{\"uri\":\"not a uri\",\"json\":{}}", "400 InvalidRequest",
                "{\"uri\":\"at://" + did + "/com.example.debug\",\"json\":{}}", "400 InvalidRequest",
                "{\"uri\":\"at://" + did + "/com.example.debug/..\",\"json\":{}}", "400 InvalidRequest",
                "{\"uri\":\"at://" + did + "/com.example.debug/x\"}", "400 InvalidRequest",
                "{\"uri\":\"at://" + did + "/com.example.debug/x\",\"json\":[1]}", "400 InvalidRequest",
                "{\"uri\":7,\"json\":{}}", "400 InvalidRequest",
                "{\"uri\":", "400 InvalidRequest");
        for (var c : cases.entrySet()) {
            assertThat(error(postJson("/debug/record", c.getKey(), owner))).as(c.getKey()).startsWith(c.getValue());
        }
        assertThat(error(server.get("/debug/record?uri=" + q("at://" + did + "/com.example.debug/missing"), "Authorization", owner)))
                .startsWith("404 RecordNotFound");
        assertThat(error(server.get("/debug/record", "Authorization", owner))).startsWith("400 InvalidRequest");
        assertThat(error(server.get("/debug/nope", "Authorization", owner))).isEqualTo("404 NotFound: Not Found");
        assertThat(error(server.get("/debug/gc/blobs", "Authorization", owner))).isEqualTo("404 NotFound: Not Found");
    }

    @Test
    void blobsGoInComeOutAndAreCollected() throws Exception {
        var png = BlobTest.png(2_000);
        var put = asString(send("PUT", "/debug/blob", png, "Authorization", owner, "content-type", "image/png"));
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        var ref = TestServer.json(put);
        var cid = ref.get("cid").asText();
        assertThat(ref.get("mimeType").asText()).isEqualTo("image/png");
        assertThat(ref.get("size").asLong()).isEqualTo(2_000);

        var get = send("GET", "/debug/blob/" + cid, null, "Authorization", owner);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(Arrays.equals(get.body(), png)).isTrue();
        assertThat(get.headers().firstValue("content-type")).hasValue("image/png");
        assertThat(get.headers().firstValue("content-security-policy").orElseThrow()).contains("sandbox");
        // Not referenced by any record, so the public getBlob does not serve it.
        assertThat(server.get("/xrpc/com.atproto.sync.getBlob?did=" + q(did) + "&cid=" + cid).statusCode()).isEqualTo(400);

        var gc = server.post("/debug/gc/blobs?graceSeconds=0", "", "Authorization", owner);
        assertThat(gc.statusCode()).as(gc.body()).isEqualTo(200);
        assertThat(TestServer.json(gc).get("deletedBlobs").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(error(asString(send("GET", "/debug/blob/" + cid, null, "Authorization", owner)))).startsWith("404 BlobNotFound");

        assertThat(error(asString(send("GET", "/debug/blob/not-a-cid", null, "Authorization", owner)))).startsWith("400 InvalidRequest");
        assertThat(error(asString(send("GET", "/debug/blob/..%2F..%2Fetc%2Fpasswd", null, "Authorization", owner)))).startsWith("400");
        assertThat(error(asString(send("PUT", "/debug/blob", "<html>".getBytes(), "Authorization", owner, "content-type", "text/html"))))
                .startsWith("400 InvalidMimeType");
        assertThat(error(server.post("/debug/gc/blobs?graceSeconds=-1", "", "Authorization", owner))).startsWith("400 InvalidRequest");
    }
}
