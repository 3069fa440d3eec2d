package dev.alteran.pds.blob;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Content-addressed blob bytes, keyed by the blob's CID string. Implementations make a blob visible
 * only once it is complete, so a reader never sees a partial file.
 */
public interface BlobStore {
    /** Stores the stream under {@code key}; returns the number of bytes written. Replaces nothing that is already there. */
    long put(String key, InputStream content) throws IOException;

    Optional<InputStream> get(String key) throws IOException;

    boolean exists(String key) throws IOException;

    void delete(String key) throws IOException;

    /** For /health: the store can be written to now. */
    boolean isHealthy();
}
