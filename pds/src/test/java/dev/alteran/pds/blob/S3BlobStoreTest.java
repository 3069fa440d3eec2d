package dev.alteran.pds.blob;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.pds.config.BlobStorage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract against a real S3 API (S3Proxy), through the same client set-up the server uses. */
class S3BlobStoreTest extends BlobStoreContract {
    private static final String BUCKET = "alteran-blobs";
    private static S3ProxyServer s3proxy;

    @TempDir
    Path spool;

    @BeforeAll
    static void startS3() throws Exception {
        s3proxy = S3ProxyServer.start();
        try (var store = S3BlobStore.open(config(BUCKET), Path.of(System.getProperty("java.io.tmpdir")))) {
            store.client().createBucket(b -> b.bucket(BUCKET));
        }
    }

    @AfterAll
    static void stopS3() throws Exception {
        if (s3proxy != null) s3proxy.close();
    }

    static BlobStorage config(String bucket) {
        return new BlobStorage(BlobStorage.S3, s3proxy.endpoint, bucket, "us-east-1",
                S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY, true);
    }

    @Override
    protected BlobStore newStore() {
        return S3BlobStore.open(config(BUCKET), spool);
    }

    @Test
    void objectsAreNamedByTheirCid() throws Exception {
        var data = randomBytes(300);
        var key = keyOf(data);
        store.put(key, new ByteArrayInputStream(data));
        var s3 = ((S3BlobStore) store).client();
        var listed = s3.listObjectsV2(b -> b.bucket(BUCKET).prefix(key)).contents();
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).key()).isEqualTo(key);
        assertThat(listed.get(0).size()).isEqualTo(300L);
    }

    @Test
    void anUnreachableBucketIsUnhealthy() {
        try (var other = S3BlobStore.open(config("no-such-bucket"), spool)) {
            assertThat(other.isHealthy()).isFalse();
        }
    }
}
