package dev.alteran.bench.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;

/**
 * N clients, each sending its next request as soon as the last one answered, for a warm-up and then a
 * measured period (bounded in time and in count). Throughput is over the measured period only.
 */
final class ClosedLoop {
    /** One request; the index is the client's number. Throwing counts as an error. */
    @FunctionalInterface
    interface Op {
        void run(int client) throws Exception;
    }

    record Result(long ok, long errors, double seconds, Latencies latencies, String firstError, double serverCpuSeconds,
                  double clientCpuSeconds) {
        double perSecond() {
            return ok / seconds;
        }

        /** The server's CPU time per successful request in microseconds. */
        double serverCpuMicros() {
            return serverCpuSeconds * 1e6 / ok;
        }

        /** This load generator's CPU time per successful request in microseconds. */
        double clientCpuMicros() {
            return clientCpuSeconds * 1e6 / ok;
        }
    }

    private ClosedLoop() {}

    /** {@code serverCpu} reads the server's CPU seconds so far (NaN if unknown). */
    static Result run(int clients, Duration warmup, Duration measure, long maxRequests, DoubleSupplier serverCpu, Op op)
            throws InterruptedException {
        var stopWarmup = System.nanoTime() + warmup.toNanos();
        phase(clients, stopWarmup, Long.MAX_VALUE, op, null);
        var lat = new ArrayList<Latencies>();
        for (int i = 0; i < clients; i++) lat.add(new Latencies());
        var cpu0 = serverCpu.getAsDouble();
        var own0 = ownCpuSeconds();
        var start = System.nanoTime();
        var counters = phase(clients, start + measure.toNanos(), maxRequests, op, lat);
        var seconds = (System.nanoTime() - start) / 1e9;
        var cpu = serverCpu.getAsDouble() - cpu0;
        var own = ownCpuSeconds() - own0;
        return new Result(counters.ok.get(), counters.errors.get(), seconds, Latencies.merge(lat), counters.firstError, cpu, own);
    }

    /** CPU time of this JVM so far, in seconds. */
    static double ownCpuSeconds() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1e9 : Double.NaN;
    }

    private static final class Counters {
        final AtomicLong ok = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final AtomicLong issued = new AtomicLong();
        volatile String firstError;
    }

    private static Counters phase(int clients, long deadline, long maxRequests, Op op, List<Latencies> lat)
            throws InterruptedException {
        var c = new Counters();
        try (var exec = Executors.newFixedThreadPool(clients)) { // platform threads: cheapest for blocking socket I/O
            for (int i = 0; i < clients; i++) {
                int client = i;
                exec.submit(() -> {
                    while (System.nanoTime() < deadline && c.issued.incrementAndGet() <= maxRequests) {
                        long t0 = System.nanoTime();
                        try {
                            op.run(client);
                            long t1 = System.nanoTime();
                            if (lat != null) lat.get(client).add(t1 - t0);
                            c.ok.incrementAndGet();
                        } catch (Exception e) {
                            if (c.errors.incrementAndGet() == 1) c.firstError = e.toString();
                        }
                    }
                    return null;
                });
            }
        }
        return c;
    }
}
