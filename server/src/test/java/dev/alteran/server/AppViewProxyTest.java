package dev.alteran.server;

import static dev.alteran.server.AuthClient.error;
import static dev.alteran.server.StandInService.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.atproto.crypto.PublicKey;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Proxying to the AppView, chat and header-named services, over a real server and a stand-in service. */
class AppViewProxyTest {
    static final String APPVIEW_DID = "did:web:appview.test";
    static final String CHAT_DID = "did:web:chat.test";
    static final String LABELER_DID = "did:plc:labelerlabelerlabelerlab";
    static final String TIMELINE = "{\"cursor\":\"next\",\"feed\":[{\"post\":{\"uri\":\"at://did:plc:abc/app.bsky.feed.post/3k\",\"text\":\"h\u00e9llo\"}}]}";

    static StandInService upstream;
    static TestServer server;
    static String did;
    static String access;
    static PublicKey key;

    @BeforeAll
    static void start() throws Exception {
        upstream = new StandInService();
        server = TestServer.start(Map.of(
                "PDS_BSKY_APP_VIEW_URL", upstream.url(),
                "PDS_BSKY_APP_VIEW_DID", APPVIEW_DID,
                "PDS_CHAT_URL", upstream.url(),
                "PDS_CHAT_DID", CHAT_DID,
                "PDS_PLC_URL", upstream.url(),
                "PDS_PROXY_HEADERS_TIMEOUT", "1500",
                "PDS_PROXY_BODY_TIMEOUT", "1500"));
        did = server.config.did();
        access = AuthClient.login(server).get("accessJwt").asText();
        key = StandInService.publishedKey(server);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        upstream.close();
    }

    @BeforeEach
    void clear() {
        upstream.received.clear();
    }

    static HttpResponse<String> get(String pathAndQuery, String... headers) throws Exception {
        var all = new String[headers.length + 2];
        all[0] = "Authorization";
        all[1] = "Bearer " + access;
        System.arraycopy(headers, 0, all, 2, headers.length);
        return server.get("/xrpc/" + pathAndQuery, all);
    }

    static String plcDocument(String did, String id, String type, String endpoint) {
        return "{\"id\":\"" + did + "\",\"alsoKnownAs\":[],\"verificationMethod\":[],"
                + "\"service\":[{\"id\":\"#" + id + "\",\"type\":\"" + type + "\",\"serviceEndpoint\":\"" + endpoint + "\"}]}";
    }

    @Test
    void appBskyGoesToTheAppViewWithAFreshServiceToken() throws Exception {
        upstream.onXrpc("app.bsky.feed.getTimeline", json(200, TIMELINE,
                "content-language", "en", "atproto-content-labelers", "did:plc:ar7c4by46qjdydhdevvrndac",
                "atproto-repo-rev", "3kabcdefghijk", "x-upstream-internal", "secret", "set-cookie", "session=1"));
        var r = get("app.bsky.feed.getTimeline?limit=2&cursor=a%20b", "accept-language", "fr, en;q=0.5",
                "atproto-accept-labelers", "did:plc:ar7c4by46qjdydhdevvrndac;redact", "cookie", "ours=1", "x-custom", "no");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(TIMELINE);
        assertThat(r.headers().firstValue("content-type").orElseThrow().replace(" ", "")).isEqualTo("application/json;charset=utf-8");
        assertThat(r.headers().firstValue("content-language")).hasValue("en");
        assertThat(r.headers().firstValue("atproto-content-labelers")).hasValue("did:plc:ar7c4by46qjdydhdevvrndac");
        assertThat(r.headers().firstValue("atproto-repo-rev")).hasValue("3kabcdefghijk");
        assertThat(r.headers().firstValue("x-upstream-internal")).isEmpty();
        assertThat(r.headers().firstValue("set-cookie")).isEmpty();

        var req = upstream.take();
        assertThat(req.method()).isEqualTo("GET");
        assertThat(req.path()).isEqualTo("/xrpc/app.bsky.feed.getTimeline");
        assertThat(req.query()).isEqualTo("limit=2&cursor=a%20b");
        assertThat(req.header("accept-language")).isEqualTo("fr, en;q=0.5");
        assertThat(req.header("atproto-accept-labelers")).isEqualTo("did:plc:ar7c4by46qjdydhdevvrndac;redact");
        assertThat(req.header("cookie")).isNull();
        assertThat(req.header("x-custom")).isNull();
        assertThat(req.bearer()).isNotEqualTo(access);
        StandInService.verifyServiceToken(req.bearer(), key, did, APPVIEW_DID, "app.bsky.feed.getTimeline");

        // each call gets its own token
        assertThat(get("app.bsky.feed.getTimeline").statusCode()).isEqualTo(200);
        assertThat(upstream.take().bearer()).isNotEqualTo(req.bearer());
    }

    @Test
    void chatGoesToTheChatServiceByDefaultAndTheHeaderChoosesTheService() throws Exception {
        upstream.onXrpc("chat.bsky.convo.listConvos", json(200, "{\"convos\":[]}"));
        upstream.onXrpc("app.bsky.feed.getTimeline", json(200, TIMELINE));
        assertThat(get("chat.bsky.convo.listConvos").statusCode()).isEqualTo(200);
        StandInService.verifyServiceToken(upstream.take().bearer(), key, did, CHAT_DID, "chat.bsky.convo.listConvos");
        assertThat(get("chat.bsky.convo.listConvos", "atproto-proxy", CHAT_DID + "#bsky_chat").statusCode()).isEqualTo(200);
        StandInService.verifyServiceToken(upstream.take().bearer(), key, did, CHAT_DID, "chat.bsky.convo.listConvos");
        assertThat(get("app.bsky.feed.getTimeline", "atproto-proxy", CHAT_DID + "#bsky_chat").statusCode()).isEqualTo(200);
        StandInService.verifyServiceToken(upstream.take().bearer(), key, did, CHAT_DID, "app.bsky.feed.getTimeline");
        assertThat(get("app.bsky.feed.getTimeline", "atproto-proxy", APPVIEW_DID + "#bsky_appview").statusCode()).isEqualTo(200);
        StandInService.verifyServiceToken(upstream.take().bearer(), key, did, APPVIEW_DID, "app.bsky.feed.getTimeline");
    }

    @Test
    void procedureBodiesPassThroughWithAndWithoutALength() throws Exception {
        upstream.onXrpc("chat.bsky.convo.sendMessage", json(200, "{\"id\":\"m1\"}"));
        var body = "{\"convoId\":\"c1\",\"message\":{\"text\":\"hi \u2603\"}}";
        var r = server.post("/xrpc/chat.bsky.convo.sendMessage", body, "Authorization", "Bearer " + access);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"id\":\"m1\"}");
        var req = upstream.take();
        assertThat(req.method()).isEqualTo("POST");
        assertThat(req.header("content-type")).isEqualTo("application/json");
        assertThat(new String(req.body(), StandardCharsets.UTF_8)).isEqualTo(body);
        StandInService.verifyServiceToken(req.bearer(), key, did, CHAT_DID, "chat.bsky.convo.sendMessage");

        var bytes = body.getBytes(StandardCharsets.UTF_8);
        var chunked = HttpRequest.newBuilder(URI.create(server.url("/xrpc/chat.bsky.convo.sendMessage")))
                .header("Authorization", "Bearer " + access).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))).build();
        assertThat(server.http.send(chunked, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat(upstream.take().body()).isEqualTo(bytes);
    }

    @Test
    void oversizedRequestBodiesAreRefused() throws Exception {
        long limit = Math.max(server.config.maxJsonBytes(), server.config.maxBlobSize());
        // A declared length over the limit is refused before any of the body is read (so none is sent here).
        try (var socket = new java.net.Socket("127.0.0.1", URI.create(server.url("/")).getPort())) {
            var head = "POST /xrpc/chat.bsky.convo.sendMessage HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + access
                    + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + (limit + 1) + "\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            var status = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(status).isEqualTo("HTTP/1.1 413");
        }
        // A body without a length is cut off at the limit. The refusal races the client's last bytes (the
        // server stops reading), so the client sees the 413 or a dropped connection; the service sees nothing.
        var big = new byte[(int) limit + 1];
        var chunked = HttpRequest.newBuilder(URI.create(server.url("/xrpc/chat.bsky.convo.sendMessage")))
                .header("Authorization", "Bearer " + access).header("content-type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build();
        try {
            assertThat(error(server.http.send(chunked, HttpResponse.BodyHandlers.ofString()))).startsWith("413 PayloadTooLarge");
        } catch (IOException dropped) {
            // the race described above
        }
        assertThat(upstream.received).isEmpty();
    }

    @Test
    void aHeaderNamedServiceIsFoundInItsDidDocument() throws Exception {
        upstream.on("/" + LABELER_DID, json(200, plcDocument(LABELER_DID, "atproto_labeler", "AtprotoLabeler", upstream.url() + "/ignored/path")));
        upstream.onXrpc("com.atproto.moderation.createReport", json(200, "{\"id\":1}"));
        var r = server.post("/xrpc/com.atproto.moderation.createReport", "{\"reasonType\":\"x\"}",
                "Authorization", "Bearer " + access, "atproto-proxy", LABELER_DID + "#atproto_labeler");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(upstream.take().path()).isEqualTo("/" + LABELER_DID); // the DID document, from the PLC directory
        var req = upstream.take();
        assertThat(req.path()).isEqualTo("/xrpc/com.atproto.moderation.createReport");
        StandInService.verifyServiceToken(req.bearer(), key, did, LABELER_DID, "com.atproto.moderation.createReport");
    }

    @Test
    void badOrUnknownServicesAreRefused() throws Exception {
        var weird = "did:plc:weirdweirdweirdweirdweir";
        upstream.on("/" + weird, json(200, plcDocument(weird, "thing", "SomethingElse", upstream.url())));
        assertThat(error(get("app.bsky.feed.getTimeline", "atproto-proxy", weird + "#thing")))
                .isEqualTo("400 InvalidRequest: proxying to " + weird + "#thing is not allowed by this PDS");
        assertThat(error(get("app.bsky.feed.getTimeline", "atproto-proxy", weird + "#other")))
                .isEqualTo("400 InvalidRequest: could not resolve proxy did service url");
        assertThat(error(get("app.bsky.feed.getTimeline", "atproto-proxy", "did:plc:nonenonenonenonenonenone#x")))
                .isEqualTo("400 InvalidRequest: could not resolve proxy did");
        assertThat(error(get("app.bsky.feed.getTimeline", "atproto-proxy", APPVIEW_DID)))
                .isEqualTo("400 InvalidRequest: no service id specified in proxy header");
        assertThat(error(get("app.bsky.feed.getTimeline", "atproto-proxy", "#bsky_appview")))
                .isEqualTo("400 InvalidRequest: no did specified in proxy header");
        assertThat(error(get("app.bsky.feed.getTimeline", "atproto-proxy", "did:key:zQ3abc#x")))
                .isEqualTo("400 InvalidRequest: invalid proxy header format");
        assertThat(upstream.received.stream().filter(r -> r.path().startsWith("/xrpc/")).toList()).isEmpty();
    }

    @Test
    void onlyAppBskyAndChatHaveDefaults() throws Exception {
        assertThat(error(get("com.example.unknown.method"))).isEqualTo("501 MethodNotImplemented: Method Not Implemented");
        assertThat(error(server.get("/xrpc/com.example.unknown.method"))).isEqualTo("501 MethodNotImplemented: Method Not Implemented");
        assertThat(error(server.get("/xrpc/app.bsky.feed.getTimeline"))).isEqualTo("401 AuthMissing: Authentication Required");
        var delete = HttpRequest.newBuilder(URI.create(server.url("/xrpc/app.bsky.feed.getFeed")))
                .header("Authorization", "Bearer " + access).DELETE().build();
        assertThat(error(server.http.send(delete, HttpResponse.BodyHandlers.ofString())))
                .isEqualTo("400 InvalidRequest: XRPC requests only supports GET and POST");
        assertThat(upstream.received).isEmpty();
    }

    @Test
    void protectedMethodsAreNeverProxiedAndChatNeedsMoreThanAPlainAppPassword() throws Exception {
        for (var nsid : new String[] {"com.atproto.admin.sendEmail", "com.atproto.admin.getAccountInfos",
                "com.atproto.server.requestAccountDelete", "com.atproto.server.requestEmailUpdate"}) {
            assertThat(error(get(nsid, "atproto-proxy", APPVIEW_DID + "#bsky_appview"))).isEqualTo("400 InvalidToken: Bad token method");
        }
        upstream.onXrpc("chat.bsky.convo.listConvos", json(200, "{\"convos\":[]}"));
        var plain = appPassword(false);
        assertThat(error(server.get("/xrpc/chat.bsky.convo.listConvos", "Authorization", "Bearer " + plain)))
                .isEqualTo("400 InvalidToken: Bad token method");
        assertThat(upstream.received).isEmpty();
        var privileged = appPassword(true);
        assertThat(server.get("/xrpc/chat.bsky.convo.listConvos", "Authorization", "Bearer " + privileged).statusCode()).isEqualTo(200);
        upstream.onXrpc("app.bsky.feed.getTimeline", json(200, TIMELINE));
        assertThat(server.get("/xrpc/app.bsky.feed.getTimeline", "Authorization", "Bearer " + plain).statusCode()).isEqualTo(200);
    }

    static String appPassword(boolean privileged) throws Exception {
        var name = "p" + System.nanoTime();
        var created = server.post("/xrpc/com.atproto.server.createAppPassword",
                "{\"name\":\"" + name + "\",\"privileged\":" + privileged + "}", "Authorization", "Bearer " + access);
        return AuthClient.login(server, TestServer.json(created).get("password").asText()).get("accessJwt").asText();
    }

    @Test
    void upstreamErrorsKeepTheirStatusAndName() throws Exception {
        upstream.onXrpc("app.bsky.feed.getPostThread", json(400, "{\"error\":\"NotFound\",\"message\":\"Post not found: x\"}",
                "atproto-repo-rev", "3kaaaaaaaaaaa"));
        var r = get("app.bsky.feed.getPostThread?uri=at%3A%2F%2Fdid%3Aplc%3Aabc%2Fapp.bsky.feed.post%2F3k");
        assertThat(error(r)).isEqualTo("400 NotFound: Post not found: x");
        assertThat(r.headers().firstValue("atproto-repo-rev")).hasValue("3kaaaaaaaaaaa");

        upstream.onXrpc("app.bsky.feed.getFeed", json(500, "{\"error\":\"InternalServerError\",\"message\":\"boom\"}"));
        assertThat(error(get("app.bsky.feed.getFeed?feed=x"))).isEqualTo("502 InternalServerError: boom");

        upstream.onXrpc("app.bsky.feed.getLikes", exchange -> {
            exchange.getResponseHeaders().add("retry-after", "10");
            StandInService.send(exchange, 429, "text/plain", "slow down");
        });
        var limited = get("app.bsky.feed.getLikes?uri=x");
        assertThat(error(limited)).isEqualTo("429 RateLimitExceeded: Rate Limit Exceeded");
        assertThat(limited.headers().firstValue("retry-after")).hasValue("10");

        upstream.onXrpc("app.bsky.feed.getActorFeeds", json(401, "{\"error\":\"BadJwtSignature\",\"message\":\"jwt signature does not match jwt issuer\"}"));
        assertThat(error(get("app.bsky.feed.getActorFeeds?actor=x")))
                .isEqualTo("401 BadJwtSignature: jwt signature does not match jwt issuer");

        assertThat(error(get("app.bsky.unspecced.nothingHere"))).startsWith("404 XRPCNotSupported");
    }

    @Test
    void slowServicesTimeOut() throws Exception {
        // The stand-in holds each answer until the test has the PDS's: only the PDS's timeouts can end these requests.
        var answered = new CountDownLatch(1);
        try {
            upstream.onXrpc("app.bsky.feed.getTimeline", exchange -> {
                answered.await(30, TimeUnit.SECONDS);
                StandInService.send(exchange, 200, "application/json", TIMELINE);
            });
            assertThat(error(get("app.bsky.feed.getTimeline"))).isEqualTo("504 UpstreamTimeout: Upstream service timed out");

            // headers, then nothing: still a clean error, as nothing was sent yet
            upstream.onXrpc("app.bsky.feed.getTimeline", exchange -> {
                exchange.getResponseHeaders().set("content-type", "application/json");
                exchange.sendResponseHeaders(200, 0);
                exchange.getResponseBody().flush();
                answered.await(30, TimeUnit.SECONDS);
            });
            assertThat(error(get("app.bsky.feed.getTimeline"))).isEqualTo("504 UpstreamTimeout: Upstream service timed out");

            // a body that stalls halfway: the client must see a broken response, not a short one
            upstream.onXrpc("app.bsky.feed.getTimeline", exchange -> {
                exchange.getResponseHeaders().set("content-type", "application/json");
                exchange.sendResponseHeaders(200, 0);
                exchange.getResponseBody().write("{\"feed\":[".getBytes(StandardCharsets.UTF_8));
                exchange.getResponseBody().flush();
                answered.await(30, TimeUnit.SECONDS);
            });
            assertThatThrownBy(() -> get("app.bsky.feed.getTimeline")).isInstanceOf(IOException.class);
        } finally {
            answered.countDown();
        }
    }

    @Test
    void unreachableServicesAreUpstreamFailures() throws Exception {
        int closed;
        try (var s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        var gone = "did:plc:gonegonegonegonegonegone";
        upstream.on("/" + gone, json(200, plcDocument(gone, "bsky_appview", "BskyAppView", "http://127.0.0.1:" + closed)));
        assertThat(error(get("app.bsky.feed.getTimeline", "atproto-proxy", gone + "#bsky_appview")))
                .isEqualTo("502 UpstreamFailure: Upstream service unreachable");
    }

    @Test
    void largeResponsesStreamThrough() throws Exception {
        var data = new byte[8 * 1024 * 1024];
        new Random(42).nextBytes(data);
        var firstChunkRead = new CountDownLatch(1);
        upstream.onXrpc("app.bsky.feed.getTimeline", exchange -> {
            exchange.getResponseHeaders().set("content-type", "application/octet-stream");
            exchange.sendResponseHeaders(200, 0); // chunked
            var out = exchange.getResponseBody();
            out.write(data, 0, 1024 * 1024);
            out.flush();
            // the rest only once the client has the first megabyte: nothing waits for the whole body
            if (!firstChunkRead.await(1, TimeUnit.SECONDS)) throw new IllegalStateException("not streamed");
            for (int off = 1024 * 1024; off < data.length; off += 65536) out.write(data, off, 65536);
        });
        var request = HttpRequest.newBuilder(URI.create(server.url("/xrpc/app.bsky.feed.getTimeline")))
                .header("Authorization", "Bearer " + access).build();
        var response = server.http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        byte[] first;
        byte[] rest;
        try (var in = response.body()) {
            first = in.readNBytes(1024 * 1024);
            firstChunkRead.countDown();
            rest = in.readAllBytes();
        }
        assertThat(first.length + rest.length).isEqualTo(data.length);
        assertThat(first).isEqualTo(java.util.Arrays.copyOf(data, first.length));
        assertThat(rest).isEqualTo(java.util.Arrays.copyOfRange(data, first.length, data.length));

        // The rest of the body never comes while the PDS answers: it refuses on the header alone.
        var refused = new CountDownLatch(1);
        upstream.onXrpc("app.bsky.feed.getTimeline", exchange -> {
            exchange.getResponseHeaders().set("content-type", "application/json");
            exchange.sendResponseHeaders(200, 11L * 1024 * 1024);
            exchange.getResponseBody().write(new byte[1024]);
            exchange.getResponseBody().flush();
            refused.await(30, TimeUnit.SECONDS);
        });
        try {
            assertThat(error(get("app.bsky.feed.getTimeline"))).isEqualTo("502 UpstreamFailure: Upstream response too large");
        } finally {
            refused.countDown();
        }
    }

    @Test
    void productionRefusesPrivateAddresses() throws Exception {
        try (var prod = TestServer.start(Map.of(
                "ALTERAN_ENV", "production",
                "PDS_BSKY_APP_VIEW_URL", "https://127.0.0.1:" + upstream.port(),
                "PDS_BSKY_APP_VIEW_DID", APPVIEW_DID,
                "PDS_CHAT_URL", "https://localhost:" + upstream.port(),
                "PDS_CORS_ORIGIN", "https://bsky.app"))) {
            var token = AuthClient.login(prod).get("accessJwt").asText();
            var r = prod.get("/xrpc/app.bsky.feed.getTimeline", "Authorization", "Bearer " + token);
            assertThat(error(r)).isEqualTo("502 UpstreamFailure: Upstream service resolves to a non-public address");
            r = prod.get("/xrpc/chat.bsky.convo.listConvos", "Authorization", "Bearer " + token);
            assertThat(error(r)).isEqualTo("502 UpstreamFailure: Upstream service resolves to a non-public address");
            assertThat(upstream.received).isEmpty();
        }
    }
}
