package dev.alteran.pds.store;

/**
 * Rate-limit counters: one window per (bucket, client) that opens at the client's first hit and
 * lasts {@code windowMs}; every hit inside it counts. Implementations: {@link MemoryRateLimitStore}
 * for one instance, {@link SqlRateLimitStore} when several instances share a database.
 */
public interface RateLimitStore {
    /** The window this hit fell into, after counting it. */
    record Window(long count, long endMs) {}

    /** Counts one hit; {@code limit} is the bucket's, which a store sharing its counts may use to decide how exactly to count. */
    Window hit(String bucket, String client, long nowMs, long windowMs, long limit);
}
