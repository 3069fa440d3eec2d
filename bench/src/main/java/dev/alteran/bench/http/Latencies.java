package dev.alteran.bench.http;

import java.util.Arrays;

/** Latency samples in nanoseconds, appended by one thread at a time per instance, merged for percentiles. */
final class Latencies {
    private long[] values = new long[1024];
    private int size;

    void add(long nanos) {
        if (size == values.length) values = Arrays.copyOf(values, size * 2);
        values[size++] = nanos;
    }

    int size() {
        return size;
    }

    static Latencies merge(Iterable<Latencies> parts) {
        var all = new Latencies();
        for (var p : parts) {
            for (int i = 0; i < p.size; i++) all.add(p.values[i]);
        }
        Arrays.sort(all.values, 0, all.size);
        return all;
    }

    /** The {@code q}-quantile (0..1) in milliseconds, nearest rank over sorted values; NaN when empty. */
    double percentileMs(double q) {
        if (size == 0) return Double.NaN;
        int rank = (int) Math.ceil(q * size);
        return values[Math.max(0, Math.min(size - 1, rank - 1))] / 1e6;
    }
}
