package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.repo.RepoVerifier;
import dev.alteran.pds.Alteran;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.store.PreparedWrite;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * getRepo of a 100,000-record repository from a server JVM with a 64 MB heap: the export (larger than
 * that heap) must stream from the database, and the official-shaped verification must accept it.
 */
class SyncLargeRepoTest {
    static final int RECORDS = 100_000;
    static final int HEAP_MB = 64;

    @TempDir
    Path dir;

    @Test
    void getRepoOf100kRecordsStreamsInASmallHeap() throws Exception {
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        var values = new HashMap<String, String>();
        values.put("ALTERAN_ENV", "dev");
        values.put("PDS_DID", "did:web:localhost%3A" + port);
        values.put("PDS_HANDLE", TestServer.HANDLE);
        values.putAll(Secrets.generate(TestServer.PASSWORD));
        values.put("PDS_HOSTNAME", "localhost:" + port);
        values.put("PDS_PORT", Integer.toString(port));
        values.put("PDS_BIND", "127.0.0.1");
        values.put("PDS_DATA_DIR", dir.resolve("data").toString());
        var config = Config.from(values).validateOrThrow();

        long t0 = System.nanoTime();
        try (var alteran = Alteran.builder().config(config).build()) {
            var w = new Writes(alteran);
            var batch = new ArrayList<PreparedWrite>(200);
            for (int i = 0; i < RECORDS; i++) {
                var rkey = alteran.repo().nextTid();
                batch.add(new PreparedWrite.Create(Writes.BLOB, rkey, w.filler(rkey, 700)));
                if (batch.size() == 200) {
                    alteran.repo().applyWrites(List.copyOf(batch), null);
                    batch.clear();
                }
            }
            assertThat(alteran.repo().head().data().size()).isEqualTo(RECORDS);
        }
        long buildMs = (System.nanoTime() - t0) / 1_000_000;

        var envFile = dir.resolve("env");
        Files.writeString(envFile, Secrets.render(values));
        var log = dir.resolve("server.log");
        var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var child = new ProcessBuilder(java, "-Xmx" + HEAP_MB + "m", "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"), AlteranServer.class.getName(), "serve", "--env-file", envFile.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try (var http = HttpClient.newHttpClient()) {
            var base = "http://127.0.0.1:" + port;
            TestServer.awaitHealthy(base, child, log);
            // The server process, not the library, keeps SQLite's native library under the data directory.
            try (var copies = Files.list(dir.resolve("data").resolve("native"))) {
                // one copy of the library (beside it, the note of which copy this platform uses)
                assertThat(copies.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("chosen-")))
                        .singleElement().asString().startsWith("sqlite-");
            }
            long t1 = System.nanoTime();
            var did = config.did();
            var resp = http.send(HttpRequest.newBuilder(URI.create(base + "/xrpc/com.atproto.sync.getRepo?did="
                    + URLEncoder.encode(did, StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(resp.statusCode()).isEqualTo(200);
            try (var counted = new Counting(resp.body())) {
                var repo = RepoVerifier.verifyCar(counted, did, config.signingKey().publicKey());
                assertThat(repo.recordCount()).isEqualTo(RECORDS);
                long streamMs = (System.nanoTime() - t1) / 1_000_000;
                // Larger than the server's whole heap: it cannot have been built in memory.
                assertThat(counted.count).isGreaterThan(HEAP_MB * 1024L * 1024L);
                System.out.printf("100k records: built in %d ms; getRepo %.1f MB streamed and verified in %d ms from a %d MB heap%n",
                        buildMs, counted.count / 1048576.0, streamMs, HEAP_MB);
            }
            assertThat(child.isAlive()).as("the small-heap server survived the export").isTrue();
        } finally {
            child.destroy();
            if (!child.waitFor(20, TimeUnit.SECONDS)) child.destroyForcibly();
        }
    }

    static final class Counting extends FilterInputStream {
        long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) count += n;
            return n;
        }
    }
}
