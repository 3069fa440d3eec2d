package dev.alteran.pds.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DataJson;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.wire.XrpcException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobsTest {
    private static final Random RANDOM = new Random();
    private static final String URI_1 = "at://did:web:example.com/app.bsky.feed.post/3kabc";
    private static final String URI_2 = "at://did:web:example.com/app.bsky.feed.post/3kdef";

    @TempDir
    Path dir;
    Database db;
    BlobStore store;
    MutableClock clock = new MutableClock();

    @BeforeEach
    void open() {
        db = Database.openSqlite(dir.resolve("alteran.sqlite"));
        store = new FileBlobStore(dir.resolve("blobs"));
    }

    @AfterEach
    void close() {
        db.close();
    }

    Blobs blobs(long maxSize, long quota, List<String> allowed) {
        return new Blobs(db, store, allowed, maxSize, quota, clock);
    }

    Blobs blobs() {
        return blobs(1 << 20, 10 << 20, defaultMime());
    }

    static List<String> defaultMime() {
        return Config.from(java.util.Map.of()).allowedMime();
    }

    static byte[] png(int size) {
        var b = new byte[size];
        RANDOM.nextBytes(b);
        System.arraycopy(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}, 0, b, 0, 8);
        return b;
    }

    static byte[] elf(int size) {
        var b = new byte[size];
        RANDOM.nextBytes(b);
        System.arraycopy(new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1}, 0, b, 0, 7);
        return b;
    }

    static BlobRef upload(Blobs blobs, byte[] data, String type) throws IOException {
        return blobs.upload(new ByteArrayInputStream(data), type, data.length);
    }

    static void assertXrpc(ThrowingCallable call, int status, String error) {
        assertThatThrownBy(call).isInstanceOfSatisfying(XrpcException.class, e -> {
            assertThat(e.error()).isEqualTo(error);
            assertThat(e.status()).isEqualTo(status);
        });
    }

    int rows() {
        return db.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*) FROM blob")) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    void assertNothingLeft() throws IOException {
        assertThat(rows()).isZero();
        try (var tmp = Files.list(dir.resolve("blobs/.tmp")); var all = Files.walk(dir.resolve("blobs"))) {
            assertThat(tmp).isEmpty();
            assertThat(all.filter(Files::isRegularFile)).isEmpty();
        }
    }

    void write(Blobs blobs, String uri, BlobRef... refs) {
        db.write(c -> {
            blobs.onRecordWritten(c, uri, List.of(refs));
            return null;
        });
    }

    void delete(Blobs blobs, String uri) {
        db.write(c -> {
            blobs.onRecordDeleted(c, uri);
            return null;
        });
    }

    @Test
    void uploadStoresTheBytesUnderTheirRawCid() throws Exception {
        var blobs = blobs();
        var data = png(5000);
        var ref = upload(blobs, data, "image/png");
        assertThat(ref.ref()).isEqualTo(Cid.ofRaw(data));
        assertThat(ref.ref().codec()).isEqualTo(Cid.RAW);
        assertThat(ref.ref().toString()).startsWith("bafkrei");
        assertThat(ref.mimeType()).isEqualTo("image/png");
        assertThat(ref.size()).isEqualTo(5000);
        try (var in = blobs.open(ref.ref()).orElseThrow()) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        var stored = blobs.find(ref.ref()).orElseThrow();
        assertThat(stored.referenced()).isFalse();
        assertThat(stored.size()).isEqualTo(5000);
        assertThat(ref.toJson()).containsEntry("$type", "blob").containsEntry("mimeType", "image/png").containsEntry("size", 5000L);
    }

    @Test
    void theSameBytesTwiceAreOneBlob() throws Exception {
        var blobs = blobs();
        var data = png(3000);
        var a = upload(blobs, data, "image/png");
        var b = blobs.upload(new ByteArrayInputStream(data), "image/png", -1);
        assertThat(b).isEqualTo(a);
        assertThat(rows()).isEqualTo(1);
        assertThat(blobs.usedBytes()).isEqualTo(3000);
    }

    @Test
    void anExecutableCannotPassForAnImage() throws Exception {
        var blobs = blobs();
        assertXrpc(() -> upload(blobs, elf(4000), "image/png"), 400, "InvalidMimeType");
        assertXrpc(() -> upload(blobs, elf(4000), null), 400, "InvalidMimeType");
        assertXrpc(() -> upload(blobs, elf(4000), "application/octet-stream"), 400, "InvalidMimeType");
        assertNothingLeft();
    }

    @Test
    void aTypeOutsideTheAllowListIsRefusedBeforeReading() throws Exception {
        var blobs = blobs();
        var untouched = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the body must not be read");
            }
        };
        assertXrpc(() -> blobs.upload(untouched, "application/x-msdownload", 100), 400, "InvalidMimeType");
        assertXrpc(() -> blobs.upload(untouched, "text/html", -1), 400, "InvalidMimeType");
        assertNothingLeft();
    }

    @Test
    void theContentDecidesTheExactTypeWithinItsFamily() throws Exception {
        var blobs = blobs();
        assertThat(upload(blobs, png(100), "image/jpeg").mimeType()).isEqualTo("image/png");
        assertThat(upload(blobs, png(100), null).mimeType()).isEqualTo("image/png");
        assertThat(upload(blobs, png(100), "application/octet-stream").mimeType()).isEqualTo("image/png");
        assertXrpc(() -> upload(blobs, png(100), "video/mp4"), 400, "InvalidMimeType");
        // The content's type must be allowed too, not only the declared one.
        var pngOnly = blobs(1 << 20, 1 << 30, List.of("image/jpeg"));
        assertXrpc(() -> upload(pngOnly, png(100), "image/jpeg"), 400, "InvalidMimeType");
    }

    @Test
    void wildcardsAllowTypesWithoutASignature() throws Exception {
        var blobs = blobs(1 << 20, 1 << 30, List.of("image/*"));
        var svg = "<svg xmlns='http://www.w3.org/2000/svg'/>".getBytes();
        assertThat(upload(blobs, svg, "image/svg+xml").mimeType()).isEqualTo("image/svg+xml");
        assertXrpc(() -> upload(blobs, svg, "video/mp4"), 400, "InvalidMimeType");
    }

    @Test
    void tooLargeByContentLengthIsRefusedBeforeReading() throws Exception {
        var blobs = blobs(1000, 1 << 30, defaultMime());
        var untouched = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the body must not be read");
            }
        };
        assertXrpc(() -> blobs.upload(untouched, "image/png", 1001), 400, "BlobTooLarge");
        assertNothingLeft();
    }

    @Test
    void tooLargeWithoutOrWithALyingContentLengthLeavesNothing() throws Exception {
        var blobs = blobs(1000, 1 << 30, defaultMime());
        assertXrpc(() -> blobs.upload(new ByteArrayInputStream(png(1001)), "image/png", -1), 400, "BlobTooLarge");
        assertXrpc(() -> blobs.upload(new ByteArrayInputStream(png(50_000)), "image/png", 10), 400, "BlobTooLarge");
        assertNothingLeft();
    }

    @Test
    void exactlyTheLimitIsAccepted() throws Exception {
        var blobs = blobs(1000, 1 << 30, defaultMime());
        assertThat(blobs.upload(new ByteArrayInputStream(png(1000)), "image/png", -1).size()).isEqualTo(1000);
    }

    @Test
    void aBodyThatBreaksOffIsABadRequestAndLeavesNothing() throws Exception {
        var blobs = blobs();
        var head = png(600);
        var breaking = new java.io.SequenceInputStream(new ByteArrayInputStream(head), new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        });
        assertXrpc(() -> blobs.upload(breaking, "image/png", 5000), 400, "InvalidRequest");
        assertNothingLeft();
    }

    @Test
    void theQuotaCountsEveryStoredBlob() throws Exception {
        var blobs = blobs(1 << 20, 10_000, defaultMime());
        var first = png(6000);
        upload(blobs, first, "image/png");
        assertXrpc(() -> upload(blobs, png(5000), "image/png"), 400, "BlobQuotaExceeded");
        assertXrpc(() -> blobs.upload(new ByteArrayInputStream(png(5000)), "image/png", -1), 400, "BlobQuotaExceeded");
        // Bytes already stored cost nothing again.
        upload(blobs, first, "image/png");
        upload(blobs, png(4000), "image/png");
        assertThat(blobs.usedBytes()).isEqualTo(10_000);
        assertThat(rows()).isEqualTo(2);
    }

    @Test
    void recordsReferenceUploadedBlobs() throws Exception {
        var blobs = blobs();
        var ref = upload(blobs, png(100), "image/png");
        write(blobs, URI_1, ref);
        assertThat(blobs.find(ref.ref()).orElseThrow().referenced()).isTrue();
        assertThat(blobs.listReferenced(null, null, 10)).containsExactly(ref.ref().toString());
    }

    @Test
    void aReferenceMustMatchAnUploadedBlob() throws Exception {
        var blobs = blobs();
        var ref = upload(blobs, png(100), "image/png");
        var missing = new BlobRef(Cid.ofRaw(png(10)), "image/png", 10);
        assertXrpc(() -> write(blobs, URI_1, ref, missing), 400, "BlobNotFound");
        assertXrpc(() -> write(blobs, URI_1, new BlobRef(ref.ref(), "image/jpeg", 100)), 400, "InvalidMimeType");
        assertXrpc(() -> write(blobs, URI_1, new BlobRef(ref.ref(), "image/png", 99)), 400, "InvalidSize");
        assertThat(blobs.find(ref.ref()).orElseThrow().referenced()).isFalse();
        assertThat(blobs.listReferenced(null, null, 10)).isEmpty();
    }

    @Test
    void deletingTheLastRecordThenCollectingRemovesTheBlob() throws Exception {
        var blobs = blobs();
        var data = png(700);
        var ref = upload(blobs, data, "image/png");
        write(blobs, URI_1, ref);
        write(blobs, URI_2, ref);
        delete(blobs, URI_1);
        assertThat(blobs.find(ref.ref()).orElseThrow().referenced()).isTrue();
        assertThat(blobs.collectGarbage(Duration.ZERO).deletedBlobs()).isZero();
        delete(blobs, URI_2);
        assertThat(blobs.find(ref.ref()).orElseThrow().referenced()).isFalse();
        assertThat(blobs.collectGarbage(Duration.ofHours(1)).deletedBlobs()).isZero();
        clock.advance(Duration.ofMinutes(61));
        var result = blobs.collectGarbage(Duration.ofHours(1));
        assertThat(result.deletedBlobs()).isEqualTo(1);
        assertThat(result.deletedBytes()).isEqualTo(700);
        assertThat(blobs.find(ref.ref())).isEmpty();
        assertThat(store.exists(ref.ref().toString())).isFalse();
        assertNothingLeft();
    }

    @Test
    void anUpdateThatDropsABlobReleasesIt() throws Exception {
        var blobs = blobs();
        var a = upload(blobs, png(100), "image/png");
        var b = upload(blobs, png(200), "image/png");
        write(blobs, URI_1, a, b);
        write(blobs, URI_1, b);
        assertThat(blobs.find(a.ref()).orElseThrow().referenced()).isFalse();
        assertThat(blobs.find(b.ref()).orElseThrow().referenced()).isTrue();
        assertThat(blobs.collectGarbage(Duration.ZERO).deletedBlobs()).isEqualTo(1);
        assertThat(blobs.find(b.ref())).isPresent();
        assertThat(store.exists(b.ref().toString())).isTrue();
    }

    @Test
    void unusedUploadsAreKeptForTheGracePeriodThenCollected() throws Exception {
        var blobs = blobs();
        var early = upload(blobs, png(100), "image/png");
        clock.advance(Duration.ofMinutes(40));
        var late = upload(blobs, png(100), "image/png");
        clock.advance(Duration.ofMinutes(30));
        assertThat(blobs.collectGarbage().deletedBlobs()).isEqualTo(1);
        assertThat(blobs.find(early.ref())).isEmpty();
        assertThat(blobs.find(late.ref())).isPresent();
        // Using it within its grace period keeps it for good.
        write(blobs, URI_1, late);
        clock.advance(Duration.ofDays(30));
        assertThat(blobs.collectGarbage().deletedBlobs()).isZero();
    }

    @Test
    void uploadingAgainRestartsTheGracePeriod() throws Exception {
        var blobs = blobs();
        var data = png(100);
        upload(blobs, data, "image/png");
        clock.advance(Duration.ofMinutes(50));
        upload(blobs, data, "image/png");
        clock.advance(Duration.ofMinutes(50));
        assertThat(blobs.collectGarbage().deletedBlobs()).isZero();
    }

    @Test
    void collectionRepairsReferencesThatBypassedTheBlobSide() throws Exception {
        var blobs = blobs();
        var ref = upload(blobs, png(100), "image/png");
        write(blobs, URI_1, ref);
        db.write(c -> c.createStatement().executeUpdate("DELETE FROM record_blob"));
        assertThat(blobs.collectGarbage().deletedBlobs()).isZero(); // starts its grace period now
        assertThat(blobs.find(ref.ref()).orElseThrow().referenced()).isFalse();
        clock.advance(Duration.ofHours(2));
        assertThat(blobs.collectGarbage().deletedBlobs()).isEqualTo(1);
    }

    @Test
    void aBlobUploadedForAnAlreadyIndexedRecordIsInUseAtOnce() throws Exception {
        var blobs = blobs();
        var data = png(100);
        var cid = Cid.ofRaw(data);
        db.write(c -> {
            try (var st = c.prepareStatement("INSERT INTO record_blob (record_uri, blob_cid) VALUES (?, ?)")) {
                st.setString(1, URI_1);
                st.setString(2, cid.toString());
                return st.executeUpdate();
            }
        });
        upload(blobs, data, "image/png");
        assertThat(blobs.find(cid).orElseThrow().referenced()).isTrue();
    }

    @Test
    void collectionLeavesAnUploadThatIsStillFinishingAlone() throws Exception {
        var promoting = new CountDownLatch(1);
        var proceed = new CountDownLatch(1);
        var slow = new SlowPromote(store, promoting, proceed);
        var blobs = new Blobs(db, slow, defaultMime(), 1 << 20, 1 << 30, clock);
        var data = png(1000);
        var upload = CompletableFuture.supplyAsync(() -> {
            try {
                return upload(blobs, data, "image/png");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(promoting.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(blobs.collectGarbage(Duration.ZERO).deletedBlobs()).isZero();
        proceed.countDown();
        var ref = upload.get(10, TimeUnit.SECONDS);
        assertThat(blobs.find(ref.ref())).isPresent();
        assertThat(slow.exists(ref.ref().toString())).isTrue();
        // Once finished, an unused upload is fair game for a zero grace period.
        assertThat(blobs.collectGarbage(Duration.ZERO).deletedBlobs()).isEqualTo(1);
    }

    @Test
    void listingPagesInCidOrder() throws Exception {
        var blobs = blobs();
        var refs = new java.util.ArrayList<String>();
        for (int i = 0; i < 5; i++) {
            var ref = upload(blobs, png(50 + i), "image/png");
            write(blobs, "at://did:web:example.com/app.bsky.feed.post/" + i, ref);
            refs.add(ref.ref().toString());
        }
        java.util.Collections.sort(refs);
        var page1 = blobs.listReferenced(null, null, 3);
        assertThat(page1).containsExactlyElementsOf(refs.subList(0, 3));
        var page2 = blobs.listReferenced(null, page1.getLast(), 3);
        assertThat(page2).containsExactlyElementsOf(refs.subList(3, 5));
    }

    @Test
    void findsBlobRefsAnywhereInARecord() {
        var a = Cid.ofRaw(new byte[] {1});
        var b = Cid.ofRaw(new byte[] {2});
        var record = DataJson.fromJson("""
                {"$type":"app.bsky.feed.post","text":"hi","createdAt":"2025-01-01T00:00:00.000Z",
                 "embed":{"$type":"app.bsky.embed.images","images":[
                   {"alt":"one","image":{"$type":"blob","ref":{"$link":"%s"},"mimeType":"image/png","size":10}},
                   {"alt":"two","image":{"$type":"blob","ref":{"$link":"%s"},"mimeType":"image/jpeg","size":20}},
                   {"alt":"again","image":{"$type":"blob","ref":{"$link":"%s"},"mimeType":"image/png","size":10}}]},
                 "legacy":{"cid":"%s","mimeType":"image/png"}}""".formatted(a, b, a, a));
        assertThat(Blobs.findBlobRefs(record)).containsExactly(new BlobRef(a, "image/png", 10), new BlobRef(b, "image/jpeg", 20));
        assertThat(Blobs.findBlobRefs(DataJson.fromJson("{\"text\":\"no blobs\"}"))).isEmpty();
    }

    /** Pauses in promote (after the upload's row is written) until told to go on. */
    record SlowPromote(BlobStore inner, CountDownLatch promoting, CountDownLatch proceed) implements BlobStore {
        @Override
        public void promote(String tempKey, String key) throws IOException {
            promoting.countDown();
            try {
                proceed.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            inner.promote(tempKey, key);
        }

        @Override
        public String putTemp(InputStream content) throws IOException {
            return inner.putTemp(content);
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
        public java.util.Optional<InputStream> get(String key) throws IOException {
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
        public boolean isHealthy() {
            return inner.isHealthy();
        }
    }

    /** The real time (the reference triggers stamp with it) plus however far a test has moved on. */
    static final class MutableClock extends Clock {
        private volatile Duration offset = Duration.ZERO;

        void advance(Duration d) {
            offset = offset.plus(d);
        }

        @Override
        public Instant instant() {
            return Instant.now().plus(offset);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
