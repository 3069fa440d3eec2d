package dev.alteran.pds.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** What the blob tests share: a database and file store in a temporary folder, a clock they can move on, and helpers. */
abstract class BlobFixture {
    private static final Random RANDOM = new Random();
    static final String URI_1 = "at://did:web:example.com/app.bsky.feed.post/3kabc";
    static final String URI_2 = "at://did:web:example.com/app.bsky.feed.post/3kdef";

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

    BlobCollector collector(Blobs blobs) {
        return new BlobCollector(db, blobs, clock);
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

    /** What a record write does for a record with these blobs. */
    void write(String uri, BlobRef... refs) {
        db.write(c -> {
            BlobReferences.onRecordWritten(c, uri, List.of(refs));
            return null;
        });
    }

    void delete(String uri) {
        db.write(c -> {
            BlobReferences.onRecordDeleted(c, uri);
            return null;
        });
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
        public void list(java.util.function.Consumer<Entry> each) throws IOException {
            inner.list(each);
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
