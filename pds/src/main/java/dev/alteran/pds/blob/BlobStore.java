package dev.alteran.pds.blob;

import dev.alteran.pds.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Optional;

/**
 * Content-addressed blob bytes, keyed by the blob's CID string. An upload's key is known only once
 * all of it has been hashed, so bytes first go to a temporary object ({@link #putTemp}) that no key
 * names, and {@link #promote} then makes them visible under their key at once: a reader never sees
 * a partial blob. Memory use is bounded by a copy buffer, whatever the blob's size.
 */
public interface BlobStore extends AutoCloseable {
    /** Writes the whole stream to a new temporary object and returns its handle. On failure nothing is left. */
    String putTemp(InputStream content) throws IOException;

    /**
     * Makes a temporary object visible under {@code key} and removes the temporary one. An object
     * already under the key is kept: with content addressing it holds the same bytes.
     */
    void promote(String tempKey, String key) throws IOException;

    /** Removes a temporary object (an upload that was refused or failed); no error when it is gone. */
    void deleteTemp(String tempKey) throws IOException;

    /** Removes temporary objects older than {@code age}: uploads abandoned by a crash. Returns how many. */
    int purgeTemp(Duration age) throws IOException;

    /** {@link #putTemp} then {@link #promote}, for content whose key is known up front. */
    default void put(String key, InputStream content) throws IOException {
        var temp = putTemp(content);
        try {
            promote(temp, key);
        } finally {
            deleteTemp(temp);
        }
    }

    Optional<InputStream> get(String key) throws IOException;

    boolean exists(String key) throws IOException;

    /** Removes the object under {@code key}; no error when there is none. */
    void delete(String key) throws IOException;

    /** One stored object: its key and size in bytes. */
    record Entry(String key, long size) {}

    /** Tells {@code each} every object under a key (not the temporary ones), in no particular order: for backups. */
    void list(java.util.function.Consumer<Entry> each) throws IOException;

    /** For /health: the store can be written to now. */
    boolean isHealthy();

    /** Releases connections; the files store holds none. */
    @Override
    default void close() {}

    /** The store the configuration names: files under {@code <data>/blobs}, or an S3 bucket. */
    static BlobStore open(Config config) {
        var storage = config.blobStorage();
        if (storage.isS3()) return S3BlobStore.open(storage, config.dataDir().resolve("blob-spool"));
        return new FileBlobStore(config.dataDir().resolve("blobs"));
    }

    /** Keys are CID strings (base32, lower case): checked so that no key can name a path or an odd object. */
    static String checkKey(String key) {
        if (!isKey(key)) throw new IllegalArgumentException("not a blob key: " + key);
        return key;
    }

    /** Whether {@code name} has the shape of a blob key (a listing skips anything else it finds). */
    static boolean isKey(String name) {
        return name != null && name.matches("[a-z2-7]{8,128}");
    }
}
