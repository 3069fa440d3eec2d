package dev.alteran.pds.http;

import dev.alteran.pds.config.TrustedProxies;
import dev.alteran.pds.store.RateLimitStore;
import dev.alteran.pds.wire.XrpcException;
import jakarta.servlet.http.HttpServletRequest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Clock;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-client limits on the XRPC routes that change state, one bucket per kind of route (declared by
 * each route), each a one-minute window. Every response of a limited route says where the client stands, under both the
 * {@code x-ratelimit-*} names and the {@code ratelimit-*} names the reference PDS sends; over the
 * limit the request is refused with 429 RateLimitExceeded before its handler runs.
 */
public final class RateLimiter {
    public static final long WINDOW_MS = 60_000;
    private static final Logger log = LoggerFactory.getLogger(RateLimiter.class);

    /** The kinds of limited routes; each route names its own where it is registered. */
    public enum Bucket {
        /** Procedures that change state: record writes, handle and preference updates, sessions. */
        WRITE,
        BLOB,
        LOGIN
    }

    /** Where a client stands after a hit. */
    public record Status(int limit, long remaining, long resetEpochSec, long retryAfterSec, boolean exceeded) {}

    private final RateLimitStore store;
    private final TrustedProxies proxies;
    private final Map<Bucket, Integer> limits;
    private final Clock clock;
    private final Map<Bucket, Counter> rejections = new EnumMap<>(Bucket.class);

    /** Refused requests are counted in {@code meters} as {@code alteran.ratelimit.rejections} by bucket. */
    public RateLimiter(RateLimitStore store, TrustedProxies proxies, Map<Bucket, Integer> limits, Clock clock, MeterRegistry meters) {
        for (var bucket : Bucket.values()) {
            rejections.put(bucket, Counter.builder("alteran.ratelimit.rejections").description("Requests refused with 429 by a rate limit")
                    .tag("bucket", bucket.name().toLowerCase(Locale.ROOT)).register(meters));
        }
        this.store = store;
        this.proxies = proxies;
        this.limits = new EnumMap<>(limits);
        for (var bucket : Bucket.values()) {
            if (limits.getOrDefault(bucket, 0) <= 0) throw new IllegalArgumentException("no positive limit for " + bucket);
        }
        this.clock = clock;
    }

    /** Counts one hit of {@code client} in {@code bucket}. */
    public Status hit(Bucket bucket, String client) {
        int limit = limits.get(bucket);
        long now = clock.millis();
        var window = store.hit(bucket.name().toLowerCase(Locale.ROOT), client, now, WINDOW_MS, limit);
        long remaining = Math.max(0, limit - window.count());
        long retryAfter = Math.max(1, (window.endMs() - now + 999) / 1000);
        return new Status(limit, remaining, (window.endMs() + 999) / 1000, retryAfter, window.count() > limit);
    }

    /**
     * Counts the request against its bucket and writes the headers; over the limit it throws the 429.
     * A failing store lets the request through (logged): the limits guard the PDS, they must not take it down.
     */
    public void enforce(Bucket bucket, HttpServletRequest req, HttpServletResponse resp) {
        Status status;
        try {
            status = hit(bucket, proxies.clientKey(req));
        } catch (RuntimeException e) {
            log.error("rate-limit store failed; request allowed", e);
            return;
        }
        var limit = Integer.toString(status.limit());
        var remaining = Long.toString(status.remaining());
        var reset = Long.toString(status.resetEpochSec());
        resp.setHeader("x-ratelimit-limit", limit);
        resp.setHeader("x-ratelimit-remaining", remaining);
        resp.setHeader("x-ratelimit-reset", reset);
        resp.setHeader("ratelimit-limit", limit);
        resp.setHeader("ratelimit-remaining", remaining);
        resp.setHeader("ratelimit-reset", reset);
        resp.setHeader("ratelimit-policy", limit + ";w=" + WINDOW_MS / 1000);
        if (status.exceeded()) {
            rejections.get(bucket).increment();
            resp.setHeader("retry-after", Long.toString(status.retryAfterSec()));
            throw new XrpcException(429, "RateLimitExceeded", "Rate Limit Exceeded");
        }
    }
}
