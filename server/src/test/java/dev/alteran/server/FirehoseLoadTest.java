package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.pds.firehose.Firehose;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * 500 subscribers during write bursts (createRecord over HTTP, as clients write): 450 read everything
 * (on one thread with a minimal client, so the clients' CPU barely competes with the server on a small
 * machine), 50 stall. Every reader sees every event in order exactly once, stalled ones are cut off,
 * and the writer keeps its pace: bursts with the 500 subscribers are timed against the same bursts
 * without any, alternating, medians compared.
 *
 * <p>Tagged "load": a timing ratio under load, so not part of the normal build; bench/load-tests.sh runs it.
 */
@Tag("load")
class FirehoseLoadTest {
    static final int FAST = Integer.getInteger("load.fast", 450);
    static final int STALLED = Integer.getInteger("load.stalled", 50);
    static final int BURST = 400;
    static final int RUNS = 3;

    @Test
    void fiveHundredSubscribersDuringWriteBursts() throws Exception {
        try (var server = TestServer.start(); var clients = new NioSubscribers()) {
            var http = new HttpWriter(server, AuthClient.login(server).path("accessJwt").asText());
            for (int i = 0; i < 600; i++) http.createPost("warm-up " + i); // JIT
            everyReaderGetsEverythingAndStalledOnesAreCutOff(server, clients, http);
            writerKeepsItsPace(server, clients, http);
        }
    }

    /**
     * The stalled subscribers come first, and 4 MB of large events fill their socket buffers (the
     * kernel takes a few MB before a send blocks); then the readers join and a burst longer than the
     * per-subscriber buffer (500 events) runs.
     */
    private static void everyReaderGetsEverythingAndStalledOnesAreCutOff(TestServer server, NioSubscribers clients, HttpWriter http)
            throws Exception {
        var firehose = server.alteran.firehose();
        var stalled = new ArrayList<Socket>();
        try {
            for (int i = 0; i < STALLED; i++) stalled.add(FirehoseClient.stalled(server, null));
            awaitLive(firehose, STALLED); // live before the filler, so the filler reaches their sockets
            var w = new Writes(server.alteran);
            for (int i = 0; i < 100; i++) w.createFiller(40_000);
            long from = server.alteran.sequence().lastSeq();
            var readers = clients.connect(server, FAST, from);
            awaitSubscribers(firehose, FAST + STALLED);
            for (int i = 0; i < 600; i++) http.createPost("burst " + i);
            assertThat(NioSubscribers.await(readers, 600, 60_000)).isNull(); // each in order, exactly once
            awaitCount(firehose::cutOffCount, STALLED);
            awaitSubscribers(firehose, FAST); // they cannot even take the error frame: dropped after a grace
        } finally {
            clients.closeAll();
            for (var s : stalled) s.close();
        }
        awaitSubscribers(firehose, 0);
    }

    /** Bursts alone vs bursts with FAST reading and STALLED stalled subscribers, alternating; medians compared. */
    private static void writerKeepsItsPace(TestServer server, NioSubscribers clients, HttpWriter http) throws Exception {
        var firehose = server.alteran.firehose();
        var without = new ArrayList<Long>();
        var with = new ArrayList<Long>();
        var latencies = new ArrayList<String>();
        long[] machine0 = null;
        long ours0 = 0;
        for (int r = -1; r < RUNS; r++) { // round -1 warms up the delivery path, unmeasured
            if (r == 0) {
                machine0 = machineTicks();
                ours0 = OS.getProcessCpuTime();
            }
            long alone = burst(http, null);
            var stalled = new ArrayList<Socket>();
            try {
                for (int i = 0; i < STALLED; i++) stalled.add(FirehoseClient.stalled(server, null));
                long cursor = server.alteran.sequence().lastSeq();
                var readers = clients.connect(server, FAST, cursor);
                awaitLive(firehose, FAST + STALLED); // every one receives the measured burst as it happens
                var committed = new long[BURST];
                var r0 = firehose.rounds();
                long together = burst(http, committed);
                assertThat(NioSubscribers.await(readers, BURST, 60_000)).isNull();
                var r1 = firehose.rounds();
                cpu.add("  fan-out rounds " + (r1[0] - r0[0]) + " carrying " + (r1[1] - r0[1]) + " frames");
                if (r >= 0) {
                    without.add(alone);
                    with.add(together);
                    latencies.add(latency(readers, committed));
                }
            } finally {
                clients.closeAll();
                for (var s : stalled) s.close();
            }
            awaitSubscribers(firehose, 0);
        }
        // Other processes' share of the machine while we measured: where they keep the CPUs busy, the
        // fan-out's CPU competes with the writer for what is left, and no design keeps the writer's pace.
        var machine1 = machineTicks();
        double capacityNanos = (machine1[0] - machine0[0]) * 10_000_000.0; // 100 ticks per second
        double othersShare = Math.max(0, ((machine1[1] - machine0[1]) * 10_000_000.0 - (OS.getProcessCpuTime() - ours0)) / capacityNanos);
        // The 450 readers run in this JVM on the same 2 cores, so their frame parsing competes with the
        // writer as much as the fan-out does: measured 1.66-2.66 on a quiet 2-core machine, 2.4 under load.
        // The bound catches coupling of writers to subscribers (a fan-out that writers wait for stalls them
        // on the stalled subscribers: many times slower, or never done); the 1.2 target needs
        // subscribers on cores of their own (see BENCHMARKS.md).
        // Where other processes take a large share of the 2 cores, the writer loses CPU to them as well
        // (3.1 measured with 49% taken): only gross coupling is asserted then.
        double bound = othersShare < 0.2 ? 4.0 : 6.0;
        double ratio = (double) median(with) / median(without);
        cpu.forEach(System.out::println);
        System.out.printf("bursts of %d commits: ms without subscribers %s, with %d reading + %d stalled %s; median time ratio %.2f "
                        + "(bound %.2f: other processes used %.0f%% of the machine); delivery latency p50/p99 us per run %s%n",
                BURST, without, FAST, STALLED, with, ratio, bound, othersShare * 100, latencies);
        assertThat(ratio).isLessThan(bound);
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

    static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    static final List<String> cpu = new ArrayList<>();

    /** Writes BURST single-record commits; returns the ms taken. Records when each commit returned, when asked. */
    static long burst(HttpWriter w, long[] committed) {
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

    /** {total, busy} clock ticks of all CPUs, from /proc/stat. */
    static long[] machineTicks() {
        try {
            var f = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long total = 0;
            for (int i = 1; i <= 8; i++) total += Long.parseLong(f[i]);
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {total, total - idle};
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
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

    static void awaitLive(Firehose firehose, int n) throws InterruptedException {
        awaitSubscribers(firehose, n);
        awaitCount(() -> firehose.liveCount(), n);
    }

    static void awaitCount(java.util.function.LongSupplier value, long n) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (value.getAsLong() != n && System.currentTimeMillis() < deadline) Thread.sleep(10);
        assertThat(value.getAsLong()).isEqualTo(n);
    }
}
