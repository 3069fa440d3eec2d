package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.data.Cid;
import dev.alteran.pds.blob.BlobRef;
import dev.alteran.pds.blob.BlobReferences;
import dev.alteran.pds.wire.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** uploadBlob, getBlob, listBlobs and blob GC over HTTP against the real server. */
class BlobTest {
    private static final Random RANDOM = new Random();
    private static final long MAX = 200_000;
    static TestServer server;
    static String auth;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of("PDS_MAX_BLOB_SIZE", Long.toString(MAX), "PDS_BLOB_QUOTA_BYTES", "2000000"));
        auth = "Bearer " + login(server);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    static String login(TestServer server) throws Exception {
        return AuthClient.login(server).get("accessJwt").asText();
    }

    static byte[] png(int size) {
        var b = new byte[size];
        RANDOM.nextBytes(b);
        System.arraycopy(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}, 0, b, 0, 8);
        return b;
    }

    static HttpResponse<String> upload(HttpRequest.BodyPublisher body, String type, String... headers) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(server.url("/xrpc/com.atproto.repo.uploadBlob"))).POST(body);
        if (type != null) b.header("content-type", type);
        if (headers.length > 0) b.headers(headers);
        return server.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> upload(byte[] data, String type) throws Exception {
        return upload(HttpRequest.BodyPublishers.ofByteArray(data), type, "authorization", auth);
    }

    static BlobRef uploaded(byte[] data, String type) throws Exception {
        var resp = upload(data, type);
        assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
        var blob = TestServer.json(resp).get("blob");
        return new BlobRef(Cid.parse(blob.get("ref").get("$link").asText()), blob.get("mimeType").asText(), blob.get("size").asLong());
    }

    static void assertError(HttpResponse<String> resp, int status, String error) throws IOException {
        assertThat(resp.statusCode()).as(resp.body()).isEqualTo(status);
        assertThat(TestServer.json(resp).get("error").asText()).as(resp.body()).isEqualTo(error);
    }

    /** What the repository's write path does for a record with these blobs. */
    static void reference(String uri, BlobRef... refs) {
        server.alteran.database().write(c -> {
            BlobReferences.onRecordWritten(c, uri, List.of(refs));
            return null;
        });
    }

    static void dereference(String uri) {
        server.alteran.database().write(c -> {
            BlobReferences.onRecordDeleted(c, uri);
            return null;
        });
    }

    static String did() {
        return URLEncoder.encode(server.config.did(), StandardCharsets.UTF_8);
    }

    static String getBlobPath(Cid cid) {
        return "/xrpc/com.atproto.sync.getBlob?did=" + did() + "&cid=" + cid;
    }

    static HttpResponse<byte[]> getBlob(Cid cid, String method) throws Exception {
        var req = HttpRequest.newBuilder(URI.create(server.url(getBlobPath(cid)))).method(method, HttpRequest.BodyPublishers.noBody()).build();
        return server.http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    }

    static JsonNode listBlobs(String query) throws Exception {
        var resp = server.get("/xrpc/com.atproto.sync.listBlobs?did=" + did() + query);
        assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
        return TestServer.json(resp);
    }

    static long tempFiles() throws IOException {
        try (var files = Files.list(server.dataDir.resolve("blobs/.tmp"))) {
            return files.count();
        }
    }

    @Test
    void uploadNeedsAuthentication() throws Exception {
        var resp = upload(HttpRequest.BodyPublishers.ofByteArray(png(100)), "image/png");
        assertThat(resp.statusCode()).isEqualTo(401);
        assertThat(TestServer.json(resp).get("error").asText()).isIn("AuthMissing", "AuthenticationRequired");
        var bad = upload(HttpRequest.BodyPublishers.ofByteArray(png(100)), "image/png", "authorization", "Bearer not-a-token");
        assertThat(bad.statusCode()).isIn(400, 401);
    }

    @Test
    void uploadReturnsARawCidBlobRef() throws Exception {
        var data = png(12_345);
        var resp = upload(data, "image/png");
        assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
        var blob = TestServer.json(resp).get("blob");
        assertThat(blob.get("$type").asText()).isEqualTo("blob");
        assertThat(blob.get("ref").get("$link").asText()).isEqualTo(Cid.ofRaw(data).toString()).startsWith("bafkrei");
        assertThat(blob.get("mimeType").asText()).isEqualTo("image/png");
        assertThat(blob.get("size").asLong()).isEqualTo(12_345);
        assertThat(blob.size()).isEqualTo(4);
    }

    @Test
    void uploadRefusesWhatIsNotAnAllowedImageOrVideo() throws Exception {
        var exe = new byte[4096];
        RANDOM.nextBytes(exe);
        System.arraycopy(new byte[] {'M', 'Z'}, 0, exe, 0, 2);
        assertError(upload(exe, "image/png"), 400, "InvalidMimeType");
        assertError(upload(exe, "application/x-msdownload"), 400, "InvalidMimeType");
        assertError(upload("<html><script>alert(1)</script></html>".getBytes(), "text/html"), 400, "InvalidMimeType");
        assertError(upload(exe, null), 400, "InvalidMimeType");
        assertThat(Cid.ofRaw(exe)).satisfies(cid -> assertThat(server.alteran.blobs().find(cid)).isEmpty());
    }

    @Test
    void tooLargeIsRefusedAndLeavesNothing() throws Exception {
        var big = png((int) MAX + 1);
        assertError(upload(big, "image/png"), 400, "BlobTooLarge");
        // Without a Content-Length (chunked), the limit applies to the bytes as they arrive.
        var chunked = HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big));
        assertError(upload(chunked, "image/png", "authorization", auth), 400, "BlobTooLarge");
        assertThat(server.alteran.blobs().find(Cid.ofRaw(big))).isEmpty();
        assertThat(tempFiles()).isZero();
        // Exactly the limit is fine, streamed too.
        var exact = png((int) MAX);
        var ok = upload(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(exact)), "image/png", "authorization", auth);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    }

    @Test
    void getBlobStreamsAReferencedBlobWithSafeHeaders() throws Exception {
        var data = png(50_000);
        var ref = uploaded(data, "image/png");
        assertError(server.get(getBlobPath(ref.ref())), 400, "BlobNotFound"); // not used by a record yet
        reference("at://" + server.config.did() + "/app.bsky.feed.post/3kget", ref);

        var resp = getBlob(ref.ref(), "GET");
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(resp.body()).isEqualTo(data);
        var h = resp.headers();
        assertThat(h.firstValue("content-type")).hasValue("image/png");
        assertThat(h.firstValue("content-length")).hasValue("50000");
        assertThat(h.firstValue("x-content-type-options")).hasValue("nosniff");
        assertThat(h.firstValue("content-security-policy")).hasValue("default-src 'none'; sandbox");
        assertThat(h.firstValue("content-disposition")).hasValue("attachment; filename=\"" + ref.ref() + "\"");

        var head = getBlob(ref.ref(), "HEAD");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("content-length")).hasValue("50000");
        assertThat(head.headers().firstValue("content-type")).hasValue("image/png");
    }

    @Test
    void getBlobErrors() throws Exception {
        var unknown = Cid.ofRaw(png(10));
        assertError(server.get(getBlobPath(unknown)), 400, "BlobNotFound");
        assertError(server.get("/xrpc/com.atproto.sync.getBlob?did=did:web:elsewhere.example&cid=" + unknown), 400, "RepoNotFound");
        assertError(server.get("/xrpc/com.atproto.sync.getBlob?did=not-a-did&cid=" + unknown), 400, "InvalidRequest");
        assertError(server.get("/xrpc/com.atproto.sync.getBlob?did=" + did() + "&cid=nope"), 400, "InvalidRequest");
        assertError(server.get("/xrpc/com.atproto.sync.getBlob?did=" + did()), 400, "InvalidRequest");
    }

    @Test
    void listBlobsPagesThroughReferencedBlobs() throws Exception {
        var cids = new java.util.TreeSet<String>();
        for (int i = 0; i < 3; i++) {
            var ref = uploaded(png(1000 + i), "image/png");
            reference("at://" + server.config.did() + "/app.bsky.feed.post/3klist" + i, ref);
            cids.add(ref.ref().toString());
        }
        var unused = uploaded(png(999), "image/png");
        var all = new java.util.ArrayList<String>();
        String cursor = null;
        do {
            var page = listBlobs("&limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.get("cids").size()).isLessThanOrEqualTo(2);
            page.get("cids").forEach(n -> all.add(n.asText()));
            cursor = page.has("cursor") ? page.get("cursor").asText() : null;
        } while (cursor != null);
        assertThat(all).isSorted().doesNotHaveDuplicates().containsAll(cids).doesNotContain(unused.ref().toString());
        assertError(server.get("/xrpc/com.atproto.sync.listBlobs?did=" + did() + "&limit=0"), 400, "InvalidRequest");
        assertError(server.get("/xrpc/com.atproto.sync.listBlobs?did=" + did() + "&limit=1001"), 400, "InvalidRequest");
        assertError(server.get("/xrpc/com.atproto.sync.listBlobs?did=did:web:elsewhere.example"), 400, "RepoNotFound");
    }

    @Test
    void gcFromTheCommandLineRemovesReleasedBlobs() throws Exception {
        var data = png(3000);
        var ref = uploaded(data, "image/png");
        var uri = "at://" + server.config.did() + "/app.bsky.feed.post/3kgc";
        reference(uri, ref);
        assertThat(cli("blobs", "gc", "--data", server.dataDir.toString(), "--grace", "0")).isZero();
        assertThat(getBlob(ref.ref(), "GET").statusCode()).isEqualTo(200);

        dereference(uri);
        assertThat(cli("blobs", "gc", "--data", server.dataDir.toString())).isZero(); // default grace keeps it
        assertThat(server.alteran.blobs().find(ref.ref())).isPresent();
        assertThat(cli("blobs", "gc", "--data", server.dataDir.toString(), "--grace", "0")).isZero();
        assertThat(server.alteran.blobs().find(ref.ref())).isEmpty();
        var key = ref.ref().toString();
        assertThat(Path.of(server.dataDir.toString(), "blobs", key.substring(key.length() - 2), key)).doesNotExist();
        assertError(server.get(getBlobPath(ref.ref())), 400, "BlobNotFound");
    }

    static HttpResponse<String> createPost(JsonNode image) throws Exception {
        var record = Json.object().put("$type", "app.bsky.feed.post").put("text", "a picture")
                .put("createdAt", "2025-01-01T00:00:00.000Z");
        var embed = record.putObject("embed").put("$type", "app.bsky.embed.images");
        embed.putArray("images").addObject().put("alt", "").set("image", image);
        var body = Json.object().put("repo", server.config.did()).put("collection", "app.bsky.feed.post");
        body.set("record", record);
        return server.post("/xrpc/com.atproto.repo.createRecord", body.toString(), "authorization", auth);
    }

    @Test
    void aPostUsesItsImageUntilItIsDeleted() throws Exception {
        var data = png(8_000);
        var upload = upload(data, "image/png");
        var image = TestServer.json(upload).get("blob");
        var ref = Cid.parse(image.get("ref").get("$link").asText());

        // The repository refuses references to blobs it does not hold, or that misstate them.
        var missing = image.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) missing.get("ref")).put("$link", Cid.ofRaw(png(10)).toString());
        assertError(createPost(missing), 400, "BlobNotFound");
        var wrongType = ((com.fasterxml.jackson.databind.node.ObjectNode) image.deepCopy()).put("mimeType", "image/jpeg");
        assertError(createPost(wrongType), 400, "InvalidMimeType");
        var wrongSize = ((com.fasterxml.jackson.databind.node.ObjectNode) image.deepCopy()).put("size", 7_999);
        assertError(createPost(wrongSize), 400, "InvalidSize");
        assertThat(getBlob(ref, "GET").statusCode()).isEqualTo(400);

        var created = createPost(image);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        var uri = TestServer.json(created).get("uri").asText();
        var got = getBlob(ref, "GET");
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(got.body()).isEqualTo(data);
        assertThat(listBlobs("&limit=1000").get("cids").toString()).contains(ref.toString());

        var delete = server.post("/xrpc/com.atproto.repo.deleteRecord", Json.object()
                .put("repo", server.config.did()).put("collection", "app.bsky.feed.post").put("rkey", uri.substring(uri.lastIndexOf('/') + 1)).toString(),
                "authorization", auth);
        assertThat(delete.statusCode()).as(delete.body()).isEqualTo(200);
        assertError(server.get(getBlobPath(ref)), 400, "BlobNotFound");
        assertThat(listBlobs("&limit=1000").get("cids").toString()).doesNotContain(ref.toString());
        assertThat(server.alteran.blobs().find(ref)).isPresent(); // kept for the grace period
        assertThat(server.alteran.blobCollector().collectGarbage(java.time.Duration.ZERO).deletedBlobs()).isGreaterThanOrEqualTo(1);
        assertThat(server.alteran.blobs().find(ref)).isEmpty();
        assertThat(server.alteran.blobStore().exists(ref.toString())).isFalse();
    }

    @Test
    void listBlobsSinceARevisionNamesBlobsOfLaterRecords() throws Exception {
        var first = createPost(TestServer.json(upload(png(900), "image/png")).get("blob"));
        var rev = TestServer.json(first).get("commit").get("rev").asText();
        var laterImage = TestServer.json(upload(png(901), "image/png")).get("blob");
        assertThat(createPost(laterImage).statusCode()).isEqualTo(200);
        var since = listBlobs("&since=" + rev).get("cids");
        assertThat(since).hasSize(1);
        assertThat(since.get(0).asText()).isEqualTo(laterImage.get("ref").get("$link").asText());
    }

    static int cli(String... args) {
        return AlteranServer.commandLine().execute(args);
    }

    @Test
    void theQuotaIsEnforcedOnUpload() throws Exception {
        try (var small = TestServer.start(Map.of("PDS_BLOB_QUOTA_BYTES", "5000"))) {
            var token = "Bearer " + login(small);
            var send = (java.util.function.Function<byte[], HttpResponse<String>>) data -> {
                try {
                    var req = HttpRequest.newBuilder(URI.create(small.url("/xrpc/com.atproto.repo.uploadBlob")))
                            .header("content-type", "image/png").header("authorization", token)
                            .POST(HttpRequest.BodyPublishers.ofByteArray(data)).build();
                    return small.http.send(req, HttpResponse.BodyHandlers.ofString());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            };
            assertThat(send.apply(png(3000)).statusCode()).isEqualTo(200);
            var over = send.apply(png(3000));
            assertError(over, 400, "BlobQuotaExceeded");
            assertThat(TestServer.json(over).get("message").asText()).contains("quota");
            assertThat(send.apply(png(2000)).statusCode()).isEqualTo(200);
        }
    }
}
