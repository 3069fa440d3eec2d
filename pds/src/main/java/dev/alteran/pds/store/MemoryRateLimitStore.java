package dev.alteran.pds.store;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters in this process. Bounded: expired windows are swept at most once per {@code sweepEveryMs};
 * when the map is still full, new clients share one overflow counter per bucket, so a flood of
 * addresses neither grows memory nor escapes the limit.
 */
public final class MemoryRateLimitStore implements RateLimitStore {
    static final String OVERFLOW = "*";
    private final int maxEntries;
    private final long sweepEveryMs;
    private final ConcurrentHashMap<Key, Window> windows = new ConcurrentHashMap<>();
    private final AtomicLong lastSweep = new AtomicLong();

    private record Key(String bucket, String client) {}

    public MemoryRateLimitStore() {
        this(100_000, 10_000);
    }

    public MemoryRateLimitStore(int maxEntries, long sweepEveryMs) {
        this.maxEntries = maxEntries;
        this.sweepEveryMs = sweepEveryMs;
    }

    @Override
    public Window hit(String bucket, String client, long nowMs, long windowMs, long limit) {
        sweepIfDue(nowMs);
        var key = new Key(bucket, client);
        if (windows.size() >= maxEntries && !windows.containsKey(key)) key = new Key(bucket, OVERFLOW);
        return windows.compute(key, (k, w) -> w == null || w.endMs() <= nowMs
                ? new Window(1, nowMs + windowMs)
                : new Window(w.count() + 1, w.endMs()));
    }

    /** Live entries, for tests of the bound. */
    int size() {
        return windows.size();
    }

    private void sweepIfDue(long nowMs) {
        long last = lastSweep.get();
        boolean due = nowMs - last >= sweepEveryMs || (windows.size() >= maxEntries && nowMs > last);
        if (due && lastSweep.compareAndSet(last, nowMs)) {
            windows.values().removeIf(w -> w.endMs() <= nowMs);
        }
    }
}
