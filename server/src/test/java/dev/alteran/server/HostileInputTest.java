package dev.alteran.server;

import dev.alteran.pds.wire.MethodKind;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.atproto.repo.RepoVerifier;
import dev.alteran.pds.auth.Principal;
import dev.alteran.pds.auth.Scope;
import dev.alteran.pds.auth.ServiceAuth;
import dev.alteran.pds.wire.Json;
import dev.alteran.pds.xrpc.AuthLevel;
import dev.alteran.pds.xrpc.XrpcRouter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile requests against every route the router knows (and the non-XRPC paths), generated per
 * route from its Lexicon: wrong methods, malformed, truncated, mistyped and oversized bodies,
 * invalid DIDs, NSIDs, record keys, CIDs, cursors and limits, path traversal, forged, expired,
 * {@code alg: none} and wrong-audience tokens. A new route is covered by being registered.
 *
 * <p>Oracles: a request that is invalid by the Lexicon (or by HTTP) must get a 4xx with an XRPC
 * error body {@code {error, message}}; a request whose invalidity the Lexicon leaves to the
 * server (a free-form cursor, a bad token on a public route) may succeed, but never with a 5xx.
 * Afterwards the repository is exactly what it was.
 */
class HostileInputTest {
    static final String OTHER_DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
    static final String A_CID = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm";
    static final String WRONG_SECRET = "an HMAC key that is not the server's, long enough to look real";
    static TestServer server;
    /** The AppView the PDS proxies to: it answers 404 to everything and records what reached it. */
    static StandInService appView;
    static String did;
    static String owner;      // "Bearer <access>" of a password session
    static String refresh;    // "Bearer <refresh>" of another password session
    static String appSession; // "Bearer <access>" of an app-password session

    /** What a case must get: a 4xx with an error body, or at least no 5xx. */
    enum Oracle { REJECT, SURVIVE }

    record Case(String name, String method, String target, Map<String, String> headers, byte[] body, Oracle oracle) {
        Case {
            headers = new LinkedHashMap<>(headers);
        }
    }

    record Snapshot(String root, long lastSeq, long records, long blobs) {}

    @BeforeAll
    static void start() throws Exception {
        appView = new StandInService();
        server = TestServer.start(Map.of("PDS_DEBUG_ROUTES", "true", "PDS_BSKY_APP_VIEW_URL", appView.url(),
                "PDS_BSKY_APP_VIEW_DID", "did:web:appview.test"));
        did = server.config.did();
        owner = "Bearer " + AuthClient.login(server).get("accessJwt").asText();
        refresh = "Bearer " + AuthClient.login(server).get("refreshJwt").asText();
        var created = server.post("/xrpc/com.atproto.server.createAppPassword", "{\"name\":\"hostile\"}", "Authorization", owner);
        var appPassword = TestServer.json(created).get("password").asText();
        appSession = "Bearer " + AuthClient.login(server, appPassword).get("accessJwt").asText();
        // Something to read: a profile and a post.
        for (var body : List.of(
                "{\"repo\":\"" + did + "\",\"collection\":\"app.bsky.actor.profile\",\"rkey\":\"self\",\"record\":{\"$type\":\"app.bsky.actor.profile\",\"displayName\":\"Alice\"}}",
                "{\"repo\":\"" + did + "\",\"collection\":\"app.bsky.feed.post\",\"rkey\":\"3jzfcijpj2z2b\",\"record\":{\"$type\":\"app.bsky.feed.post\",\"text\":\"hi\",\"createdAt\":\"2024-01-01T00:00:00.000Z\"}}")) {
            var r = server.post("/xrpc/com.atproto.repo.putRecord", body, "Authorization", owner);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        appView.close();
    }

    // ---- the suite ----

    @Test
    void everyRouteRefusesHostileInputWithoutA5xxAndTheRepositoryStaysAsItWas() {
        var before = snapshot();
        var cases = cases();
        var names = new TreeSet<String>();
        var failures = new ArrayList<String>();
        int rejectCases = 0;
        for (var c : cases) {
            assertThat(names.add(c.name())).as("duplicate case name " + c.name()).isTrue();
            if (c.oracle() == Oracle.REJECT) rejectCases++;
            int forwarded = appView.received.size();
            RawHttp.Response r;
            try {
                r = RawHttp.send(server, request(c));
            } catch (UncheckedIOException e) {
                failures.add(c.name() + ": no response (" + e.getCause() + ")");
                continue;
            }
            var problem = check(c, r);
            // What must be refused must not have been passed on either.
            if (problem == null && c.oracle() == Oracle.REJECT && appView.received.size() > forwarded) problem = "forwarded to the AppView";
            if (problem != null) failures.add(c.name() + ": " + problem);
        }
        System.out.printf("hostile suite: %d requests (%d must be refused) over %d routes%n",
                cases.size(), rejectCases, server.alteran.router().routes().size());
        assertThat(failures).as("hostile requests answered wrongly").isEmpty();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(300);
        assertThat(rejectCases).isGreaterThanOrEqualTo(300);
        assertThat(snapshot()).as("repository after the hostile suite").isEqualTo(before);
        assertRepositoryVerifies();
    }

    /** The whole repository, exported as a CAR, verifies: signature, MST, every record block. */
    static void assertRepositoryVerifies() {
        var r = RawHttp.send(server, ("GET /xrpc/com.atproto.sync.getRepo?did=" + enc(did) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        assertThat(r.status()).isEqualTo(200);
        var car = r.body().getBytes(StandardCharsets.ISO_8859_1);
        var repo = RepoVerifier.verifyCar(RawHttp.bodyBytes(server, "/xrpc/com.atproto.sync.getRepo?did=" + enc(did)), did,
                server.config.signingKey().publicKey());
        var head = server.alteran.repo().head();
        assertThat(repo.commitCid()).isEqualTo(head.cid());
        assertThat(repo.recordCount()).isEqualTo(head.data().size()).isEqualTo(2);
        assertThat(car).isNotEmpty();
    }

    /**
     * The firehose: cursors that are not numbers, out of range or repeated, frames sent by the client,
     * connections dropped mid-stream. A bad cursor is an InvalidRequest error frame and a policy close
     * (the WebSocket form of a 400); nothing is ever an internal-error close, and the server and the
     * repository are unharmed afterwards.
     */
    @Test
    void theFirehoseRefusesHostileCursorsAndShrugsOffClientFrames() throws Exception {
        var before = snapshot();
        int cases = 0;
        { // the shared client: closing one of its own would wait for any socket a failed case left open
            var http = server.http;
            for (var bad : List.of("abc", "1.5", "1e3", "0x10", "%201", "99999999999999999999", "-99999999999999999999", "%00",
                    "1%20OR%201%3D1", "9223372036854775808")) {
                try (var client = FirehoseClient.connect(http, FirehoseClient.url(server, "cursor=" + bad), true)) {
                    var m = client.next(10_000);
                    assertThat(m).as(bad).isNotNull();
                    assertThat(m.isError()).as(bad).isTrue();
                    assertThat(m.body()).as(bad).containsEntry("error", "InvalidRequest").containsKey("message");
                    assertThat(client.awaitClose(10_000).code()).as(bad).isEqualTo(1008);
                }
                cases++;
            }
            // Negative cursors replay from the oldest event, as the reference does; repeated ones are refused.
            for (var query : List.of("cursor=-1", "cursor=-5", "cursor=0", "unknown=1&cursor=-1")) {
                try (var client = FirehoseClient.connect(http, FirehoseClient.url(server, query), true)) {
                    var m = client.next(10_000);
                    assertThat(m).as(query).isNotNull();
                    assertThat(m.isError()).as(query).isFalse();
                }
                cases++;
            }
            // An empty cursor is no cursor: live, so nothing arrives while nothing is written.
            try (var client = FirehoseClient.connect(http, FirehoseClient.url(server, "cursor="), true)) {
                assertThat(client.next(500)).isNull();
                assertThat(client.closed.getNow(null)).isNull();
                cases++;
            }
            try (var client = FirehoseClient.connect(http, FirehoseClient.url(server, "cursor=1&cursor=2"), true)) {
                var m = client.next(10_000);
                assertThat(m.isError()).isTrue();
                assertThat(m.body()).containsEntry("error", "InvalidRequest");
                cases++;
            }
            // Frames from the client: ignored, or (too big) a close that names the reason, never an internal error.
            try (var client = FirehoseClient.connect(http, FirehoseClient.url(server, null), true)) {
                var ws = client.socket();
                ws.sendText("hello", true).join();
                ws.sendText("{\"op\":1,\"t\":\"#commit\"}", true).join();
                ws.sendBinary(java.nio.ByteBuffer.wrap(new byte[] {(byte) 0xa2, 0x62, 'o', 'p', 0x20}), true).join();
                ws.sendBinary(java.nio.ByteBuffer.wrap(new byte[4096]), true).join();
                ws.sendPing(java.nio.ByteBuffer.wrap("ping".getBytes(StandardCharsets.UTF_8))).join();
                ws.sendText("partial", false).join();
                ws.sendText(" message", true).join();
                cases += 7;
                var closed = client.sync(10_000);
                assertThat(closed == null || closed.code() != 1011).as("closed with " + closed).isTrue();
            }
            try (var client = FirehoseClient.connect(http, FirehoseClient.url(server, null), true)) {
                // 2 MB in one message: dropped unread, or refused as too big; either way not an internal error.
                client.socket().sendBinary(java.nio.ByteBuffer.wrap(new byte[2_000_000]), true).get(10, java.util.concurrent.TimeUnit.SECONDS);
                var closed = client.sync(10_000);
                assertThat(closed == null || closed.code() != 1011).as("closed with " + closed).isTrue();
                cases++;
            }
            try (var client = FirehoseClient.connect(http, FirehoseClient.url(server, null), true)) {
                client.socket().sendClose(4999, "bye").join();
                cases++;
            }
            // A client that vanishes without a close frame.
            var raw = FirehoseClient.stalled(server, "cursor=0");
            raw.close();
            cases++;
        }
        System.out.printf("hostile firehose cases: %d%n", cases);
        var health = server.get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(snapshot()).isEqualTo(before);
        assertRepositoryVerifies();
    }

    @Test
    void everyRegisteredRouteHasALexiconSoNoneIsLeftOut() {
        for (var route : server.alteran.router().routes()) {
            // The original Alteran's JSON variants of sync methods borrow their base method's Lexicon.
            var nsid = route.nsid();
            // This server's own methods (dev.alteran.*, no parameters or input) are described in docs/account.md instead.
            if (nsid.startsWith(OWN_NAMESPACE)) {
                assertThat(route.lexicon()).as(nsid).isFalse();
                continue;
            }
            var name = route.lexicon() ? nsid : nsid.substring(0, nsid.lastIndexOf('.'));
            assertThat(lexicon(name)).as("lexicon of " + name).isNotNull();
        }
    }

    static String check(Case c, RawHttp.Response r) {
        var summary = r.status() + " " + abbreviate(r.body());
        if (r.status() >= 500) return "server error " + summary;
        for (var leak : List.of("Exception", "\tat ", "at dev.alteran", "at org.eclipse", "at java.", "jetty", "Jetty")) {
            if (r.body().contains(leak)) return "internal detail in the body: " + summary;
        }
        if (c.oracle() == Oracle.REJECT && (r.status() < 400 || r.status() > 499)) return "expected a 4xx, got " + summary;
        if (r.status() >= 400 && !c.method().equals("HEAD")) {
            var bodyProblem = errorBodyProblem(c, r);
            if (bodyProblem != null) return bodyProblem + ": " + summary;
        }
        return null;
    }

    /** An XRPC error body: a JSON object with string "error" and "message", nothing else. */
    static String errorBodyProblem(Case c, RawHttp.Response r) {
        // The well-known files answer a wrong host with the reference PDS's plain-text 404.
        if (c.target().startsWith("/.well-known/") && r.status() == 404 && r.header("content-type").startsWith("text/plain")) return null;
        var type = r.header("content-type");
        if (type == null || !type.startsWith("application/json")) return "error without a JSON body (" + type + ")";
        try {
            var json = Json.READER.readTree(r.body());
            if (json == null || !json.isObject()) return "error body is not an object";
            if (!json.path("error").isTextual() || json.get("error").asText().isEmpty()) return "error body without \"error\"";
            if (!json.path("message").isTextual()) return "error body without \"message\"";
            if (json.size() != 2) return "error body with more than error and message";
            return null;
        } catch (IOException e) {
            return "error body is not JSON";
        }
    }

    static Snapshot snapshot() {
        return server.alteran.database().read(c -> {
            String root;
            try (var st = c.prepareStatement("SELECT cid, rev FROM repo_root WHERE did = ?")) {
                st.setString(1, did);
                try (var rs = st.executeQuery()) {
                    root = rs.next() ? java.util.HexFormat.of().formatHex(rs.getBytes(1)) + " " + rs.getString(2) : null;
                }
            }
            return new Snapshot(root, server.alteran.sequence().lastSeq(), count(c, "record"), count(c, "blob"));
        });
    }

    static long count(java.sql.Connection c, String table) throws java.sql.SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    // ---- generating the cases ----

    /** This server's own methods, which no Lexicon describes. */
    static final String OWN_NAMESPACE = "dev.alteran.";

    static List<Case> cases() {
        var out = new ArrayList<Case>();
        var router = server.alteran.router();
        for (var route : router.routes().stream().sorted(java.util.Comparator.comparing(XrpcRouter.Route::nsid)).toList()) {
            var nsid = route.nsid();
            var def = lexicon(nsid);
            // The original Alteran's JSON variants (getRepo.json, ...) have no Lexicon: they borrow their
            // base method's parameters, and since their rules are their own, bad values need only not break them.
            boolean own = nsid.startsWith(OWN_NAMESPACE);
            boolean variant = def == null && !own;
            if (variant) def = lexicon(nsid.substring(0, nsid.lastIndexOf('.')));
            if (own) def = Json.object(); // no parameters, no input: every case's oracle is the strict one
            var auth = authFor(route);
            methodCases(out, nsid, route.kind(), def, auth);
            paramCases(out, nsid, route.kind(), def, auth, variant);
            if (route.kind() == MethodKind.PROCEDURE) bodyCases(out, nsid, def, auth);
            tokenCases(out, route, def);
        }
        pathCases(out);
        debugCases(out);
        return out;
    }

    /** The credentials a route declares: none for public routes, a refresh token for the session-rotation routes, else the owner's access. */
    static String authFor(XrpcRouter.Route route) {
        return switch (route.auth()) {
            case PUBLIC -> null;
            case REFRESH -> refresh;
            case ACCESS, SESSION, ACCESS_OR_SERVICE, FULL_ACCESS, FULL_SESSION -> owner;
            case OPTIONAL_SERVICE -> serviceToken(route.nsid());
        };
    }

    /** The account's own service token for {@code lxm} at this server, signed with its key (valid for the hour the test may take). */
    static String serviceToken(String lxm) {
        return "Bearer " + new ServiceAuth(did, server.config.signingKey(), Clock.systemUTC())
                .issue(new Principal(did, Scope.ACCESS), server.config.serviceDid(), AuthClient.nowSec() + 3600, lxm);
    }

    static void methodCases(List<Case> out, String nsid, MethodKind kind, JsonNode def, String auth) {
        var target = "/xrpc/" + nsid + query(baselineParams(def));
        var wrong = kind == MethodKind.QUERY ? List.of("POST", "PUT", "DELETE", "PATCH") : List.of("GET", "HEAD", "PUT", "DELETE");
        for (var method : wrong) {
            var body = method.equals("GET") || method.equals("HEAD") ? null : baselineBody(def).toString().getBytes(StandardCharsets.UTF_8);
            out.add(new Case(nsid + " method " + method, method, target, headers(auth, body == null ? null : "application/json"), body, Oracle.REJECT));
        }
    }

    static void paramCases(List<Case> out, String nsid, MethodKind kind, JsonNode def, String auth, boolean lenient) {
        var all = new ArrayList<Case>();
        paramCases(all, nsid, kind, def, auth);
        for (var c : all) out.add(lenient ? new Case(c.name(), c.method(), c.target(), c.headers(), c.body(), Oracle.SURVIVE) : c);
    }

    static void paramCases(List<Case> out, String nsid, MethodKind kind, JsonNode def, String auth) {
        var params = def.path("parameters");
        var properties = params.path("properties");
        if (properties.isMissingNode() || properties.isEmpty()) return;
        var method = kind == MethodKind.QUERY ? "GET" : "POST";
        var body = kind == MethodKind.PROCEDURE ? baselineBody(def).toString().getBytes(StandardCharsets.UTF_8) : null;
        var required = strings(params.path("required"));
        var baseline = baselineParams(def);
        for (var name : required) {
            var p = new LinkedHashMap<>(baseline);
            p.remove(name);
            out.add(new Case(nsid + " without param " + name, method, "/xrpc/" + nsid + query(p), headers(auth, body == null ? null : "application/json"), body, Oracle.REJECT));
        }
        for (var e : fields(properties)) {
            var name = e.getKey();
            var schema = e.getValue();
            var bad = invalidParamValues(schema);
            for (var value : bad.keySet()) {
                var p = new LinkedHashMap<>(baseline);
                p.put(name, value);
                out.add(new Case(nsid + " param " + name + "=" + abbreviate(value), method, "/xrpc/" + nsid + query(p),
                        headers(auth, body == null ? null : "application/json"), body, bad.get(value)));
            }
            if (!schema.path("type").asText().equals("array")) {
                var target = "/xrpc/" + nsid + query(baseline) + (baseline.isEmpty() ? "?" : "&") + enc(name) + "=" + enc(sampleString(name, schema)) ;
                out.add(new Case(nsid + " param " + name + " twice", method, target, headers(auth, body == null ? null : "application/json"), body,
                        baseline.containsKey(name) ? Oracle.REJECT : Oracle.SURVIVE));
            }
        }
        // Escapes that do not decode, and a query string far beyond any real one.
        out.add(new Case(nsid + " param malformed escape", method, "/xrpc/" + nsid + "?" + enc(first(properties)) + "=%zz", headers(auth, null), body, Oracle.REJECT));
        out.add(new Case(nsid + " params 2000 of them", method, "/xrpc/" + nsid + query(baseline) + "&junk=1".repeat(2000).replaceFirst("&", baseline.isEmpty() ? "?" : "&"),
                headers(auth, null), body, Oracle.SURVIVE));
    }

    static void bodyCases(List<Case> out, String nsid, JsonNode def, String auth) {
        var input = def.path("input");
        var encoding = input.path("encoding").asText("");
        var target = "/xrpc/" + nsid + query(baselineParams(def));
        if (encoding.equals("application/json")) {
            jsonBodyCases(out, nsid, target, input.path("schema"), auth);
        } else if (!encoding.isEmpty()) {
            binaryBodyCases(out, nsid, target, auth);
        } else {
            // No input: whatever arrives is not a reason to fail, but a bad token still is (refresh/delete session).
            for (var body : List.of("{", "[1,2", "\u0000\u0001", "x".repeat(70_000))) {
                out.add(new Case(nsid + " unexpected body " + abbreviate(body), "POST", target, headers(null, "application/json"),
                        body.getBytes(StandardCharsets.UTF_8), Oracle.REJECT));
            }
        }
    }

    static void jsonBodyCases(List<Case> out, String nsid, String target, JsonNode schema, String auth) {
        var json = headers(auth, "application/json");
        Map<String, String> malformed = new LinkedHashMap<>();
        var baseline = baselineBody(schema.isMissingNode() ? null : schema).toString();
        malformed.put("empty", "");
        malformed.put("truncated", baseline.substring(0, Math.max(1, baseline.length() / 2)));
        malformed.put("open brace", "{");
        malformed.put("unterminated string", "{\"a\":\"");
        malformed.put("trailing garbage", baseline + "}}");
        malformed.put("two documents", baseline + " " + baseline);
        malformed.put("single quotes", "{'a':1}");
        malformed.put("NaN", "{\"a\":NaN}");
        malformed.put("comment", "{/* x */}");
        malformed.put("control character", "{\"a\":\"\u0001\"}");
        malformed.put("lone surrogate", "{\"a\":\"\\ud800\"}");
        malformed.put("duplicate key", duplicateKey(schema, baseline));
        malformed.put("nested 100000 deep", "[".repeat(100_000));
        malformed.put("nested 70 objects", "{\"a\":".repeat(70) + "1" + "}".repeat(70));
        malformed.put("huge number", "{\"a\":" + "9".repeat(5000) + "}");
        malformed.put("array", "[]");
        malformed.put("number", "1");
        malformed.put("string", "\"x\"");
        malformed.put("null", "null");
        malformed.put("true", "true");
        malformed.put("not json", "hello");
        for (var e : malformed.entrySet()) {
            out.add(new Case(nsid + " body " + e.getKey(), "POST", target, json, e.getValue().getBytes(StandardCharsets.UTF_8), Oracle.REJECT));
        }
        var bytes = baseline.getBytes(StandardCharsets.UTF_8);
        out.add(new Case(nsid + " body invalid UTF-8", "POST", target, json, new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'}, Oracle.REJECT));
        out.add(new Case(nsid + " body as text/plain", "POST", target, headers(auth, "text/plain"), bytes, Oracle.REJECT));
        out.add(new Case(nsid + " body as form", "POST", target, headers(auth, "application/x-www-form-urlencoded"), bytes, Oracle.REJECT));
        out.add(new Case(nsid + " body without content type", "POST", target, headers(auth, null), bytes, Oracle.REJECT));
        out.add(new Case(nsid + " body json-ish type", "POST", target, headers(auth, "application/jsonx"), bytes, Oracle.REJECT));
        // Oversized: declared, and streamed without a length.
        var big = ("{\"a\":\"" + "x".repeat(70_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        out.add(new Case(nsid + " body oversized", "POST", target, json, big, Oracle.REJECT));
        var chunked = new LinkedHashMap<>(json);
        chunked.put("Transfer-Encoding", "chunked");
        out.add(new Case(nsid + " body oversized chunked", "POST", target, chunked, big, Oracle.REJECT));
        var lying = new LinkedHashMap<>(json);
        lying.put("Content-Length", "500");
        out.add(new Case(nsid + " body shorter than declared", "POST", target, lying, "{\"a\":".getBytes(StandardCharsets.UTF_8), Oracle.REJECT));
        if (schema.isMissingNode()) return;

        var required = strings(schema.path("required"));
        var nullable = new LinkedHashSet<>(strings(schema.path("nullable")));
        for (var name : required) {
            var b = baselineBody(schema);
            b.remove(name);
            out.add(new Case(nsid + " body without " + name, "POST", target, json, b.toString().getBytes(StandardCharsets.UTF_8), Oracle.REJECT));
        }
        for (var e : fields(schema.path("properties"))) {
            var name = e.getKey();
            for (var bad : invalidJsonValues(e.getValue(), nullable.contains(name)).entrySet()) {
                var b = baselineBody(schema);
                b.set(name, bad.getValue());
                out.add(new Case(nsid + " body " + name + " " + bad.getKey(), "POST", target, json,
                        b.toString().getBytes(StandardCharsets.UTF_8), Oracle.REJECT));
            }
        }
    }

    static void binaryBodyCases(List<Case> out, String nsid, String target, String auth) {
        var html = "<html><script>alert(1)</script></html>".getBytes(StandardCharsets.UTF_8);
        out.add(new Case(nsid + " blob html", "POST", target, headers(auth, "text/html"), html, Oracle.REJECT));
        out.add(new Case(nsid + " blob html claimed png", "POST", target, headers(auth, "image/png"), html, Oracle.REJECT));
        out.add(new Case(nsid + " blob svg", "POST", target, headers(auth, "image/svg+xml"), "<svg/>".getBytes(StandardCharsets.UTF_8), Oracle.REJECT));
        out.add(new Case(nsid + " blob empty", "POST", target, headers(auth, "image/png"), new byte[0], Oracle.REJECT));
        out.add(new Case(nsid + " blob bad type", "POST", target, headers(auth, "not a mime type"), new byte[] {1, 2, 3}, Oracle.REJECT));
        var lying = headers(auth, "image/png");
        lying.put("Content-Length", Long.toString(server.config.maxBlobSize() + 1));
        out.add(new Case(nsid + " blob declared too large", "POST", target, lying, new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Oracle.REJECT));
        var chunked = headers(auth, "image/png");
        chunked.put("Transfer-Encoding", "chunked");
        var big = new byte[(int) server.config.maxBlobSize() + 10];
        System.arraycopy(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}, 0, big, 0, 8);
        out.add(new Case(nsid + " blob too large chunked", "POST", target, chunked, big, Oracle.REJECT));
    }

    /** Credentials that must not work. Public routes may ignore them; routes that need a session must refuse them. */
    static void tokenCases(List<Case> out, XrpcRouter.Route route, JsonNode def) {
        var nsid = route.nsid();
        var kind = route.kind();
        boolean rotation = route.auth() == AuthLevel.REFRESH;
        var needsAuth = route.auth() != AuthLevel.PUBLIC;
        var oracle = needsAuth ? Oracle.REJECT : Oracle.SURVIVE;
        var method = kind == MethodKind.QUERY ? "GET" : "POST";
        var target = "/xrpc/" + nsid + query(baselineParams(def));
        var body = kind == MethodKind.PROCEDURE && def.path("input").path("encoding").asText("").equals("application/json")
                ? baselineBody(def).toString().getBytes(StandardCharsets.UTF_8) : null;
        var type = body == null ? null : "application/json";
        var typ = rotation ? "refresh+jwt" : "at+jwt";
        var scope = rotation ? "com.atproto.refresh" : "com.atproto.access";
        var secret = rotation ? server.config.refreshTokenSecret() : server.config.accessTokenSecret();
        long now = AuthClient.nowSec();
        var tokens = new LinkedHashMap<String, String>();
        tokens.put("none", null);
        tokens.put("forged", "Bearer " + jwt("HS256", typ, claims(scope, did, did, now, now + 600), WRONG_SECRET));
        tokens.put("expired", "Bearer " + jwt("HS256", typ, claims(scope, did, did, now - 7200, now - 3600), secret));
        tokens.put("alg none", "Bearer " + unsigned("none", typ, claims(scope, did, did, now, now + 600)));
        tokens.put("alg none no dot", "Bearer " + unsigned("none", typ, claims(scope, did, did, now, now + 600)).replaceAll("\\.$", ""));
        tokens.put("wrong audience", "Bearer " + jwt("HS256", typ, claims(scope, did, "did:web:evil.example", now, now + 600), secret));
        tokens.put("other subject", "Bearer " + jwt("HS256", typ, claims(scope, OTHER_DID, did, now, now + 600), secret));
        tokens.put("HS512", "Bearer " + jwt("HS512", typ, claims(scope, did, did, now, now + 600), secret));
        tokens.put("other secret kind", "Bearer " + jwt("HS256", typ, claims(scope, did, did, now, now + 600),
                rotation ? server.config.accessTokenSecret() : server.config.refreshTokenSecret()));
        tokens.put("wrong typ", "Bearer " + jwt("HS256", rotation ? "at+jwt" : "refresh+jwt", claims(scope, did, did, now, now + 600), secret));
        tokens.put("wrong scope", "Bearer " + jwt("HS256", typ, claims(rotation ? "com.atproto.access" : "com.atproto.refresh", did, did, now, now + 600), secret));
        tokens.put("not yet valid", "Bearer " + jwt("HS256", typ, claimsWith(scope, now, now + 600, "nbf", now + 3600), secret));
        tokens.put("exp as string", "Bearer " + jwt("HS256", typ, claimsWith(scope, now, now + 600, "exp", "never"), secret));
        tokens.put("payload array", "Bearer " + b64("{\"alg\":\"HS256\",\"typ\":\"" + typ + "\"}") + "." + b64("[]") + ".AAAA");
        tokens.put("header not json", "Bearer " + b64("{alg") + "." + b64("{}") + ".AAAA");
        tokens.put("bad base64", "Bearer e30.e30.!!!");
        tokens.put("four parts", "Bearer a.b.c.d");
        tokens.put("empty bearer", "Bearer ");
        tokens.put("garbage", "Bearer garbage");
        tokens.put("basic", "Basic " + Base64.getEncoder().encodeToString((TestServer.HANDLE + ":" + TestServer.PASSWORD).getBytes(StandardCharsets.UTF_8)));
        tokens.put("two tokens", owner + ", " + owner.substring(7));
        tokens.put("huge", "Bearer " + "a".repeat(6000));
        tokens.put(rotation ? "access token" : "refresh token", rotation ? owner : refresh);
        // App-password sessions may use ordinary routes; account-level routes must refuse them.
        if (route.auth() == AuthLevel.FULL_ACCESS || route.auth() == AuthLevel.FULL_SESSION) tokens.put("app password", appSession);
        // The OAuth scheme without a proof, with a session token or with garbage: the resource server refuses both.
        tokens.put("session token as dpop", "DPoP " + owner.substring("Bearer ".length()));
        tokens.put("dpop garbage", "DPoP garbage");
        for (var t : tokens.entrySet()) {
            var name = t.getKey();
            var o = oracle;
            if (name.equals("none") && !needsAuth) o = Oracle.SURVIVE;
            // As the reference PDS: logging out takes an expired refresh token too.
            if (name.equals("expired") && nsid.equals("com.atproto.server.deleteSession")) o = Oracle.SURVIVE;
            out.add(new Case(nsid + " token " + name, method, target, headers(t.getValue(), type), body, o));
        }
    }

    /** Paths outside the router: health, well-known, the root page, malformed XRPC paths. */
    static void pathCases(List<Case> out) {
        for (var path : List.of("/health", "/ready", "/.well-known/atproto-did", "/.well-known/did.json", "/")) {
            for (var method : List.of("POST", "PUT", "DELETE", "PATCH")) {
                out.add(new Case(path + " method " + method, method, path, headers(null, "application/json"), "{}".getBytes(StandardCharsets.UTF_8), Oracle.REJECT));
            }
            out.add(new Case(path + " junk query", "GET", path + "?%zz=%00&x=" + "y".repeat(3000), headers(owner, null), null, Oracle.SURVIVE));
            out.add(new Case(path + " traversal", "GET", path + (path.endsWith("/") ? "" : "/") + "../../../../etc/passwd", headers(null, null), null, Oracle.REJECT));
            out.add(new Case(path + " encoded traversal", "GET", path + "/..%2f..%2f..%2fetc%2fpasswd", headers(null, null), null, Oracle.REJECT));
            var evilHost = headers(null, null);
            evilHost.put("Host", "evil.example");
            out.add(new Case(path + " other host", "GET", path, evilHost, null, Oracle.SURVIVE));
        }
        // ("/xrpc/.." is "/" and "/xrpc/../health" is "/health" by URI normalization, not hostile.)
        var badNsids = List.of("a", "com", "com..atproto.x", "com.atproto.", ".com.atproto.x", "com.atproto.repo.getRecord%00",
                "com.atproto.repo.getRecord/extra", "com.atproto.repo.getRecord%2f..%2f..", "com.atproto.repo.getRecord;x=1",
                "com atproto", "%20", "%", "com.atproto.repo." + "a".repeat(400), "1com.atproto.x", "com.atproto.repo.get-Record!",
                "..%2fhealth", "com.atproto.server.createSession/../describeServer");
        for (var nsid : badNsids) {
            out.add(new Case("xrpc path " + abbreviate(nsid), "GET", "/xrpc/" + nsid, headers(owner, null), null, Oracle.REJECT));
            out.add(new Case("xrpc path " + abbreviate(nsid) + " POST", "POST", "/xrpc/" + nsid, headers(owner, "application/json"),
                    "{}".getBytes(StandardCharsets.UTF_8), Oracle.REJECT));
        }
        // The firehose is a WebSocket: plain HTTP to it, and upgrades that are not quite WebSocket, are refused.
        var subscribe = "/xrpc/com.atproto.sync.subscribeRepos";
        for (var query : List.of("", "?cursor=-1", "?cursor=abc", "?cursor=99999999999999999999")) {
            out.add(new Case("subscribeRepos over HTTP" + query, "GET", subscribe + query, headers(null, null), null, Oracle.REJECT));
        }
        out.add(new Case("subscribeRepos POST", "POST", subscribe, headers(null, "application/json"), "{}".getBytes(StandardCharsets.UTF_8), Oracle.REJECT));
        var noKey = headers(null, null);
        noKey.put("Upgrade", "websocket");
        noKey.put("Connection", "Upgrade");
        noKey.put("Sec-WebSocket-Version", "13");
        out.add(new Case("subscribeRepos upgrade without key", "GET", subscribe, noKey, null, Oracle.REJECT));
        var oldVersion = new LinkedHashMap<>(noKey);
        oldVersion.put("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
        oldVersion.put("Sec-WebSocket-Version", "8");
        out.add(new Case("subscribeRepos upgrade old version", "GET", subscribe, oldVersion, null, Oracle.REJECT));
        out.add(new Case("xrpc path empty", "GET", "/xrpc/", headers(null, null), null, Oracle.REJECT));
        out.add(new Case("xrpc path bare", "GET", "/xrpc", headers(null, null), null, Oracle.REJECT));
        out.add(new Case("xrpc uri too long", "GET", "/xrpc/com.atproto.repo.listRecords?repo=" + "a".repeat(20_000), headers(null, null), null, Oracle.REJECT));
        var hugeHeader = headers(owner, null);
        hugeHeader.put("X-Junk", "j".repeat(20_000));
        out.add(new Case("xrpc header too large", "GET", "/xrpc/com.atproto.server.getSession", hugeHeader, null, Oracle.REJECT));
    }

    /** The owner-only debug routes get the same treatment. */
    static void debugCases(List<Case> out) {
        var json = headers(owner, "application/json");
        var bad = List.of("", "not a uri", "at://", "at://" + did, "at://" + did + "/app.bsky.feed.post", "at://" + did + "/app.bsky.feed.post/..",
                "at://" + did + "/app.bsky.feed.post/../../etc/passwd", "at://" + did + "/../../etc/passwd/x", "at://" + OTHER_DID + "/app.bsky.feed.post/x",
                "at://" + did + "/not..nsid/x", "at://" + did + "/app.bsky.feed.post/a%2fb", "file:///etc/passwd");
        for (var uri : bad) {
            out.add(new Case("debug get record " + abbreviate(uri), "GET", "/debug/record?uri=" + enc(uri), headers(owner, null), null, Oracle.REJECT));
            out.add(new Case("debug put record " + abbreviate(uri), "POST", "/debug/record", json,
                    ("{\"uri\":" + JsonNodeFactory.instance.textNode(uri) + ",\"json\":{\"a\":1}}").getBytes(StandardCharsets.UTF_8), Oracle.REJECT));
        }
        for (var body : List.of("{", "[]", "{\"uri\":1,\"json\":{}}", "{\"json\":{}}", "{\"uri\":\"at://" + did + "/app.bsky.feed.post/x\",\"json\":\"x\"}")) {
            out.add(new Case("debug put record body " + abbreviate(body), "POST", "/debug/record", json, body.getBytes(StandardCharsets.UTF_8), Oracle.REJECT));
        }
        for (var cid : List.of("x", "..", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", A_CID.substring(0, 20), A_CID.toUpperCase(), "bafy!!", A_CID + "/..", "QmNotReally")) {
            out.add(new Case("debug get blob " + cid, "GET", "/debug/blob/" + cid, headers(owner, null), null, Oracle.REJECT));
        }
        out.add(new Case("debug get blob unknown", "GET", "/debug/blob/" + A_CID, headers(owner, null), null, Oracle.REJECT));
        out.add(new Case("debug put blob html", "PUT", "/debug/blob", headers(owner, "text/html"), "<script>".getBytes(StandardCharsets.UTF_8), Oracle.REJECT));
        for (var grace : List.of("-1", "x", "1.5", "99999999999")) {
            out.add(new Case("debug gc grace " + grace, "POST", "/debug/gc/blobs?graceSeconds=" + grace, headers(owner, null), new byte[0], Oracle.REJECT));
        }
        long now = AuthClient.nowSec();
        var forged = "Bearer " + jwt("HS256", "at+jwt", claims("com.atproto.access", did, did, now, now + 600), WRONG_SECRET);
        var none = "Bearer " + unsigned("none", "at+jwt", claims("com.atproto.access", did, did, now, now + 600));
        for (var token : List.of(forged, none, appSession, refresh)) {
            var label = token == forged ? "forged" : token == none ? "alg none" : token == appSession ? "app password" : "refresh";
            out.add(new Case("debug gc with " + label, "POST", "/debug/gc/blobs?graceSeconds=0", headers(token, null), new byte[0], Oracle.REJECT));
            out.add(new Case("debug put record with " + label, "POST", "/debug/record", headers(token, "application/json"),
                    ("{\"uri\":\"at://" + did + "/app.bsky.feed.post/x\",\"json\":{}}").getBytes(StandardCharsets.UTF_8), Oracle.REJECT));
        }
        for (var method : List.of("DELETE", "PATCH")) {
            out.add(new Case("debug record method " + method, method, "/debug/record", headers(owner, null), null, Oracle.REJECT));
        }
    }

    // ---- values from the Lexicon ----

    static JsonNode lexicon(String nsid) {
        try (var in = HostileInputTest.class.getClassLoader().getResourceAsStream("lexicons/" + nsid.replace('.', '/') + ".json")) {
            if (in == null) return null;
            return Json.READER.readTree(in).path("defs").path("main");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, String> baselineParams(JsonNode def) {
        var out = new LinkedHashMap<String, String>();
        if (def == null) return out;
        var params = def.path("parameters");
        for (var name : strings(params.path("required"))) {
            out.put(name, sampleString(name, params.path("properties").path(name)));
        }
        return out;
    }

    static ObjectNode baselineBody(JsonNode defOrSchema) {
        var body = Json.object();
        if (defOrSchema == null) return body;
        var schema = defOrSchema.has("input") ? defOrSchema.path("input").path("schema") : defOrSchema;
        for (var name : strings(schema.path("required"))) {
            body.set(name, sampleJson(name, schema.path("properties").path(name)));
        }
        return body;
    }

    /** A valid value for a parameter, for the params not under attack. */
    static String sampleString(String name, JsonNode schema) {
        var type = schema.path("type").asText();
        if (type.equals("integer")) return Long.toString(schema.path("minimum").asLong(1));
        if (type.equals("boolean")) return "true";
        if (type.equals("array")) return sampleString(name, schema.path("items"));
        return switch (schema.path("format").asText("")) {
            case "did", "at-identifier" -> did;
            case "handle" -> TestServer.HANDLE;
            case "nsid" -> "app.bsky.feed.post";
            case "record-key" -> "3jzfcijpj2z2a";
            case "cid" -> A_CID;
            case "at-uri" -> "at://" + did + "/app.bsky.feed.post/3jzfcijpj2z2a";
            case "datetime" -> "2024-01-01T00:00:00.000Z";
            case "tid" -> "3jzfcijpj2z2a";
            case "uri" -> "https://example.com";
            case "language" -> "en";
            default -> name.equals("password") ? "not the password" : "x";
        };
    }

    static JsonNode sampleJson(String name, JsonNode schema) {
        var f = JsonNodeFactory.instance;
        return switch (schema.path("type").asText()) {
            case "integer" -> f.numberNode(schema.path("minimum").asLong(1));
            case "boolean" -> f.booleanNode(true);
            case "array" -> f.arrayNode();
            // A record that fails its schema (no text, no createdAt): no baseline body is ever a valid write.
            case "object", "unknown", "ref", "union" -> Json.object().put("$type", "app.bsky.feed.post");
            default -> f.textNode(sampleString(name, schema));
        };
    }

    /** Parameter values that are wrong by the Lexicon (REJECT) or merely odd (SURVIVE). */
    static Map<String, Oracle> invalidParamValues(JsonNode schema) {
        var out = new LinkedHashMap<String, Oracle>();
        var type = schema.path("type").asText();
        if (type.equals("array")) schema = schema.path("items");
        type = schema.path("type").asText();
        switch (type) {
            case "integer" -> {
                for (var v : List.of("abc", "1.5", "1e3", "0x10", "99999999999999999999", " 1", "-", "1 OR 1=1")) out.put(v, Oracle.REJECT);
                if (schema.has("minimum")) out.put(Long.toString(schema.get("minimum").asLong() - 1), Oracle.REJECT);
                if (schema.has("maximum")) out.put(Long.toString(schema.get("maximum").asLong() + 1), Oracle.REJECT);
                if (!schema.has("minimum")) out.put("-9223372036854775809", Oracle.REJECT);
            }
            case "boolean" -> {
                for (var v : List.of("maybe", "2", "yes", "tru")) out.put(v, Oracle.REJECT);
            }
            default -> {
                var format = schema.path("format").asText("");
                for (var v : invalidFormatValues(format)) out.put(v, Oracle.REJECT);
                if (schema.has("maxLength")) out.put("m".repeat(schema.get("maxLength").asInt() + 1), Oracle.REJECT);
                if (format.isEmpty()) {
                    for (var v : List.of("../../../../etc/passwd", "\u0000", "' OR 1=1 --", "%00", "\u202e\ufeff", "z".repeat(4000))) {
                        out.putIfAbsent(v, Oracle.SURVIVE);
                    }
                }
            }
        }
        return out;
    }

    static List<String> invalidFormatValues(String format) {
        return switch (format) {
            case "did" -> List.of("not-a-did", "did:", "did:plc", "did:plc:", "DID:plc:abc", "did:plc:abc%zz", "did:web:../../etc/passwd",
                    "did:plc:" + "a".repeat(2100), " did:plc:abc", "did:plc:abc\u0000", "alice.test");
            case "handle" -> List.of("-bad.test", "a..b", "under_score.test", "x", "alice.test.", "a".repeat(300) + ".test", "did:plc:abc", "..");
            case "at-identifier" -> List.of("@alice.test", "not valid", "did:", "at://alice.test", "..", "a".repeat(300) + ".test", "alice.test/../x");
            case "nsid" -> List.of("a", "a..b", "com.example.", "1com.ex.a", "com.ex/../a", "com.ex.a b", "../../etc/passwd", "com.example.a-b!",
                    "c".repeat(400) + ".x.y");
            case "record-key" -> List.of(".", "..", "a/b", "../../etc/passwd", "a b", "r".repeat(513), "a#b", "%2e%2e", "a?b", "a\\b");
            case "cid" -> List.of("notacid", "bafy", "Qm123", "../../etc/passwd", A_CID.substring(0, A_CID.length() - 3), A_CID.toUpperCase(),
                    "bafy!!!", "z111", A_CID + "/..", "");
            case "at-uri" -> List.of("at:/x", "http://x", "at://" + did + "/../../a", "at://", "at://" + did + "/a..b/x");
            case "datetime" -> List.of("yesterday", "2024-13-01T00:00:00Z", "2024-01-01", "2024-01-01T00:00:00");
            case "tid" -> List.of("x", "3jzfcijpj2z2aa", "3JZFCIJPJ2Z2A", "../../etc/pas", "zzzzzzzzzzzzz");
            case "uri" -> List.of("not a uri", "://x");
            case "language" -> List.of("123-", "e");
            default -> List.of();
        };
    }

    /** JSON values of the wrong type (or format) for a body property. */
    static Map<String, JsonNode> invalidJsonValues(JsonNode schema, boolean nullable) {
        var f = JsonNodeFactory.instance;
        var out = new LinkedHashMap<String, JsonNode>();
        var type = schema.path("type").asText();
        if (!nullable) out.put("null", f.nullNode());
        switch (type) {
            case "string" -> {
                out.put("number", f.numberNode(1));
                out.put("boolean", f.booleanNode(true));
                out.put("array", f.arrayNode().add("x"));
                out.put("object", Json.object().put("a", 1));
                for (var v : invalidFormatValues(schema.path("format").asText(""))) out.put("format " + abbreviate(v), f.textNode(v));
                if (schema.has("maxLength")) out.put("too long", f.textNode("m".repeat(schema.get("maxLength").asInt() + 1)));
            }
            case "integer" -> {
                out.put("string", f.textNode("1"));
                out.put("float", f.numberNode(1.5));
                out.put("boolean", f.booleanNode(true));
                out.put("huge", f.numberNode(new java.math.BigInteger("9".repeat(40))));
            }
            case "boolean" -> {
                out.put("string", f.textNode("true"));
                out.put("number", f.numberNode(1));
                out.put("object", Json.object());
            }
            case "array" -> {
                out.put("object", Json.object());
                out.put("string", f.textNode("x"));
                out.put("number", f.numberNode(1));
                out.put("array of numbers", f.arrayNode().add(1).add(2));
                out.put("array of garbage objects", f.arrayNode().add(Json.object().put("$type", "x")));
            }
            case "object", "unknown" -> {
                out.put("string", f.textNode("x"));
                out.put("array", f.arrayNode());
                out.put("number", f.numberNode(1));
            }
            case "ref", "union" -> { // an object or, by ref, an array: neither is a string or a number
                out.put("string", f.textNode("x"));
                out.put("number", f.numberNode(1));
            }
            default -> { }
        }
        return out;
    }

    // ---- helpers ----

    static byte[] request(Case c) {
        var headers = new LinkedHashMap<String, String>();
        headers.put("Host", "127.0.0.1:" + server.config.port());
        headers.putAll(c.headers());
        headers.putIfAbsent("Connection", "close");
        boolean chunked = "chunked".equals(headers.get("Transfer-Encoding"));
        if (c.body() != null && !chunked) headers.putIfAbsent("Content-Length", Integer.toString(c.body().length));
        var head = new StringBuilder(c.method()).append(' ').append(c.target()).append(" HTTP/1.1\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("\r\n");
        var out = new ByteArrayOutputStream();
        out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
        if (c.body() != null) {
            if (chunked) {
                for (int i = 0; i < c.body().length; i += 8192) {
                    int n = Math.min(8192, c.body().length - i);
                    out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(c.body(), i, n);
                    out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            } else {
                out.writeBytes(c.body());
            }
        }
        return out.toByteArray();
    }

    static Map<String, String> headers(String authorization, String contentType) {
        var h = new LinkedHashMap<String, String>();
        if (authorization != null) h.put("Authorization", authorization);
        if (contentType != null) h.put("Content-Type", contentType);
        return h;
    }

    static String query(Map<String, String> params) {
        if (params.isEmpty()) return "";
        var sb = new StringBuilder("?");
        params.forEach((k, v) -> sb.append(sb.length() > 1 ? "&" : "").append(enc(k)).append('=').append(enc(v)));
        return sb.toString();
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static List<String> strings(JsonNode array) {
        var out = new ArrayList<String>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static List<Map.Entry<String, JsonNode>> fields(JsonNode object) {
        var out = new ArrayList<Map.Entry<String, JsonNode>>();
        object.fields().forEachRemaining(out::add);
        return out;
    }

    static String first(JsonNode properties) {
        return properties.fieldNames().next();
    }

    static String duplicateKey(JsonNode schema, String baseline) {
        var props = schema.path("properties");
        var name = props.isMissingNode() || props.isEmpty() ? "a" : first(props);
        return "{\"" + name + "\":1,\"" + name + "\":2}";
    }

    static Map<String, Object> claims(String scope, String sub, String aud, long iat, long exp) {
        var m = new LinkedHashMap<String, Object>();
        m.put("scope", scope);
        m.put("sub", sub);
        m.put("aud", aud);
        m.put("iat", iat);
        m.put("exp", exp);
        m.put("jti", "hostile-" + iat + "-" + exp);
        return m;
    }

    static Map<String, Object> claimsWith(String scope, long iat, long exp, String key, Object value) {
        var m = claims(scope, did, did, iat, exp);
        m.put(key, value);
        return m;
    }

    static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static String jwt(String alg, String typ, Map<String, Object> claims, String secret) {
        try {
            var input = b64("{\"alg\":\"" + alg + "\",\"typ\":\"" + typ + "\"}") + "." + b64(Json.WRITER.writeValueAsString(claims));
            var macName = alg.equals("HS512") ? "HmacSHA512" : "HmacSHA256";
            var mac = javax.crypto.Mac.getInstance(macName);
            mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), macName));
            return input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String unsigned(String alg, String typ, Map<String, Object> claims) {
        try {
            return b64("{\"alg\":\"" + alg + "\",\"typ\":\"" + typ + "\"}") + "." + b64(Json.WRITER.writeValueAsString(claims)) + ".";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String abbreviate(String s) {
        var clean = s.replaceAll("[\\r\\n\\p{Cntrl}]", "?");
        return clean.length() > 60 ? clean.substring(0, 57) + "...(" + clean.length() + ")" : clean;
    }
}
