package dev.alteran.pds.firehose;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.time.Duration;
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

    @Test
    void announcesOnStartAndRetriesFailuresWithBackoff() throws Exception {
        failuresLeft.set(2);
        try (var announcer = new RelayAnnouncer("pds.example.com", List.of(relayUrl()), Duration.ZERO,
                Duration.ofHours(12), Duration.ofMillis(100)).start()) {
            assertThat(bodies.poll(5, TimeUnit.SECONDS)).endsWith("(refused)");
            long t1 = System.nanoTime();
            assertThat(bodies.poll(5, TimeUnit.SECONDS)).endsWith("(refused)");
            long t2 = System.nanoTime();
            var ok = bodies.poll(5, TimeUnit.SECONDS);
            long t3 = System.nanoTime();
            long deadline = System.currentTimeMillis() + 5_000;
            while (announcer.successCount() < 1 && System.currentTimeMillis() < deadline) Thread.sleep(10);
            assertThat(ok).startsWith("POST ");
            assertThat(new ObjectMapper().readTree(ok.substring(5)).path("hostname").asText()).isEqualTo("pds.example.com");
            assertThat(t3 - t2).isGreaterThan(t2 - t1); // the delay doubles
            assertThat(announcer.successCount()).isEqualTo(1);
            assertThat(announcer.failureCount()).isEqualTo(2);
            // The next announcement is 12 hours away.
            assertThat(bodies.poll(500, TimeUnit.MILLISECONDS)).isNull();
        }
    }

    @Test
    void everyRelayIsAskedAndAnUnreachableOneDoesNotStopTheOthers() throws Exception {
        try (var announcer = new RelayAnnouncer("pds.example.com", List.of("http://127.0.0.1:1", relayUrl()), Duration.ZERO,
                Duration.ofHours(12), Duration.ofHours(1)).start()) {
            assertThat(bodies.poll(10, TimeUnit.SECONDS)).contains("pds.example.com");
            long deadline = System.currentTimeMillis() + 10_000;
            while ((announcer.failureCount() < 1 || announcer.successCount() < 1) && System.currentTimeMillis() < deadline) Thread.sleep(10);
            assertThat(announcer.failureCount()).isEqualTo(1);
            assertThat(announcer.successCount()).isEqualTo(1);
        }
    }

    @Test
    void noHostnameNoAnnouncement() throws Exception {
        try (var announcer = new RelayAnnouncer(null, List.of(relayUrl()), Duration.ZERO).start()) {
            assertThat(bodies.poll(300, TimeUnit.MILLISECONDS)).isNull();
            assertThat(announcer.successCount() + announcer.failureCount()).isZero();
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
