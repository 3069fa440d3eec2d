package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.syntax.Tid;
import dev.alteran.pds.wire.Json;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** com.atproto.repo.* over HTTP: every endpoint, its errors, and that refused writes change nothing. */
class RepoTest {
    static final String POST = "app.bsky.feed.post";
    static TestServer server;
    static String did;
    static String access;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        did = server.config.did();
        access = AuthClient.login(server).get("accessJwt").asText();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    // ---- helpers ----

    static HttpResponse<String> call(String nsid, String body) throws Exception {
        return server.post("/xrpc/" + nsid, body, "Authorization", "Bearer " + access);
    }

    static HttpResponse<String> call(String nsid, JsonNode body) throws Exception {
        return call(nsid, body.toString());
    }

    static HttpResponse<String> query(String nsid, Map<String, String> params) throws Exception {
        var q = new StringBuilder();
        params.forEach((k, v) -> q.append(q.isEmpty() ? "?" : "&").append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return server.get("/xrpc/" + nsid + q);
    }

    static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return TestServer.json(r);
    }

    static void error(HttpResponse<String> r, int status, String error) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(TestServer.json(r).get("error").asText()).isEqualTo(error);
    }

    static ObjectNode obj() {
        return Json.object();
    }

    static ObjectNode post(String text) {
        return obj().put("$type", POST).put("text", text).put("createdAt", "2024-01-01T00:00:00.000Z");
    }

    static ObjectNode create(String collection, JsonNode record) {
        var b = obj().put("repo", did).put("collection", collection);
        b.set("record", record);
        return b;
    }

    static JsonNode createPost(String text) throws Exception {
        return ok(call("com.atproto.repo.createRecord", create(POST, post(text))));
    }

    static String rkeyOf(String uri) {
        return uri.substring(uri.lastIndexOf('/') + 1);
    }

    static JsonNode getRecord(String collection, String rkey) throws Exception {
        return ok(query("com.atproto.repo.getRecord", Map.of("repo", did, "collection", collection, "rkey", rkey)));
    }

    record State(Cid head, long seq, long records) {}

    static State state() {
        var a = server.alteran;
        return new State(a.repo().head().cid(), a.sequence().lastSeq(), a.repo().records().count());
    }

    interface Call {
        HttpResponse<String> run() throws Exception;
    }

    /** Runs a refused write and checks it changed neither the head, nor the event log, nor the records. */
    static void refused(Call c, int status, String error) throws Exception {
        var before = state();
        error(c.run(), status, error);
        assertThat(state()).isEqualTo(before);
    }

    // ---- auth ----

    @Test
    void writesNeedASession() throws Exception {
        for (var nsid : new String[] {"createRecord", "putRecord", "deleteRecord", "applyWrites"}) {
            refused(() -> server.post("/xrpc/com.atproto.repo." + nsid, create(POST, post("x")).toString()), 401, "AuthMissing");
            refused(() -> server.post("/xrpc/com.atproto.repo." + nsid, "{}", "Authorization", "Bearer not-a-token"), 400, "InvalidToken");
        }
    }

    @Test
    void writesWithAnAppPasswordSession() throws Exception {
        var created = ok(server.post("/xrpc/com.atproto.server.createAppPassword", "{\"name\":\"repo-test\"}", "Authorization", "Bearer " + access));
        var appAccess = AuthClient.login(server, created.get("password").asText()).get("accessJwt").asText();
        var r = server.post("/xrpc/com.atproto.repo.createRecord", create(POST, post("from an app")).toString(), "Authorization", "Bearer " + appAccess);
        assertThat(ok(r).get("uri").asText()).startsWith("at://" + did + "/" + POST + "/");
    }

    // ---- createRecord ----

    @Test
    void createRecordAnswersLikeTheReferenceAndTheRecordReadsBack() throws Exception {
        var before = state();
        var out = createPost("hello world");
        assertThat(out.fieldNames()).toIterable().containsExactlyInAnyOrder("uri", "cid", "commit", "validationStatus");
        var uri = out.get("uri").asText();
        assertThat(uri).startsWith("at://" + did + "/" + POST + "/");
        assertThat(Tid.isValid(rkeyOf(uri))).isTrue();
        assertThat(out.get("validationStatus").asText()).isEqualTo("valid");
        var head = server.alteran.repo().head();
        assertThat(out.at("/commit/cid").asText()).isEqualTo(head.cid().toString());
        assertThat(out.at("/commit/rev").asText()).isEqualTo(head.rev());
        assertThat(server.alteran.sequence().lastSeq()).isEqualTo(before.seq() + 1);

        var got = getRecord(POST, rkeyOf(uri));
        assertThat(got.get("uri").asText()).isEqualTo(uri);
        assertThat(got.get("cid").asText()).isEqualTo(out.get("cid").asText());
        assertThat(got.get("value")).isEqualTo(post("hello world"));
    }

    @Test
    void createRecordByHandleWithRkeyAndMissingType() throws Exception {
        var rkey = Tid.of(1_700_000_000_000_000L, 1).toString();
        var body = obj().put("repo", TestServer.HANDLE.toUpperCase()).put("collection", POST).put("rkey", rkey);
        body.set("record", post("typeless").without("$type"));
        var out = ok(call("com.atproto.repo.createRecord", body));
        assertThat(out.get("uri").asText()).isEqualTo("at://" + did + "/" + POST + "/" + rkey);
        assertThat(getRecord(POST, rkey).at("/value/$type").asText()).isEqualTo(POST);
        // the same key again
        refused(() -> call("com.atproto.repo.createRecord", body), 400, "InvalidRequest");
    }

    @Test
    void validateFlag() throws Exception {
        var thing = obj().put("$type", "com.example.thing").put("n", 1);
        var unset = ok(call("com.atproto.repo.createRecord", create("com.example.thing", thing)));
        assertThat(unset.get("validationStatus").asText()).isEqualTo("unknown");
        var skipped = ok(call("com.atproto.repo.createRecord", create("com.example.thing", thing).put("validate", false)));
        assertThat(skipped.has("validationStatus")).isFalse();
        refused(() -> call("com.atproto.repo.createRecord", create("com.example.thing", thing).put("validate", true)), 400, "InvalidRequest");
        var required = ok(call("com.atproto.repo.createRecord", create(POST, post("strict")).put("validate", true)));
        assertThat(required.get("validationStatus").asText()).isEqualTo("valid");

        var badPost = obj().put("$type", POST).put("text", 42);
        refused(() -> call("com.atproto.repo.createRecord", create(POST, badPost)), 400, "InvalidRequest");
        refused(() -> call("com.atproto.repo.createRecord", create(POST, badPost).put("validate", true)), 400, "InvalidRequest");
        var unchecked = ok(call("com.atproto.repo.createRecord", create(POST, badPost).put("validate", false)));
        assertThat(unchecked.has("validationStatus")).isFalse();
        // a profile must live at "self"
        refused(() -> call("com.atproto.repo.createRecord", create("app.bsky.actor.profile", obj())), 400, "InvalidRequest");
    }

    @Test
    void recordTypeMustBeTheCollection() throws Exception {
        refused(() -> call("com.atproto.repo.createRecord", create(POST, obj().put("$type", "app.bsky.feed.like"))), 400, "InvalidRequest");
        refused(() -> call("com.atproto.repo.createRecord", create(POST, obj().put("$type", 3))), 400, "InvalidRequest");
    }

    @Test
    void swapCommitOnCreate() throws Exception {
        var head = server.alteran.repo().head().cid().toString();
        var stale = Cid.ofDagCbor(new byte[] {(byte) 0xa0}).toString();
        refused(() -> call("com.atproto.repo.createRecord", create(POST, post("x")).put("swapCommit", stale)), 400, "InvalidSwap");
        var out = ok(call("com.atproto.repo.createRecord", create(POST, post("x")).put("swapCommit", head)));
        assertThat(out.at("/commit/cid").asText()).isNotEqualTo(head);
    }

    @Test
    void aSecondFollowOfTheSameSubjectReplacesTheFirst() throws Exception {
        var follow = obj().put("$type", "app.bsky.graph.follow").put("subject", "did:plc:ewvi7nxzyoun6zhxrhs64oiz")
                .put("createdAt", "2024-01-01T00:00:00.000Z");
        var first = ok(call("com.atproto.repo.createRecord", create("app.bsky.graph.follow", follow)));
        var second = ok(call("com.atproto.repo.createRecord", create("app.bsky.graph.follow", follow)));
        error(query("com.atproto.repo.getRecord", Map.of("repo", did, "collection", "app.bsky.graph.follow",
                "rkey", rkeyOf(first.get("uri").asText()))), 400, "RecordNotFound");
        getRecord("app.bsky.graph.follow", rkeyOf(second.get("uri").asText()));
    }

    // ---- putRecord ----

    @Test
    void putRecordCreatesUpdatesAndSkipsNoOps() throws Exception {
        var rkey = "3kputputputp2";
        var body = create(POST, post("v1")).put("rkey", rkey);
        var created = ok(call("com.atproto.repo.putRecord", body));
        assertThat(created.get("uri").asText()).isEqualTo("at://" + did + "/" + POST + "/" + rkey);
        assertThat(created.has("commit")).isTrue();
        assertThat(created.get("validationStatus").asText()).isEqualTo("valid");

        var before = state();
        var same = ok(call("com.atproto.repo.putRecord", body));
        assertThat(same.get("cid")).isEqualTo(created.get("cid"));
        assertThat(same.has("commit")).as("no-op put makes no commit").isFalse();
        assertThat(state()).isEqualTo(before);

        var v1 = created.get("cid").asText();
        var v2body = create(POST, post("v2")).put("rkey", rkey);
        refused(() -> call("com.atproto.repo.putRecord", v2body.deepCopy().put("swapRecord", Cid.ofDagCbor(new byte[] {(byte) 0xa0}).toString())), 400, "InvalidSwap");
        refused(() -> call("com.atproto.repo.putRecord", v2body.deepCopy().putNull("swapRecord")), 400, "InvalidSwap");
        var updated = ok(call("com.atproto.repo.putRecord", v2body.deepCopy().put("swapRecord", v1)));
        assertThat(getRecord(POST, rkey).at("/value/text").asText()).isEqualTo("v2");
        assertThat(updated.get("cid").asText()).isNotEqualTo(v1);

        // swapRecord null: create only if absent
        var fresh = create(POST, post("new")).put("rkey", "3kputputputp3").putNull("swapRecord");
        ok(call("com.atproto.repo.putRecord", fresh));
        refused(() -> call("com.atproto.repo.putRecord", fresh.deepCopy().set("record", post("newer"))), 400, "InvalidSwap");
    }

    @Test
    void putRecordNeedsAnRkey() throws Exception {
        refused(() -> call("com.atproto.repo.putRecord", create(POST, post("x"))), 400, "InvalidRequest");
    }

    // ---- deleteRecord ----

    @Test
    void deleteRecordAndItsNoOp() throws Exception {
        var out = createPost("doomed");
        var rkey = rkeyOf(out.get("uri").asText());
        var del = obj().put("repo", did).put("collection", POST).put("rkey", rkey);
        refused(() -> call("com.atproto.repo.deleteRecord", del.deepCopy().put("swapRecord", Cid.ofDagCbor(new byte[] {(byte) 0xa0}).toString())), 400, "InvalidSwap");
        var deleted = ok(call("com.atproto.repo.deleteRecord", del.deepCopy().put("swapRecord", out.get("cid").asText())));
        assertThat(deleted.at("/commit/rev").asText()).isEqualTo(server.alteran.repo().head().rev());
        error(query("com.atproto.repo.getRecord", Map.of("repo", did, "collection", POST, "rkey", rkey)), 400, "RecordNotFound");
        var before = state();
        var again = ok(call("com.atproto.repo.deleteRecord", del));
        assertThat(again.size()).as("nothing to delete: no commit").isZero();
        assertThat(state()).isEqualTo(before);
    }

    // ---- applyWrites ----

    @Test
    void applyWritesDoesAllInOneCommitWithResults() throws Exception {
        var a = createPost("a");
        var b = createPost("b");
        var before = state();
        var writes = Json.array();
        var c = writes.addObject().put("$type", "com.atproto.repo.applyWrites#create").put("collection", POST).put("rkey", "3kapplyapply2");
        c.set("value", post("c"));
        var u = writes.addObject().put("$type", "com.atproto.repo.applyWrites#update").put("collection", POST)
                .put("rkey", rkeyOf(a.get("uri").asText()));
        u.set("value", post("a2"));
        writes.addObject().put("$type", "com.atproto.repo.applyWrites#delete").put("collection", POST).put("rkey", rkeyOf(b.get("uri").asText()));
        var g = writes.addObject().put("$type", "com.atproto.repo.applyWrites#create").put("collection", "com.example.thing");
        g.set("value", obj().put("n", 1));
        var body = obj().put("repo", did);
        body.set("writes", writes);
        var out = ok(call("com.atproto.repo.applyWrites", body));
        assertThat(server.alteran.sequence().lastSeq()).isEqualTo(before.seq() + 1);
        assertThat(out.at("/commit/cid").asText()).isEqualTo(server.alteran.repo().head().cid().toString());
        var results = out.get("results");
        assertThat(results).hasSize(4);
        assertThat(results.get(0).get("$type").asText()).isEqualTo("com.atproto.repo.applyWrites#createResult");
        assertThat(results.get(0).get("uri").asText()).isEqualTo("at://" + did + "/" + POST + "/3kapplyapply2");
        assertThat(results.get(0).get("validationStatus").asText()).isEqualTo("valid");
        assertThat(results.get(1).get("$type").asText()).isEqualTo("com.atproto.repo.applyWrites#updateResult");
        assertThat(results.get(2)).isEqualTo(obj().put("$type", "com.atproto.repo.applyWrites#deleteResult"));
        assertThat(results.get(3).get("validationStatus").asText()).isEqualTo("unknown");
        assertThat(Tid.isValid(rkeyOf(results.get(3).get("uri").asText()))).isTrue();
        assertThat(getRecord(POST, rkeyOf(a.get("uri").asText())).at("/value/text").asText()).isEqualTo("a2");
        assertThat(state().records()).isEqualTo(before.records() + 1);
    }

    @Test
    void applyWritesRefusals() throws Exception {
        var existing = createPost("keep");
        var stale = Cid.ofDagCbor(new byte[] {(byte) 0xa0}).toString();
        var okCreate = obj().put("$type", "com.atproto.repo.applyWrites#create").put("collection", POST);
        okCreate.set("value", post("x"));
        var missingDelete = obj().put("$type", "com.atproto.repo.applyWrites#delete").put("collection", POST).put("rkey", "3knotherenoth");
        // a later write fails: the earlier one is not applied either
        refused(() -> call("com.atproto.repo.applyWrites", writes(okCreate, missingDelete)), 400, "InvalidRequest");
        refused(() -> call("com.atproto.repo.applyWrites", writes(okCreate).put("swapCommit", stale)), 400, "InvalidSwap");
        refused(() -> call("com.atproto.repo.applyWrites", writes(obj().put("$type", "com.atproto.repo.applyWrites#upsert").put("collection", POST))), 400, "InvalidRequest");
        refused(() -> call("com.atproto.repo.applyWrites", writes(obj().put("collection", POST))), 400, "InvalidRequest");
        refused(() -> call("com.atproto.repo.applyWrites", writes(Json.NODES.textNode("create"))), 400, "InvalidRequest");
        refused(() -> call("com.atproto.repo.applyWrites", writes(obj().put("$type", "com.atproto.repo.applyWrites#update").put("collection", POST)
                .put("rkey", rkeyOf(existing.get("uri").asText())))), 400, "InvalidRequest"); // update without value
        refused(() -> call("com.atproto.repo.applyWrites", obj().put("repo", did).put("writes", "all")), 400, "InvalidRequest");
        var many = new JsonNode[201];
        for (int i = 0; i < many.length; i++) {
            many[i] = obj().put("$type", "com.atproto.repo.applyWrites#delete").put("collection", POST).put("rkey", "k" + i);
        }
        var tooMany = call("com.atproto.repo.applyWrites", writes(many));
        error(tooMany, 400, "InvalidRequest");
        assertThat(TestServer.json(tooMany).get("message").asText()).isEqualTo("Too many writes. Max: 200");
    }

    static ObjectNode writes(JsonNode... ws) {
        var body = obj().put("repo", did);
        var arr = body.putArray("writes");
        for (var w : ws) arr.add(w);
        return body;
    }

    // ---- hostile input ----

    @Test
    void hostileBodiesAreRefusedAndWriteNothing() throws Exception {
        refused(() -> call("com.atproto.repo.createRecord", "{\"repo\":"), 400, "InvalidRequest");
        refused(() -> call("com.atproto.repo.createRecord", "[1,2]"), 400, "InvalidRequest");
        refused(() -> call("com.atproto.repo.createRecord", create(POST, post("x")).put("collection", 5)), 400, "InvalidRequest");
        refused(() -> call("com.atproto.repo.createRecord", create(POST, post("x")).put("validate", "yes")), 400, "InvalidRequest");
        refused(() -> call("com.atproto.repo.createRecord", create(POST, post("x")).put("swapCommit", "not-a-cid")), 400, "InvalidRequest");
        refused(() -> call("com.atproto.repo.createRecord", create(POST, Json.array())), 400, "InvalidRequest");
        refused(() -> call("com.atproto.repo.createRecord", create(POST, post("x")).without("record")), 400, "InvalidRequest");
        refused(() -> call("com.atproto.repo.createRecord", create(POST, post("x")).without("repo")), 400, "InvalidRequest");
        for (var nsid : new String[] {"not an nsid", "com.example", "com..example.x", "a/b.c.d", ""}) {
            refused(() -> call("com.atproto.repo.createRecord", create(nsid, post("x"))), 400, "InvalidRequest");
        }
        for (var rkey : new String[] {".", "..", "a/b", "../etc", "a b", "", "x".repeat(513), "a%2Fb"}) {
            refused(() -> call("com.atproto.repo.createRecord", create(POST, post("x")).put("rkey", rkey)), 400, "InvalidRequest");
            refused(() -> call("com.atproto.repo.putRecord", create(POST, post("x")).put("rkey", rkey)), 400, "InvalidRequest");
            refused(() -> call("com.atproto.repo.deleteRecord", obj().put("repo", did).put("collection", POST).put("rkey", rkey)), 400, "InvalidRequest");
        }
        refused(() -> call("com.atproto.repo.createRecord", create(POST, obj().put("$type", POST).put("n", 1.5)).put("validate", false)), 400, "InvalidRequest");
        refused(() -> call("com.atproto.repo.createRecord", create(POST, post("x")).put("repo", "not a repo!")), 400, "InvalidRequest");
        // someone else's repo, by DID or handle
        refused(() -> call("com.atproto.repo.createRecord", create(POST, post("x")).put("repo", "did:plc:ewvi7nxzyoun6zhxrhs64oiz")), 403, "AccountNotFound");
        refused(() -> call("com.atproto.repo.deleteRecord", obj().put("repo", "bob.test").put("collection", POST).put("rkey", "x")), 403, "AccountNotFound");
        // not JSON at all
        refused(() -> server.http.send(HttpRequest.newBuilder(URI.create(server.url("/xrpc/com.atproto.repo.createRecord")))
                .header("content-type", "text/plain").header("Authorization", "Bearer " + access)
                .POST(HttpRequest.BodyPublishers.ofString(create(POST, post("x")).toString())).build(),
                HttpResponse.BodyHandlers.ofString()), 400, "InvalidRequest");
        // over PDS_MAX_JSON_BYTES (64 KiB by default)
        var huge = create(POST, post("x".repeat((int) server.config.maxJsonBytes())));
        // Refused on its declared length without reading it: the answer races the client's last bytes,
        // so the client sees the 413 or a reset connection. Either way nothing is written.
        var before = state();
        try {
            error(call("com.atproto.repo.createRecord", huge), 413, "PayloadTooLarge");
        } catch (java.io.IOException reset) {
            // the race described above
        }
        assertThat(state()).isEqualTo(before);
        // and the same without a Content-Length: the stream is counted
        refused(() -> server.http.send(HttpRequest.newBuilder(URI.create(server.url("/xrpc/com.atproto.repo.createRecord")))
                .header("content-type", "application/json").header("Authorization", "Bearer " + access)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(huge.toString().getBytes(StandardCharsets.UTF_8))))
                .build(), HttpResponse.BodyHandlers.ofString()), 413, "PayloadTooLarge");
    }

    @Test
    void recordsOverOneMebibyteAreRefusedEvenWhenTheBodyLimitAllowsThem() throws Exception {
        try (var big = TestServer.start(Map.of("PDS_MAX_JSON_BYTES", Integer.toString(3 << 20)))) {
            var token = AuthClient.login(big).get("accessJwt").asText();
            var head = big.alteran.repo().head().cid();
            var body = obj().put("repo", big.config.did()).put("collection", "com.example.blob").put("validate", false);
            body.set("record", obj().put("data", "x".repeat((1 << 20) + 10)));
            var r = big.post("/xrpc/com.atproto.repo.createRecord", body.toString(), "Authorization", "Bearer " + token);
            error(r, 400, "InvalidRequest");
            assertThat(TestServer.json(r).get("message").asText()).contains("too large");
            assertThat(big.alteran.repo().head().cid()).isEqualTo(head);
            body.set("record", obj().put("data", "x".repeat(900_000)));
            ok(big.post("/xrpc/com.atproto.repo.createRecord", body.toString(), "Authorization", "Bearer " + token));
        }
    }

    // ---- reads ----

    @Test
    void getRecordErrors() throws Exception {
        var out = createPost("findable");
        var rkey = rkeyOf(out.get("uri").asText());
        error(query("com.atproto.repo.getRecord", Map.of("repo", did, "collection", POST, "rkey", "3kzzzzzzzzzz2")), 400, "RecordNotFound");
        error(query("com.atproto.repo.getRecord", Map.of("repo", did, "collection", POST, "rkey", rkey,
                "cid", Cid.ofDagCbor(new byte[] {(byte) 0xa0}).toString())), 400, "RecordNotFound");
        ok(query("com.atproto.repo.getRecord", Map.of("repo", TestServer.HANDLE, "collection", POST, "rkey", rkey, "cid", out.get("cid").asText())));
        error(query("com.atproto.repo.getRecord", Map.of("repo", "did:plc:ewvi7nxzyoun6zhxrhs64oiz", "collection", POST, "rkey", rkey)), 400, "InvalidRequest");
        error(query("com.atproto.repo.getRecord", Map.of("repo", did, "collection", "nope", "rkey", rkey)), 400, "InvalidRequest");
        error(query("com.atproto.repo.getRecord", Map.of("repo", did, "collection", POST, "rkey", "..")), 400, "InvalidRequest");
        error(query("com.atproto.repo.getRecord", Map.of("repo", did, "collection", POST, "rkey", rkey, "cid", "zzz")), 400, "InvalidRequest");
        error(query("com.atproto.repo.getRecord", Map.of("repo", did, "collection", POST)), 400, "InvalidRequest");
        error(server.post("/xrpc/com.atproto.repo.getRecord", "{}"), 400, "InvalidRequest");
    }

    @Test
    void recordValuesComeBackInDataModelJson() throws Exception {
        var link = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm";
        var record = obj().put("$type", "com.example.data");
        record.putObject("link").put("$link", link);
        record.putObject("bytes").put("$bytes", "AAEC/w");
        record.putArray("list").add(1).add(-9007199254740991L).add("s").addNull().add(true);
        var out = ok(call("com.atproto.repo.createRecord", create("com.example.data", record)));
        var got = getRecord("com.example.data", rkeyOf(out.get("uri").asText()));
        assertThat(got.get("value")).isEqualTo(record);
    }

    @Test
    void listRecordsPagesByRkey() throws Exception {
        var coll = "com.example.listed";
        for (var k : new String[] {"a", "b", "c", "d", "e"}) {
            ok(call("com.atproto.repo.createRecord", create(coll, obj().put("k", k)).put("rkey", k)));
        }
        var first = ok(query("com.atproto.repo.listRecords", Map.of("repo", did, "collection", coll, "limit", "2")));
        assertThat(first.get("records")).extracting(r -> rkeyOf(r.get("uri").asText())).containsExactly("e", "d");
        assertThat(first.get("cursor").asText()).isEqualTo("d");
        assertThat(first.at("/records/0/value/k").asText()).isEqualTo("e");
        assertThat(first.at("/records/0/cid").asText()).isNotEmpty();
        var next = ok(query("com.atproto.repo.listRecords", Map.of("repo", did, "collection", coll, "limit", "2", "cursor", "d")));
        assertThat(next.get("records")).extracting(r -> rkeyOf(r.get("uri").asText())).containsExactly("c", "b");
        var reverse = ok(query("com.atproto.repo.listRecords", Map.of("repo", TestServer.HANDLE, "collection", coll, "reverse", "true", "cursor", "b")));
        assertThat(reverse.get("records")).extracting(r -> rkeyOf(r.get("uri").asText())).containsExactly("c", "d", "e");
        var all = ok(query("com.atproto.repo.listRecords", Map.of("repo", did, "collection", coll)));
        assertThat(all.get("records")).hasSize(5);
        var none = ok(query("com.atproto.repo.listRecords", Map.of("repo", did, "collection", "com.example.empty")));
        assertThat(none.get("records")).isEmpty();
        assertThat(none.has("cursor")).isFalse();
        for (var limit : new String[] {"0", "101", "-1", "x"}) {
            error(query("com.atproto.repo.listRecords", Map.of("repo", did, "collection", coll, "limit", limit)), 400, "InvalidRequest");
        }
        error(query("com.atproto.repo.listRecords", Map.of("repo", did, "collection", coll, "reverse", "maybe")), 400, "InvalidRequest");
        error(query("com.atproto.repo.listRecords", Map.of("repo", "other.test", "collection", coll)), 400, "InvalidRequest");
        error(query("com.atproto.repo.listRecords", Map.of("repo", did, "collection", "no")), 400, "InvalidRequest");
    }

    @Test
    void describeRepo() throws Exception {
        createPost("so there is a collection");
        var out = ok(query("com.atproto.repo.describeRepo", Map.of("repo", TestServer.HANDLE)));
        assertThat(out.get("handle").asText()).isEqualTo(TestServer.HANDLE);
        assertThat(out.get("did").asText()).isEqualTo(did);
        assertThat(out.at("/didDoc/id").asText()).isEqualTo(did);
        assertThat(out.at("/didDoc/alsoKnownAs/0").asText()).isEqualTo("at://" + TestServer.HANDLE);
        assertThat(out.get("handleIsCorrect").asBoolean()).isTrue();
        assertThat(out.get("collections")).extracting(JsonNode::asText).contains(POST).isSorted();
        assertThat(ok(query("com.atproto.repo.describeRepo", Map.of("repo", did))).get("did").asText()).isEqualTo(did);
        error(query("com.atproto.repo.describeRepo", Map.of("repo", "did:plc:ewvi7nxzyoun6zhxrhs64oiz")), 400, "RepoNotFound");
        error(query("com.atproto.repo.describeRepo", Map.of("repo", "!!")), 400, "InvalidRequest");
        error(query("com.atproto.repo.describeRepo", Map.of()), 400, "InvalidRequest");
    }
}
