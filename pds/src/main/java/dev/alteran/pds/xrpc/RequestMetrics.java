package dev.alteran.pds.xrpc;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;

/**
 * {@code alteran.xrpc.requests}: a timer per answered NSID and HTTP status, with latency buckets. The
 * NSID tag comes only from a fixed set (this server's routes and the bundled Lexicons); any other name
 * a client sends is {@code other}, so strangers cannot grow the series without bound. Timers are
 * looked up by plain map and array reads, so a request builds no meter id once its pair has been seen.
 */
public final class RequestMetrics {
    public static final String NAME = "alteran.xrpc.requests";
    public static final String OTHER = "other";
    /** Histogram buckets: enough to tell a fast read from a slow write or a stalled proxy, few enough to keep the series small. */
    private static final Duration[] BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
        Duration.ofSeconds(10)};

    private final MeterRegistry registry;
    private final Set<String> known;
    private final ConcurrentHashMap<String, AtomicReferenceArray<Timer>> byNsid = new ConcurrentHashMap<>();
    private final Function<String, AtomicReferenceArray<Timer>> newStatuses = nsid -> new AtomicReferenceArray<>(600);

    /** @param known the NSIDs that may appear as a tag */
    public RequestMetrics(MeterRegistry registry, Set<String> known) {
        this.registry = registry;
        this.known = Set.copyOf(known);
    }

    /** Records one answered call. */
    public void record(String nsid, int status, long nanos) {
        timer(nsid, status).record(nanos, TimeUnit.NANOSECONDS);
    }

    Timer timer(String nsid, int status) {
        var tag = known.contains(nsid) ? nsid : OTHER;
        var statuses = byNsid.get(tag);
        if (statuses == null) statuses = byNsid.computeIfAbsent(tag, newStatuses);
        int slot = status >= 100 && status < 600 ? status : 0;
        var timer = statuses.get(slot);
        if (timer == null) {
            // The registry hands back the same timer for the same id, so a race here only repeats the lookup.
            timer = Timer.builder(NAME).description("XRPC calls answered, by method and HTTP status")
                    .tags("nsid", tag, "status", slot == 0 ? OTHER : Integer.toString(status))
                    .serviceLevelObjectives(BUCKETS).register(registry);
            statuses.set(slot, timer);
        }
        return timer;
    }
}
