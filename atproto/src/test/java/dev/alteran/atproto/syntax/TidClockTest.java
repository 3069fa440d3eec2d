package dev.alteran.atproto.syntax;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TidClockTest {

    @Test
    void monotonicOver100kCalls() {
        var clock = new TidClock();
        var prev = clock.next();
        for (int i = 0; i < 100_000; i++) {
            var next = clock.next();
            assertThat(next.compareTo(prev)).isPositive();
            assertThat(next.toLong()).isGreaterThan(prev.toLong());
            assertThat(next.clockId()).isEqualTo(clock.clockId());
            prev = next;
        }
    }

    @Test
    void neverGoesBackwardsWhenWallClockDoes() {
        var now = new AtomicLong(1_000_000_000L);
        var clock = new TidClock(7, now::get);
        var a = clock.next();
        now.set(500_000_000L); // wall clock stepped back
        var b = clock.next();
        var c = clock.next(); // wall clock stalled
        assertThat(b).isGreaterThan(a);
        assertThat(c).isGreaterThan(b);
        now.set(2_000_000_000L);
        assertThat(clock.next().timestampMicros()).isEqualTo(2_000_000_000L);
    }

    @Test
    void advancePastResumesAfterAnOlderTid() {
        var clock = new TidClock(3, () -> 10L);
        var later = Tid.of(5_000L, 900);
        clock.advancePast(later);
        assertThat(clock.next()).isGreaterThan(later);
    }

    @Test
    void strictlyIncreasingAcrossThreads() throws Exception {
        var clock = new TidClock(42);
        int threads = 8, perThread = 20_000;
        try (var pool = Executors.newFixedThreadPool(threads)) {
            var futures = new ArrayList<Future<List<Tid>>>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    var out = new ArrayList<Tid>(perThread);
                    for (int i = 0; i < perThread; i++) out.add(clock.next());
                    return out;
                }));
            }
            var all = new HashSet<Tid>();
            for (var f : futures) {
                var seq = f.get();
                for (int i = 1; i < seq.size(); i++) assertThat(seq.get(i)).isGreaterThan(seq.get(i - 1));
                all.addAll(seq);
            }
            assertThat(all).hasSize(threads * perThread);
            var sorted = new ArrayList<>(all);
            Collections.sort(sorted);
            assertThat(sorted.getFirst().compareTo(sorted.getLast())).isNegative();
        }
    }
}
