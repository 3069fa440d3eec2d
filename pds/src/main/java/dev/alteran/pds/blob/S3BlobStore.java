package dev.alteran.pds.blob;

import dev.alteran.pds.config.BlobStorage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Blobs as objects in an S3-compatible bucket, named by their CID. An upload is spooled to a local
 * temporary file (its key is known only after hashing, and a sized PUT needs its length), then sent
 * with one PUT: S3 makes an object visible only once it is complete, so nothing partial ever appears
 * under a key, and memory stays bounded by the copy buffers whatever the blob's size.
 */
public final class S3BlobStore implements BlobStore {
    private final S3Client s3;
    private final String bucket;
    private final Spool spool;

    public S3BlobStore(S3Client s3, String bucket, Path spoolDir) {
        this.s3 = s3;
        this.bucket = bucket;
        this.spool = new Spool(spoolDir);
    }

    /** A client for the configured service; only checksums the service requires (many S3-compatible services reject the newer ones). */
    public static S3BlobStore open(BlobStorage cfg, Path spoolDir) {
        AwsCredentialsProvider credentials = cfg.s3AccessKeyId() == null
                ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(cfg.s3AccessKeyId(), cfg.s3SecretAccessKey()));
        var builder = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(60)))
                .region(Region.of(cfg.s3Region()))
                .credentialsProvider(credentials)
                .forcePathStyle(cfg.s3ForcePathStyle())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (cfg.s3Endpoint() != null) builder.endpointOverride(URI.create(cfg.s3Endpoint()));
        return new S3BlobStore(builder.build(), cfg.s3Bucket(), spoolDir);
    }

    @Override
    public String putTemp(InputStream content) throws IOException {
        return spool.write(content);
    }

    @Override
    public void promote(String tempKey, String key) throws IOException {
        BlobStore.checkKey(key);
        var file = spool.path(tempKey);
        if (!Files.isRegularFile(file)) throw new java.nio.file.NoSuchFileException(file.toString());
        try {
            if (!exists(key)) {
                s3.putObject(b -> b.bucket(bucket).key(key).contentType("application/octet-stream"), RequestBody.fromFile(file));
            }
        } catch (SdkException e) {
            throw new IOException("S3 put of " + key + " failed: " + e.getMessage(), e);
        }
        Files.deleteIfExists(file);
    }

    @Override
    public void deleteTemp(String tempKey) throws IOException {
        spool.delete(tempKey);
    }

    @Override
    public int purgeTemp(Duration age) throws IOException {
        return spool.purge(age);
    }

    @Override
    public Optional<InputStream> get(String key) throws IOException {
        BlobStore.checkKey(key);
        try {
            return Optional.of(s3.getObject(b -> b.bucket(bucket).key(key)));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) return Optional.empty();
            throw new IOException("S3 get of " + key + " failed: " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new IOException("S3 get of " + key + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean exists(String key) throws IOException {
        BlobStore.checkKey(key);
        try {
            s3.headObject(b -> b.bucket(bucket).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) return false;
            throw new IOException("S3 head of " + key + " failed: " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new IOException("S3 head of " + key + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void delete(String key) throws IOException {
        BlobStore.checkKey(key);
        try {
            s3.deleteObject(b -> b.bucket(bucket).key(key));
        } catch (SdkException e) {
            throw new IOException("S3 delete of " + key + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void list(java.util.function.Consumer<Entry> each) throws IOException {
        try {
            for (var object : s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
                if (BlobStore.isKey(object.key())) each.accept(new Entry(object.key(), object.size()));
            }
        } catch (SdkException e) {
            throw new IOException("S3 listing of " + bucket + " failed: " + e.getMessage(), e);
        }
    }

    /** The bucket answers and the local spool folder takes writes. */
    @Override
    public boolean isHealthy() {
        try {
            s3.headBucket(b -> b.bucket(bucket));
            return spool.isWritable();
        } catch (SdkException e) {
            return false;
        }
    }

    /** The underlying client (tests, maintenance). */
    public S3Client client() {
        return s3;
    }

    @Override
    public void close() {
        s3.close();
    }
}
