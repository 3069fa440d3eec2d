package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.pds.firehose.Firehose;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * 500 subscribers during write bursts: 450 read everything (on one thread with a minimal client, so
 * the clients' CPU barely competes with the server on a small machine), 50 stall. Every reading
 * subscriber sees every event in order exactly once, stalled ones are cut off, and the writer keeps
 * its pace: bursts with the 500 subscribers are timed against the same bursts without any,
 * alternating, medians compared.
 */
class FirehoseLoadTest {
    static final int FAST = Integer.getInteger("load.fast", 450);
    static final int STALLED = Integer.getInteger("load.stalled", 50);
    static final int BURST = 400;
    static final int RUNS = 3;

    @Test
    void fiveHundredSubscribersDuringWriteBursts() throws Exception {
        var stalled = new ArrayList<Socket>();
        try (var server = TestServer.start(); var clients = new NioSubscribers()) {
            var w = new Writes(server.alteran);
            var http = new HttpWriter(server, AuthClient.login(server).path("accessJwt").asText());
            var firehose = server.alteran.firehose();
            for (int i = 0; i < 1500; i++) http.createPost("warm-up " + i); // JIT

            if (!Boolean.getBoolean("load.skipCutOff")) {
            // 1. Cut-off under load. The stalled subscribers come first, and 4 MB of large events fill their
            // socket buffers (the kernel takes a few MB before a send blocks); then the reading ones join
            // and a burst longer than the per-subscriber buffer (500) runs.
            for (int i = 0; i < STALLED; i++) stalled.add(FirehoseClient.stalled(server, null));
            awaitSubscribers(firehose, STALLED);
            Thread.sleep(300);
            for (int i = 0; i < 100; i++) w.createFiller(40_000);
            long from = server.alteran.sequence().lastSeq();
            var fast = clients.connect(server, FAST, from);
            awaitSubscribers(firehose, FAST + STALLED);
            for (int i = 0; i < 600; i++) http.createPost("burst " + i);
            assertThat(NioSubscribers.await(fast, 600, 60_000)).isNull();
            awaitCount(() -> firehose.cutOffCount(), STALLED);
            awaitSubscribers(firehose, FAST); // they cannot even take the error frame: dropped after a grace
            clients.closeAll();
            for (var s : stalled) s.close();
            stalled.clear();
            awaitSubscribers(firehose, 0);
            }

            // 2. Throughput: bursts alone vs bursts with FAST reading + STALLED stalled subscribers.
            var without = new ArrayList<Long>();
            var with = new ArrayList<Long>();
            var latencies = new ArrayList<String>();
            for (int r = -1; r < RUNS; r++) { // round -1 warms up the delivery path, unmeasured
                long alone = burst(http, null);
                if (r >= 0) without.add(alone);

                for (int i = 0; i < STALLED; i++) stalled.add(FirehoseClient.stalled(server, null));
                long cursor = server.alteran.sequence().lastSeq();
                var subs = clients.connect(server, FAST, cursor);
                awaitSubscribers(firehose, FAST + STALLED);
                Thread.sleep(200);
                var committed = new long[BURST];
                long together = burst(http, committed);
                assertThat(NioSubscribers.await(subs, BURST, 60_000)).isNull();
                if (r >= 0) {
                    with.add(together);
                    latencies.add(latency(subs, committed));
                }
                clients.closeAll();
                for (var s : stalled) s.close();
                stalled.clear();
                awaitSubscribers(firehose, 0);
            }
            double ratio = (double) median(with) / median(without);
            cpu.forEach(System.out::println);
            System.out.printf("bursts of %d commits: ms without subscribers %s, with %d reading + %d stalled %s; "
                    + "median time ratio %.2f; delivery latency p50/p99 us per run %s%n", BURST, without, FAST, STALLED, with, ratio, latencies);
            // A throughput drop below 20% means bursts take less than 1.25 times as long.
            assertThat(ratio).isLessThan(1.25);
        } finally {
            for (var s : stalled) s.close();
        }
    }

    static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    static final List<String> cpu = new ArrayList<>();

    /** Per thread-name group: {user, system} clock ticks so far, from /proc (diagnostics). */
    static java.util.Map<String, long[]> ticks() {
        var out = new java.util.TreeMap<String, long[]>();
        try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
            for (var t : (Iterable<java.nio.file.Path>) tasks::iterator) {
                try {
                    var stat = java.nio.file.Files.readString(t.resolve("stat"));
                    var name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "N");
                    var f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    var a = out.computeIfAbsent(name, k -> new long[2]);
                    a[0] += Long.parseLong(f[11]);
                    a[1] += Long.parseLong(f[12]);
                } catch (java.io.IOException e) {
                    // thread gone
                }
            }
        } catch (java.io.IOException e) {
            return out;
        }
        return out;
    }

    static String diff(java.util.Map<String, long[]> a, java.util.Map<String, long[]> b) {
        var sb = new StringBuilder();
        b.forEach((k, v) -> {
            var o = a.getOrDefault(k, new long[2]);
            long u = v[0] - o[0], sy = v[1] - o[1];
            if (u + sy > 0) sb.append(k).append('=').append(u * 10).append('+').append(sy * 10).append("ms ");
        });
        return sb.toString();
    }

    /** The write path a client uses: com.atproto.repo.createRecord over HTTP with an access token. */
    record HttpWriter(TestServer server, String token) {
        void createPost(String text) {
            var body = "{\"repo\":\"" + server.config.did() + "\",\"collection\":\"app.bsky.feed.post\",\"record\":"
                    + "{\"$type\":\"app.bsky.feed.post\",\"text\":\"" + text + "\",\"createdAt\":\"2024-01-01T00:00:00.000Z\"}}";
            try {
                var r = server.post("/xrpc/com.atproto.repo.createRecord", body, "Authorization", "Bearer " + token);
                if (r.statusCode() != 200) throw new AssertionError(r.statusCode() + " " + r.body());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Writes BURST single-record commits; returns the ms taken. Records when each commit returned, when asked. */
    static long burst(HttpWriter w, long[] committed) {
        var t0ticks = ticks();
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long p0 = OS.getProcessCpuTime(), w0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        for (int i = 0; i < BURST; i++) {
            w.createPost("burst " + i);
            if (committed != null) committed[i] = System.nanoTime();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        cpu.add((committed == null ? "alone" : "with") + ": writer " + (threads.getCurrentThreadCpuTime() - w0) / 1_000_000
                + " ms cpu, process " + (OS.getProcessCpuTime() - p0) / 1_000_000 + " ms cpu, " + ms + " ms wall");
        if (committed != null) {
            try {
                Thread.sleep(1500); // let delivery finish, then count its CPU too
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            cpu.add("  threads (user+sys): " + diff(t0ticks, ticks()));
        }
        return ms;
    }

    /** "p50/p99 us" of arrival minus commit-return time over every delivery (negative when the frame won the race). */
    static String latency(List<NioSubscribers.Sub> subs, long[] committed) {
        var all = new long[subs.size() * committed.length];
        int n = 0;
        for (var s : subs) {
            for (int k = 0; k < committed.length; k++) all[n++] = s.nanosAt(k) - committed[k];
        }
        java.util.Arrays.sort(all, 0, n);
        return all[n / 2] / 1000 + "/" + all[n * 99 / 100] / 1000;
    }

    static long median(List<Long> xs) {
        var s = new ArrayList<>(xs);
        s.sort(null);
        return s.get(s.size() / 2);
    }

    static void awaitSubscribers(Firehose firehose, int n) throws InterruptedException {
        awaitCount(() -> firehose.subscriberCount(), n);
        assertThat(firehose.subscriberCount()).isEqualTo(n);
    }

    static void awaitCount(java.util.function.LongSupplier value, long n) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (value.getAsLong() != n && System.currentTimeMillis() < deadline) Thread.sleep(10);
        assertThat(value.getAsLong()).isEqualTo(n);
    }
}
