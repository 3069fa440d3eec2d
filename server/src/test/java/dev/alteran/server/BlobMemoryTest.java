package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.data.Cid;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A 100 MiB upload must stream: the live heap (measured after a full collection, repeatedly while the
 * upload runs, so a buffer that is dropped at the end is still seen) grows by less than 16 MiB.
 */
class BlobMemoryTest {
    private static final long SIZE = 100L * 1024 * 1024;
    private static final long LIMIT = 16L * 1024 * 1024;

    static long liveHeap() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    @Test
    void aHundredMebibyteUploadStreams() throws Exception {
        try (var server = TestServer.start(Map.of("PDS_MAX_BLOB_SIZE", Long.toString(SIZE), "PDS_ALLOWED_MIME", "video/mp4"))) {
            var token = BlobTest.login(server);
            var digest = MessageDigest.getInstance("SHA-256");
            var body = HttpRequest.BodyPublishers.fromPublisher(
                    HttpRequest.BodyPublishers.ofInputStream(() -> new DigestInputStream(new Mp4Stream(SIZE), digest)), SIZE);
            var request = HttpRequest.newBuilder(URI.create(server.url("/xrpc/com.atproto.repo.uploadBlob")))
                    .header("content-type", "video/mp4").header("authorization", "Bearer " + token).POST(body).build();

            long before = liveHeap();
            var upload = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.http.send(request, HttpResponse.BodyHandlers.ofString());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long peak = 0;
            int samples = 0;
            while (!upload.isDone()) {
                peak = Math.max(peak, liveHeap() - before);
                samples++;
                Thread.sleep(50);
            }
            var resp = upload.get(5, TimeUnit.MINUTES);
            peak = Math.max(peak, liveHeap() - before);

            System.out.printf("100 MiB upload: peak live heap growth %.1f MiB over %d samples%n", peak / 1048576.0, samples);
            assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
            var blob = TestServer.json(resp).get("blob");
            assertThat(blob.get("size").asLong()).isEqualTo(SIZE);
            assertThat(blob.get("mimeType").asText()).isEqualTo("video/mp4");
            assertThat(blob.get("ref").get("$link").asText()).isEqualTo(Cid.ofSha256Digest(Cid.RAW, digest.digest()).toString());
            assertThat(samples).as("heap samples taken during the upload").isGreaterThan(3);
            assertThat(peak).as("live heap growth in bytes").isLessThan(LIMIT);
        }
    }

    /** An MP4 header (ftyp isom) then deterministic filler: never held in memory. */
    static final class Mp4Stream extends InputStream {
        private static final byte[] HEADER = {0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 2, 0,
                'i', 's', 'o', 'm', 'm', 'p', '4', '1'};
        private final long size;
        private long pos;

        Mp4Stream(long size) {
            this.size = size;
        }

        @Override
        public int read() {
            if (pos >= size) return -1;
            int b = pos < HEADER.length ? HEADER[(int) pos] & 0xFF : (int) ((pos * 31) ^ (pos >>> 11)) & 0xFF;
            pos++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= size) return -1;
            int n = (int) Math.min(len, size - pos);
            for (int i = 0; i < n; i++) b[off + i] = (byte) read();
            return n;
        }
    }
}
