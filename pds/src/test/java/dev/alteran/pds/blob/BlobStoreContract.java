package dev.alteran.pds.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.atproto.data.Cid;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link BlobStore} promises; run against each implementation by a subclass. */
abstract class BlobStoreContract {
    private static final Random RANDOM = new Random();
    protected BlobStore store;

    /** A fresh, empty store (its own temp folder); closed after each test. */
    protected abstract BlobStore newStore() throws Exception;

    @BeforeEach
    void open() throws Exception {
        store = newStore();
    }

    @AfterEach
    void close() {
        store.close();
    }

    static byte[] randomBytes(int n) {
        var b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    static String keyOf(byte[] data) {
        return Cid.ofRaw(data).toString();
    }

    private byte[] read(String key) throws IOException {
        try (var in = store.get(key).orElseThrow()) {
            return in.readAllBytes();
        }
    }

    @Test
    void putThenGetReturnsTheSameBytes() throws Exception {
        var data = randomBytes(10_000);
        var key = keyOf(data);
        assertThat(store.exists(key)).isFalse();
        store.put(key, new ByteArrayInputStream(data));
        assertThat(store.exists(key)).isTrue();
        assertThat(read(key)).isEqualTo(data);
    }

    @Test
    void emptyBlob() throws Exception {
        var key = keyOf(new byte[0]);
        store.put(key, InputStream.nullInputStream());
        assertThat(read(key)).isEmpty();
    }

    @Test
    void missingKeyIsEmptyAndDeletingItIsNoError() throws Exception {
        var key = keyOf(randomBytes(16));
        assertThat(store.get(key)).isEmpty();
        assertThat(store.exists(key)).isFalse();
        store.delete(key);
    }

    @Test
    void deleteRemoves() throws Exception {
        var data = randomBytes(100);
        var key = keyOf(data);
        store.put(key, new ByteArrayInputStream(data));
        store.delete(key);
        assertThat(store.exists(key)).isFalse();
        assertThat(store.get(key)).isEmpty();
    }

    @Test
    void aTempObjectIsVisibleUnderItsKeyOnlyOncePromoted() throws Exception {
        var data = randomBytes(5000);
        var key = keyOf(data);
        var temp = store.putTemp(new ByteArrayInputStream(data));
        assertThat(store.exists(key)).isFalse();
        store.promote(temp, key);
        assertThat(read(key)).isEqualTo(data);
        store.deleteTemp(temp); // already gone: no error
        assertThat(store.purgeTemp(Duration.ZERO)).isZero();
    }

    @Test
    void promotingOntoAnExistingKeyKeepsItsBytesAndDropsTheTemp() throws Exception {
        var data = randomBytes(1000);
        var key = keyOf(data);
        store.put(key, new ByteArrayInputStream(data));
        var temp = store.putTemp(new ByteArrayInputStream(data));
        store.promote(temp, key);
        assertThat(read(key)).isEqualTo(data);
        assertThat(store.purgeTemp(Duration.ZERO)).isZero();
    }

    @Test
    void aDeletedTempCannotBePromoted() throws Exception {
        var data = randomBytes(100);
        var temp = store.putTemp(new ByteArrayInputStream(data));
        store.deleteTemp(temp);
        assertThatThrownBy(() -> store.promote(temp, keyOf(data))).isInstanceOf(IOException.class);
        assertThat(store.exists(keyOf(data))).isFalse();
    }

    @Test
    void aFailingUploadLeavesNothing() throws Exception {
        var failing = new InputStream() {
            int left = 100_000;

            @Override
            public int read() throws IOException {
                if (left <= 0) throw new IOException("client went away");
                left--;
                return 7;
            }
        };
        assertThatThrownBy(() -> store.putTemp(failing)).isInstanceOf(IOException.class);
        assertThat(store.purgeTemp(Duration.ZERO)).isZero();
    }

    @Test
    void purgeKeepsFreshTempsAndRemovesOldOnes() throws Exception {
        var temp = store.putTemp(new ByteArrayInputStream(randomBytes(10)));
        assertThat(store.purgeTemp(Duration.ofHours(1))).isZero();
        assertThat(store.purgeTemp(Duration.ZERO)).isEqualTo(1);
        assertThatThrownBy(() -> store.promote(temp, keyOf(new byte[] {1}))).isInstanceOf(IOException.class);
    }

    @Test
    void streamsALargeBlobByteForByte() throws Exception {
        int size = 24 * 1024 * 1024 + 17;
        var md = MessageDigest.getInstance("SHA-256");
        var source = new DigestInputStream(new PatternStream(size), md);
        var temp = store.putTemp(source);
        var key = Cid.ofSha256Digest(Cid.RAW, md.digest()).toString();
        store.promote(temp, key);
        var check = MessageDigest.getInstance("SHA-256");
        long n = 0;
        try (var in = store.get(key).orElseThrow()) {
            var buf = new byte[65536];
            for (int r; (r = in.read(buf)) > 0; n += r) check.update(buf, 0, r);
        }
        assertThat(n).isEqualTo(size);
        assertThat(Cid.ofSha256Digest(Cid.RAW, check.digest()).toString()).isEqualTo(key);
    }

    @Test
    void concurrentUploadsOfTheSameBytesBothSucceed() throws Exception {
        var data = randomBytes(200_000);
        var key = keyOf(data);
        Callable<Void> upload = () -> {
            store.put(key, new ByteArrayInputStream(data));
            return null;
        };
        try (var pool = Executors.newFixedThreadPool(4)) {
            var futures = pool.invokeAll(java.util.Collections.nCopies(4, upload));
            for (var f : futures) f.get();
        }
        assertThat(read(key)).isEqualTo(data);
        assertThat(store.purgeTemp(Duration.ZERO)).isZero();
    }

    @Test
    void keysAreCidStringsOnly() {
        for (var bad : new String[] {"../../etc/passwd", "BAFKREI0000000", "short", "", "bafkrei/abcdefgh", null}) {
            assertThatThrownBy(() -> store.get(bad)).as(String.valueOf(bad)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.delete(bad)).as(String.valueOf(bad)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> store.deleteTemp("../alteran.sqlite")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isHealthy() {
        assertThat(store.isHealthy()).isTrue();
    }

    /** A long deterministic stream that is never held in memory. */
    static final class PatternStream extends InputStream {
        private long left;
        private int x = 12345;

        PatternStream(long size) {
            this.left = size;
        }

        @Override
        public int read() {
            if (left == 0) return -1;
            left--;
            x = x * 1103515245 + 12345;
            return (x >>> 16) & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left == 0) return -1;
            int n = (int) Math.min(len, left);
            for (int i = 0; i < n; i++) {
                x = x * 1103515245 + 12345;
                b[off + i] = (byte) (x >>> 16);
            }
            left -= n;
            return n;
        }
    }

    @Test
    void listNamesEveryStoredObjectWithItsSizeAndNoTemporaryOne() throws Exception {
        var a = randomBytes(1_000);
        var b = randomBytes(2_345);
        store.put(keyOf(a), new ByteArrayInputStream(a));
        store.put(keyOf(b), new ByteArrayInputStream(b));
        var pending = store.putTemp(new ByteArrayInputStream(randomBytes(10)));
        try {
            var listed = new java.util.HashMap<String, Long>();
            store.list(e -> listed.put(e.key(), e.size()));
            // (The S3 tests share one bucket, so other tests' objects may be listed too.)
            assertThat(listed).contains(java.util.Map.entry(keyOf(a), 1_000L), java.util.Map.entry(keyOf(b), 2_345L));
            assertThat(listed.keySet()).allMatch(BlobStore::isKey).doesNotContain(pending);
        } finally {
            store.deleteTemp(pending);
        }
    }
}
