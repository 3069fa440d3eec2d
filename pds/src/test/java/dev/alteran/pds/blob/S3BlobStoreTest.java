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

    @Test
    void theConfiguredStoreCarriesUploadsAndGarbageCollection() throws Exception {
        var values = new java.util.HashMap<String, String>();
        values.put("PDS_DATA_DIR", spool.toString());
        values.put("PDS_BLOB_STORE", "s3");
        values.put("PDS_S3_ENDPOINT", s3proxy.endpoint);
        values.put("PDS_S3_BUCKET", BUCKET);
        values.put("PDS_S3_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY);
        values.put("PDS_S3_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY);
        values.put("PDS_S3_FORCE_PATH_STYLE", "true");
        var config = dev.alteran.pds.config.Config.from(values);
        try (var db = dev.alteran.pds.store.Database.openSqlite(spool.resolve("alteran.sqlite"));
             var configured = BlobStore.open(config)) {
            assertThat(configured).isInstanceOf(S3BlobStore.class);
            var blobs = new Blobs(db, configured, config.allowedMime(), config.maxBlobSize(), config.blobQuotaBytes(), java.time.Clock.systemUTC());
            var data = BlobFixture.png(70_000);
            var ref = blobs.upload(new ByteArrayInputStream(data), "image/png", -1);
            try (var in = configured.get(ref.ref().toString()).orElseThrow()) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
            assertThat(spool.resolve("blob-spool")).isEmptyDirectory();
            assertThat(new BlobCollector(db, blobs, java.time.Clock.systemUTC()).collectGarbage(java.time.Duration.ZERO).deletedBlobs()).isEqualTo(1);
            assertThat(configured.exists(ref.ref().toString())).isFalse();
        }
    }
}
