package dev.alteran.server;

import static dev.alteran.server.Ops.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.pds.blob.BlobStore;
import dev.alteran.pds.wire.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk that fills up under a write burst. The data directory is a small tmpfs the test mounts
 * (these machines run tests as root); where mounting is refused, the test says so and falls back to
 * a blob store that fails as a full disk does, which covers the blob path and the error mapping but
 * not SQLite's own.
 */
class FullDiskTest {
    /** Small enough to fill in seconds, large enough for a fresh database and a few commits. */
    static final String SIZE = "6m";
    static final int FILLER_BYTES = 1536 * 1024;

    @TempDir
    Path tmp;

    @Test
    void writesFailWith507WhileTheDiskIsFullAndSucceedAgainOnceThereIsRoom() throws Exception {
        var disk = tmp.resolve("disk");
        Files.createDirectories(disk);
        // -Dalteran.fulldisk.fallback=true runs the fallback where a mount would work (to check it still does).
        boolean mounted = !Boolean.getBoolean("alteran.fulldisk.fallback") && mount(disk);
        if (!mounted) System.out.println("FullDiskTest: cannot mount a tmpfs here; falling back to a blob store that fails as a full disk does");
        var faults = new FullBlobStore[1];
        Consumer<dev.alteran.pds.Alteran.Builder> options = mounted ? b -> { } : b -> b.blobStoreWrapper(inner -> faults[0] = new FullBlobStore(inner));
        try {
            var data = disk.resolve("data");
            // Room to free later: the owner deletes this once the disk is full.
            var filler = disk.resolve("filler");
            Files.write(filler, new byte[FILLER_BYTES]);
            var overrides = new HashMap<String, String>();
            overrides.put("PDS_DATA_DIR", data.toString());
            overrides.put("PDS_MAX_BLOB_SIZE", Integer.toString(1 << 20));
            try (var server = TestServer.start(overrides, options)) {
                String jwt = AuthClient.login(server).get("accessJwt").asText();
                assertThat(health(server).path("checks").path("storage").asText()).isEqualTo("ok");

                // The burst: blobs with posts that use them, until the disk refuses both.
                var random = new Random(42);
                var acked = new ArrayList<String>();
                var statuses = new TreeMap<Integer, Integer>();
                JsonNode refusal = null;
                boolean blobRefused = false, recordRefused = false;
                for (int i = 0; i < 2_000 && !(blobRefused && recordRefused); i++) {
                    if (!mounted && i == 20) faults[0].full = true;
                    HttpResponse<String> r;
                    if (!blobRefused) {
                        var png = Ops.png(random, 150_000 + random.nextInt(100_000));
                        r = uploadBlob(server, jwt, png);
                        statuses.merge(r.statusCode(), 1, Integer::sum);
                        if (r.statusCode() == 200) {
                            var post = post(server, "with a picture " + i, TestServer.json(r).get("blob"));
                            r = createRecord(server, jwt, post);
                            statuses.merge(r.statusCode(), 1, Integer::sum);
                            if (r.statusCode() == 200) acked.add(TestServer.json(r).get("uri").asText());
                        } else {
                            blobRefused = true;
                        }
                    } else {
                        // Text alone until the database runs out of room too (or, without a mount, a few more that still fit).
                        r = createRecord(server, jwt, post(server, "x".repeat(4_000) + i, null));
                        statuses.merge(r.statusCode(), 1, Integer::sum);
                        if (r.statusCode() == 200) acked.add(TestServer.json(r).get("uri").asText());
                        else recordRefused = true;
                        if (!mounted && acked.size() >= 25) recordRefused = true;
                    }
                    if (r.statusCode() != 200) {
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(507);
                        refusal = TestServer.json(r);
                    }
                }
                System.out.println("FullDiskTest (" + (mounted ? "tmpfs " + SIZE : "fault-injecting blob store") + "): statuses " + statuses
                        + ", " + acked.size() + " writes acknowledged");
                assertThat(blobRefused).as("the disk filled up").isTrue();
                assertThat(recordRefused).as("the database ran out of room too").isTrue();
                assertThat(statuses.keySet()).containsOnly(200, 507);
                assertThat(refusal.get("error").asText()).isEqualTo("InsufficientStorage");
                assertThat(refusal.get("message").asText()).contains("storage is full");
                assertThat(acked).isNotEmpty();

                // /health says what is wrong while it lasts.
                var unhealthy = server.get("/health");
                assertThat(unhealthy.statusCode()).isEqualTo(503);
                // (The fallback's data directory has room for the probe: there the failing blob store reports itself.)
                assertThat(TestServer.json(unhealthy).path("checks").path("storage").asText()).isEqualTo(mounted ? "full" : "error");

                // Nothing half-done: the repository verifies, every blob row has its bytes, every acknowledged write is there.
                assertVerifies(server);
                assertEveryBlobRowHasItsBytes(server);
                for (var uri : acked) assertThat(getRecord(server, uri).statusCode()).as(uri).isEqualTo(200);

                // The owner frees space; no restart.
                Files.delete(filler);
                if (!mounted) faults[0].full = false;
                var healthy = server.get("/health");
                assertThat(healthy.statusCode()).as(healthy.body()).isEqualTo(200);
                assertThat(TestServer.json(healthy).path("checks").path("storage").asText()).isEqualTo("ok");
                var blob = uploadBlob(server, jwt, Ops.png(random, 20_000));
                assertThat(blob.statusCode()).as(blob.body()).isEqualTo(200);
                var after = createRecord(server, jwt, post(server, "room again", TestServer.json(blob).get("blob")));
                assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
                var text = createRecord(server, jwt, post(server, "and text", null));
                assertThat(text.statusCode()).as(text.body()).isEqualTo(200);
                assertThat(getRecord(server, TestServer.json(after).get("uri").asText()).statusCode()).isEqualTo(200);
                assertVerifies(server);
                assertEveryBlobRowHasItsBytes(server);
            }
        } finally {
            if (mounted) umount(disk);
        }
    }

    private void assertVerifies(TestServer server) throws IOException {
        // The CLI reads the same files the server writes; its env file lives outside the full disk.
        var env = Ops.envFile(tmp, server.config.did(), server.config.repoSigningKey(), server.config.dataDir());
        var verify = cli("verify", "--env-file", env.toString());
        assertThat(verify.status()).as(verify.toString()).isZero();
    }

    private static void assertEveryBlobRowHasItsBytes(TestServer server) throws IOException {
        var cids = server.alteran.database().read(c -> {
            var out = new ArrayList<String>();
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT cid FROM blob")) {
                while (rs.next()) out.add(rs.getString(1));
            }
            return out;
        });
        for (var cid : cids) assertThat(server.alteran.blobStore().exists(cid)).as("bytes of blob " + cid).isTrue();
    }

    static JsonNode health(TestServer server) throws Exception {
        return TestServer.json(server.get("/health"));
    }

    static ObjectNode post(TestServer server, String text, JsonNode blob) {
        var body = Json.object().put("repo", server.config.did()).put("collection", "app.bsky.feed.post");
        var record = body.putObject("record").put("$type", "app.bsky.feed.post").put("text", text.length() > 3000 ? "long" : text)
                .put("createdAt", "2024-01-01T00:00:00.000Z");
        if (text.length() > 3000) {
            // Post text is limited to 300 graphemes: the bulk goes in an extra field, kept as written.
            record.put("filler", text);
        }
        if (blob != null) {
            var image = record.putObject("embed").put("$type", "app.bsky.embed.images").putArray("images").addObject();
            image.put("alt", "");
            image.set("image", blob);
        }
        return body;
    }

    static HttpResponse<String> createRecord(TestServer server, String jwt, ObjectNode body) throws Exception {
        return server.post("/xrpc/com.atproto.repo.createRecord", body.toString(), "authorization", "Bearer " + jwt);
    }

    private static HttpResponse<String> uploadBlob(TestServer server, String jwt, byte[] png) throws Exception {
        var request = HttpRequest.newBuilder(URI.create(server.url("/xrpc/com.atproto.repo.uploadBlob")))
                .header("content-type", "image/png").header("authorization", "Bearer " + jwt)
                .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build();
        return server.http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> getRecord(TestServer server, String uri) throws Exception {
        var parts = uri.substring("at://".length()).split("/");
        return server.get("/xrpc/com.atproto.repo.getRecord?repo=" + URLEncoder.encode(parts[0], StandardCharsets.UTF_8)
                + "&collection=" + parts[1] + "&rkey=" + parts[2]);
    }

    /** Mounts a tmpfs of {@link #SIZE} on {@code dir}; false (with the reason printed) where that is not allowed. */
    private static boolean mount(Path dir) throws Exception {
        return mount(dir, SIZE);
    }

    /** Mounts a tmpfs of {@code size} (mount's form: "6m") on {@code dir}; false (with the reason printed) where that is not allowed. */
    static boolean mount(Path dir, String size) throws Exception {
        var run = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString());
        if (run.exit() != 0) System.out.println("FullDiskTest: mount failed (" + run.exit() + "): " + run.output());
        return run.exit() == 0;
    }

    /**
     * Unmounts the test's tmpfs. A server that has just let go of its files there (PostgreSQL after
     * DROP DATABASE: its background processes close their file handles when they next look) can keep it
     * busy for a moment, so a busy mount is tried again for up to 15 s, then detached lazily (the kernel
     * frees it once the last handle closes).
     */
    static void umount(Path dir) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        var run = run("umount", dir.toString());
        while (run.exit() != 0 && run.output().contains("busy") && System.nanoTime() < deadline) {
            Thread.sleep(100); // polling the condition (the mount is free), not standing in for it
            run = run("umount", dir.toString());
        }
        if (run.exit() != 0 && run.output().contains("busy")) run = run("umount", "-l", dir.toString());
        assertThat(run.exit()).as("umount: " + run.output()).isZero();
    }

    private record Run(int exit, String output) {}

    private static Run run(String... command) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new Run(-1, e.getMessage());
        }
        var output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Run(-1, "timed out");
        }
        return new Run(p.exitValue(), output.strip());
    }

    /** Without a mount: a blob store whose writes fail as a full disk's do while {@code full} is set. */
    static final class FullBlobStore implements BlobStore {
        private final BlobStore inner;
        volatile boolean full;

        FullBlobStore(BlobStore inner) {
            this.inner = inner;
        }

        private void check() throws IOException {
            if (full) throw new IOException("No space left on device");
        }

        @Override
        public String putTemp(InputStream content) throws IOException {
            check();
            return inner.putTemp(content);
        }

        @Override
        public void promote(String tempKey, String key) throws IOException {
            check();
            inner.promote(tempKey, key);
        }

        @Override
        public void deleteTemp(String tempKey) throws IOException {
            inner.deleteTemp(tempKey);
        }

        @Override
        public int purgeTemp(Duration age) throws IOException {
            return inner.purgeTemp(age);
        }

        @Override
        public Optional<InputStream> get(String key) throws IOException {
            return inner.get(key);
        }

        @Override
        public boolean exists(String key) throws IOException {
            return inner.exists(key);
        }

        @Override
        public void delete(String key) throws IOException {
            inner.delete(key);
        }

        @Override
        public void list(Consumer<Entry> each) throws IOException {
            inner.list(each);
        }

        @Override
        public boolean isHealthy() {
            return !full && inner.isHealthy();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
