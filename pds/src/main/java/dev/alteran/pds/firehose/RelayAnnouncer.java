package dev.alteran.pds.firehose;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.alteran.pds.store.JobLeases;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks relays to crawl this PDS: {@code POST /xrpc/com.atproto.sync.requestCrawl {hostname}} to every
 * configured relay, shortly after start-up and then every 12 hours. A failed request is logged and
 * retried with a doubling delay (1 minute up to 1 hour). Runs on its own thread; requests never wait
 * for it. A relay is a host name (reached over https) or an http(s) URL of a host, e.g. a local relay.
 * With {@link #leasedBy job leases}, instances sharing a database make each periodic announcement once
 * between them: a round goes ahead on the instance holding the relay's lease and is skipped elsewhere.
 */
public final class RelayAnnouncer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RelayAnnouncer.class);
    public static final Duration PERIOD = Duration.ofHours(12);
    public static final Duration FIRST_RETRY = Duration.ofMinutes(1);
    public static final Duration MAX_RETRY = Duration.ofHours(1);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** Shorter than the period, so the holder's lease has lapsed when any instance's next round comes. */
    static final Duration LEASE = PERIOD.minusHours(1);
    private static final String LEASE_PREFIX = "relay-crawl ";

    /**
     * What runs the announcements after their delays: a daemon thread of its own ({@link #ownThread()});
     * a test runs them by hand, so the schedule is checked without waiting for it.
     */
    public interface Scheduler extends AutoCloseable {
        /** Runs {@code task} once after {@code delay}; nothing once closed. */
        void schedule(Runnable task, Duration delay);

        /** Drops what is pending and waits, boundedly, for a task that is running. */
        @Override
        void close();
    }

    private final String hostname;
    private final List<String> relays;
    private final Duration initialDelay;
    private volatile HttpClient http; // built by the first announcement, on the scheduler thread: no TLS set-up at start-up
    private final Scheduler scheduler;
    private volatile JobLeases leases; // null: this instance is alone
    private final Map<String, Duration> retry = new ConcurrentHashMap<>();
    private final AtomicLong successes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    /** The last answer of each relay, kept in memory only: the owner's page shows it. */
    private final Map<String, Crawl> last = new ConcurrentHashMap<>();

    /** One requestCrawl: when, whether the relay accepted it, and what it said (or what went wrong). */
    public record Crawl(java.time.Instant at, boolean ok, String result) {}

    /** A configured relay and its last requestCrawl since start-up (null: not asked yet). */
    public record RelayState(String relay, Crawl last) {}

    public RelayAnnouncer(String hostname, List<String> relays, Duration initialDelay) {
        this(hostname, relays, initialDelay, ownThread());
    }

    public RelayAnnouncer(String hostname, List<String> relays, Duration initialDelay, Scheduler scheduler) {
        this.hostname = hostname;
        this.relays = List.copyOf(relays);
        this.initialDelay = initialDelay;
        this.scheduler = scheduler;
    }

    /** A scheduler on a daemon thread of its own. */
    public static Scheduler ownThread() {
        var executor = Executors.newSingleThreadScheduledExecutor(r -> {
            var t = new Thread(r, "alteran-relay-announcer");
            t.setDaemon(true);
            return t;
        });
        return new Scheduler() {
            @Override
            public void schedule(Runnable task, Duration delay) {
                try {
                    executor.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    // closed
                }
            }

            @Override
            public void close() {
                executor.shutdownNow();
                try {
                    executor.awaitTermination(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS); // the client belongs to this thread
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    /** Periodic announcements go through these leases (before {@link #start()}). */
    public RelayAnnouncer leasedBy(JobLeases leases) {
        this.leases = leases;
        return this;
    }

    /** Schedules the first announcement to every relay. Without a hostname there is nothing to announce. */
    public RelayAnnouncer start() {
        if (hostname == null || hostname.isBlank()) {
            if (!relays.isEmpty()) log.warn("PDS_HOSTNAME is not set: relays are not asked to crawl this PDS");
            return this;
        }
        for (var relay : relays) schedule(relay, initialDelay);
        return this;
    }

    /**
     * Asks every relay to crawl now, once, beside the periodic requests (an account that was just
     * activated wants its new events picked up); a failure here is logged and left to the periodic ones.
     */
    public void requestCrawlNow() {
        if (hostname == null || hostname.isBlank()) return;
        for (var relay : relays) scheduler.schedule(() -> announce(relay, false), Duration.ZERO);
    }

    /** The requestCrawl URL of a relay: a bare host is reached over https. */
    public static URI endpoint(String relay) {
        var base = relay.startsWith("http://") || relay.startsWith("https://") ? relay : "https://" + relay;
        if (base.endsWith("/")) base = base.substring(0, base.length() - 1);
        return URI.create(base + "/xrpc/com.atproto.sync.requestCrawl");
    }

    /** Every configured relay with its last requestCrawl, in configuration order. */
    public List<RelayState> relays() {
        return relays.stream().map(r -> new RelayState(r, last.get(r))).toList();
    }

    public long successCount() {
        return successes.get();
    }

    public long failureCount() {
        return failures.get();
    }

    private void schedule(String relay, Duration delay) {
        scheduler.schedule(() -> announce(relay, true), delay);
    }

    private void announce(String relay, boolean periodic) {
        if (periodic && !leased(relay)) {
            schedule(relay, PERIOD); // another instance announces this round; this one looks again next round
            return;
        }
        var uri = endpoint(relay);
        String problem;
        try {
            var body = new ObjectMapper().writeValueAsBytes(Map.of("hostname", hostname));
            var req = HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
            if (http == null) http = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
            var resp = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (resp.statusCode() / 100 == 2) {
                successes.incrementAndGet();
                last.put(relay, new Crawl(java.time.Instant.now(), true, "HTTP " + resp.statusCode()));
                log.info("asked relay {} to crawl {}", relay, hostname);
                if (periodic) {
                    retry.remove(relay);
                    schedule(relay, PERIOD);
                }
                return;
            }
            problem = "HTTP " + resp.statusCode() + " " + abbreviate(resp.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            problem = e.toString();
        }
        failures.incrementAndGet();
        last.put(relay, new Crawl(java.time.Instant.now(), false, problem));
        if (!periodic) {
            log.warn("requestCrawl to relay {} failed ({})", relay, problem);
            return;
        }
        var next = retry.merge(relay, FIRST_RETRY, (old, first) -> old.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : old.multipliedBy(2));
        log.warn("requestCrawl to relay {} failed ({}); retrying in {}", relay, problem, next);
        schedule(relay, next);
    }

    /** Whether this instance makes this round's announcement to {@code relay}; a lease the database cannot give is taken as held. */
    private boolean leased(String relay) {
        var l = leases;
        if (l == null) return true;
        try {
            return l.tryAcquire(LEASE_PREFIX + relay, LEASE);
        } catch (RuntimeException e) {
            log.warn("cannot take the requestCrawl lease for {}; announcing anyway", relay, e);
            return true;
        }
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    @Override
    public void close() {
        scheduler.close();
        if (http != null) http.close();
        // A stopping instance hands its rounds on: restarted (or another instance started), it announces at once.
        var l = leases;
        if (l != null) {
            for (var relay : relays) {
                try {
                    l.release(LEASE_PREFIX + relay);
                } catch (RuntimeException e) {
                    log.debug("cannot release the requestCrawl lease for {}", relay, e);
                }
            }
        }
    }
}
