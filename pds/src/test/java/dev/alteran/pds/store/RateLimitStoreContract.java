package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** The behaviour every {@link RateLimitStore} shares; one subclass per implementation runs it. */
abstract class RateLimitStoreContract {
    static final long MINUTE = 60_000;
    /** Far above every count here: a store may count locally (SqlRateLimitStore far from the limit). */
    static final long LIMIT = 1_000;

    abstract RateLimitStore store();

    @Test
    void countsHitsInOneWindowThatOpensAtTheFirstHit() {
        var s = store();
        var first = s.hit("write", "1.2.3.4", 1_000_000, MINUTE, LIMIT);
        assertThat(first).isEqualTo(new RateLimitStore.Window(1, 1_000_000 + MINUTE));
        assertThat(s.hit("write", "1.2.3.4", 1_000_500, MINUTE, LIMIT)).isEqualTo(new RateLimitStore.Window(2, 1_000_000 + MINUTE));
        assertThat(s.hit("write", "1.2.3.4", 1_000_000 + MINUTE - 1, MINUTE, LIMIT).count()).isEqualTo(3);
    }

    @Test
    void aNewWindowOpensWhenTheOldOneEnded() {
        var s = store();
        s.hit("login", "1.2.3.4", 0, MINUTE, LIMIT);
        s.hit("login", "1.2.3.4", 10, MINUTE, LIMIT);
        var next = s.hit("login", "1.2.3.4", MINUTE, MINUTE, LIMIT);
        assertThat(next).isEqualTo(new RateLimitStore.Window(1, 2 * MINUTE));
        assertThat(s.hit("login", "1.2.3.4", MINUTE + 5, MINUTE, LIMIT).count()).isEqualTo(2);
    }

    @Test
    void bucketsAndClientsCountApart() {
        var s = store();
        s.hit("write", "a", 0, MINUTE, LIMIT);
        s.hit("write", "a", 1, MINUTE, LIMIT);
        assertThat(s.hit("write", "b", 2, MINUTE, LIMIT).count()).isEqualTo(1);
        assertThat(s.hit("blob", "a", 3, MINUTE, LIMIT).count()).isEqualTo(1);
        assertThat(s.hit("write", "a", 4, MINUTE, LIMIT).count()).isEqualTo(3);
    }

    @Test
    void parallelHitsAreEachCountedOnce() throws Exception {
        var s = store();
        var tasks = new ArrayList<Callable<Long>>();
        for (int i = 0; i < 200; i++) tasks.add(() -> s.hit("write", "c", 100, MINUTE, LIMIT).count());
        try (var pool = Executors.newFixedThreadPool(8)) {
            var counts = new ArrayList<Long>();
            for (var f : pool.invokeAll(tasks)) counts.add(f.get());
            assertThat(counts).doesNotHaveDuplicates().hasSize(200);
            assertThat(counts.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(200);
        }
    }

    @Test
    void expiredWindowsAreRemoved() {
        var s = store();
        for (int i = 0; i < 50; i++) s.hit("write", "client-" + i, 0, MINUTE, LIMIT);
        assertThat(size(s)).isEqualTo(50);
        s.hit("write", "late", 10 * MINUTE, MINUTE, LIMIT);
        assertThat(size(s)).isEqualTo(1);
    }

    abstract long size(RateLimitStore store);
}
