package dev.alteran.pds.firehose;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.alteran.pds.store.Dialect;
import dev.alteran.pds.store.JobLeases;
import dev.alteran.pds.store.TestDatabase;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Two instances on one database ask a relay to crawl once a round between them; one takes over when the
 * other is killed (its lease lapses) or at once when the other stops as it should (it releases the lease).
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Dialect.class)
class RelayAnnouncerLeaseTest {
    @Parameter
    Dialect dialect;
    @TempDir
    Path dir;
    HttpServer relay;
    final AtomicInteger crawls = new AtomicInteger();
    /** Both instances' schedules on one virtual clock, which the leases read too. */
    final RelayAnnouncerTest.ManualScheduler scheduler = new RelayAnnouncerTest.ManualScheduler();
    final Instant start = Instant.parse("2026-01-01T00:00:00Z");

    @BeforeEach
    void startRelay() throws Exception {
        relay = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        relay.createContext("/xrpc/com.atproto.sync.requestCrawl", ex -> {
            ex.getRequestBody().readAllBytes();
            crawls.incrementAndGet();
            ex.sendResponseHeaders(200, 2);
            ex.getResponseBody().write("{}".getBytes());
            ex.close();
        });
        relay.start();
    }

    @AfterEach
    void stopRelay() {
        relay.stop(0);
    }

    Clock clock() {
        return new Clock() {
            @Override public ZoneId getZone() { return ZoneOffset.UTC; }
            @Override public Clock withZone(ZoneId zone) { return this; }
            @Override public Instant instant() { return start.plus(scheduler.now); }
        };
    }

    /** Each announcer's tasks, told apart so one instance can be stopped while the other runs on. */
    record Tagged(RelayAnnouncer.Scheduler inner, String name, List<String> stopped) implements RelayAnnouncer.Scheduler {
        @Override
        public void schedule(Runnable task, Duration delay) {
            inner.schedule(() -> {
                if (!stopped.contains(name)) task.run();
            }, delay);
        }

        @Override
        public void close() {
            stopped.add(name);
        }
    }

    @Test
    void onePeriodicRequestPerRoundAcrossInstances() {
        var relayUrl = "http://127.0.0.1:" + relay.getAddress().getPort();
        var database = TestDatabase.create(dialect, dir);
        var stopped = new java.util.concurrent.CopyOnWriteArrayList<String>();
        try (var dbA = database.open(); var dbB = database.open();
                var b = new RelayAnnouncer("pds.example.com", List.of(relayUrl), Duration.ZERO, new Tagged(scheduler, "b", stopped))
                        .leasedBy(new JobLeases(dbB, clock()))) {
            var a = new RelayAnnouncer("pds.example.com", List.of(relayUrl), Duration.ZERO, new Tagged(scheduler, "a", stopped))
                    .leasedBy(new JobLeases(dbA, clock()));
            a.start();
            b.start();
            scheduler.runNext();
            scheduler.runNext();
            assertThat(crawls.get()).as("the first round: one request").isEqualTo(1);
            assertThat(a.successCount() + b.successCount()).isEqualTo(1);
            assertThat(scheduler.waits()).as("both look again next round").containsExactly(RelayAnnouncer.PERIOD, RelayAnnouncer.PERIOD);
            scheduler.runNext();
            scheduler.runNext();
            assertThat(crawls.get()).as("the second round: one request").isEqualTo(2);
            var holder = a.successCount() == 2 ? a : b;
            assertThat(holder.successCount()).as("the holder keeps its lease").isEqualTo(2);
            var other = holder == a ? b : a;
            stopped.add(holder == a ? "a" : "b"); // that instance is killed: its lease is left to lapse
            scheduler.runNext();
            scheduler.runNext();
            assertThat(crawls.get()).as("its lease lapsed: the other instance announces").isEqualTo(3);
            assertThat(other.successCount()).isEqualTo(1);

            other.close(); // stopped as it should be: it hands its lease on
            try (var restarted = new RelayAnnouncer("pds.example.com", List.of(relayUrl), Duration.ZERO, new Tagged(scheduler, "c", stopped))
                    .leasedBy(new JobLeases(dbA, clock())).start()) {
                scheduler.runNext();
                assertThat(crawls.get()).as("a restart announces at once").isEqualTo(4);
                assertThat(restarted.successCount()).isEqualTo(1);
            }
        }
    }
}
