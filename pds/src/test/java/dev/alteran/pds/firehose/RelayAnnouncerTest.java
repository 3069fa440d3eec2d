package dev.alteran.pds.firehose;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** requestCrawl announcements against a loopback relay. */
class RelayAnnouncerTest {
    HttpServer relay;
    final LinkedBlockingQueue<String> bodies = new LinkedBlockingQueue<>();
    final AtomicInteger failuresLeft = new AtomicInteger();

    @BeforeEach
    void startRelay() throws Exception {
        relay = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        relay.createContext("/xrpc/com.atproto.sync.requestCrawl", ex -> {
            var body = new String(ex.getRequestBody().readAllBytes());
            boolean ok = ex.getRequestMethod().equals("POST")
                    && ex.getRequestHeaders().getFirst("content-type").startsWith("application/json")
                    && failuresLeft.getAndDecrement() <= 0;
            bodies.add(ex.getRequestMethod() + " " + body + (ok ? "" : " (refused)"));
            var out = ok ? "{}" : "{\"error\":\"InternalServerError\"}";
            ex.sendResponseHeaders(ok ? 200 : 500, out.length());
            ex.getResponseBody().write(out.getBytes());
            ex.close();
        });
        relay.start();
    }

    @AfterEach
    void stopRelay() {
        relay.stop(0);
    }

    String relayUrl() {
        return "http://127.0.0.1:" + relay.getAddress().getPort();
    }

    /**
     * Runs the announcer's tasks on the test thread, in the order they fall due on a virtual clock:
     * the back-off schedule is read off the delays, without waiting for any of them.
     */
    static final class ManualScheduler implements RelayAnnouncer.Scheduler {
        record Task(Runnable run, Duration due) {}

        final List<Task> pending = new ArrayList<>();
        Duration now = Duration.ZERO;
        boolean closed;

        @Override
        public synchronized void schedule(Runnable task, Duration delay) {
            if (!closed) pending.add(new Task(task, now.plus(delay)));
        }

        /** Advances the clock to the earliest due task and runs it; returns the time it ran at. */
        Duration runNext() {
            Task next;
            synchronized (this) {
                assertThat(pending).as("a pending announcement").isNotEmpty();
                next = pending.stream().min(Comparator.comparing(Task::due)).orElseThrow();
                pending.remove(next);
                now = next.due();
            }
            next.run().run();
            return next.due();
        }

        /** When the pending tasks fall due, from now. */
        synchronized List<Duration> waits() {
            return pending.stream().map(t -> t.due().minus(now)).sorted().toList();
        }

        @Override
        public synchronized void close() {
            closed = true;
            pending.clear();
        }
    }

    final ManualScheduler scheduler = new ManualScheduler();

    @Test
    void announcesOnStartAndRetriesFailuresWithBackoff() throws Exception {
        failuresLeft.set(2);
        try (var announcer = new RelayAnnouncer("pds.example.com", List.of(relayUrl()), Duration.ofSeconds(2), scheduler).start()) {
            assertThat(scheduler.waits()).containsExactly(Duration.ofSeconds(2));
            assertThat(scheduler.runNext()).isEqualTo(Duration.ofSeconds(2));
            assertThat(bodies.poll()).endsWith("(refused)");
            assertThat(scheduler.waits()).containsExactly(Duration.ofMinutes(1));
            scheduler.runNext();
            assertThat(bodies.poll()).endsWith("(refused)");
            assertThat(scheduler.waits()).containsExactly(Duration.ofMinutes(2)); // the delay doubles
            assertThat(scheduler.runNext()).isEqualTo(Duration.ofSeconds(2).plusMinutes(3));
            var ok = bodies.poll();
            assertThat(ok).startsWith("POST ").doesNotEndWith("(refused)");
            assertThat(new ObjectMapper().readTree(ok.substring(5)).path("hostname").asText()).isEqualTo("pds.example.com");
            assertThat(announcer.successCount()).isEqualTo(1);
            assertThat(announcer.failureCount()).isEqualTo(2);
            assertThat(scheduler.waits()).containsExactly(Duration.ofHours(12)); // the next announcement
            assertThat(bodies).isEmpty();
        }
        assertThat(scheduler.closed).isTrue();
    }

    @Test
    void backOffDoublesUpToAnHourAndStartsOverAfterASuccess() throws Exception {
        failuresLeft.set(8);
        try (var announcer = new RelayAnnouncer("pds.example.com", List.of(relayUrl()), Duration.ZERO, scheduler).start()) {
            var waits = new ArrayList<Duration>();
            for (int i = 0; i < 8; i++) {
                scheduler.runNext();
                waits.addAll(scheduler.waits());
            }
            assertThat(waits).extracting(Duration::toMinutes).containsExactly(1L, 2L, 4L, 8L, 16L, 32L, 60L, 60L);
            scheduler.runNext();
            assertThat(announcer.successCount()).isEqualTo(1);
            assertThat(scheduler.waits()).containsExactly(Duration.ofHours(12));
            failuresLeft.set(1);
            scheduler.runNext();
            assertThat(scheduler.waits()).containsExactly(Duration.ofMinutes(1)); // not 2 hours: the success reset it
            assertThat(announcer.failureCount()).isEqualTo(9);
            assertThat(bodies).hasSize(10);
        }
    }

    @Test
    void everyRelayIsAskedAndAnUnreachableOneDoesNotStopTheOthers() throws Exception {
        try (var announcer = new RelayAnnouncer("pds.example.com", List.of("http://127.0.0.1:1", relayUrl()), Duration.ZERO,
                scheduler).start()) {
            assertThat(scheduler.waits()).containsExactly(Duration.ZERO, Duration.ZERO);
            scheduler.runNext();
            scheduler.runNext();
            assertThat(bodies.poll()).contains("pds.example.com");
            assertThat(announcer.failureCount()).isEqualTo(1);
            assertThat(announcer.successCount()).isEqualTo(1);
            assertThat(scheduler.waits()).containsExactly(Duration.ofMinutes(1), Duration.ofHours(12));
        }
    }

    @Test
    void noHostnameNoAnnouncement() {
        try (var announcer = new RelayAnnouncer(null, List.of(relayUrl()), Duration.ZERO, scheduler).start()) {
            assertThat(scheduler.pending).isEmpty();
            assertThat(announcer.successCount() + announcer.failureCount()).isZero();
        }
    }

    @Test
    void theDefaultSchedulerRunsOnAThreadOfItsOwn() throws Exception {
        try (var announcer = new RelayAnnouncer("pds.example.com", List.of(relayUrl()), Duration.ZERO).start()) {
            assertThat(bodies.poll(10, TimeUnit.SECONDS)).startsWith("POST ").contains("pds.example.com");
        }
    }

    @Test
    void bareHostsAreReachedOverHttps() {
        assertThat(RelayAnnouncer.endpoint("bsky.network").toString()).isEqualTo("https://bsky.network/xrpc/com.atproto.sync.requestCrawl");
        assertThat(RelayAnnouncer.endpoint("relay.example.com:8443").toString())
                .isEqualTo("https://relay.example.com:8443/xrpc/com.atproto.sync.requestCrawl");
        assertThat(RelayAnnouncer.endpoint("http://127.0.0.1:2470/").toString())
                .isEqualTo("http://127.0.0.1:2470/xrpc/com.atproto.sync.requestCrawl");
    }
}
