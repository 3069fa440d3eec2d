package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BatchedLookupsTest {
    /** Answers "k<n>" with n for even n; odd keys are absent. Records each batch and the queries running at once. */
    static final class Squares implements BatchedLookups.Query<String, Integer> {
        final List<List<String>> batches = new CopyOnWriteArrayList<>();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        volatile CountDownLatch hold = new CountDownLatch(0);
        final CountDownLatch firstEntered = new CountDownLatch(1);

        @Override
        public Map<String, Integer> run(List<String> keys) {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                batches.add(List.copyOf(keys));
                firstEntered.countDown();
                hold.await();
                var out = new HashMap<String, Integer>();
                for (var k : keys) {
                    int n = Integer.parseInt(k.substring(1));
                    if (n % 2 == 0) out.put(k, n);
                }
                return out;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                inFlight.decrementAndGet();
            }
        }
    }

    @Test
    void lookupsQueuedWhileAQueryRunsGoTogetherInTheNext() throws Exception {
        var query = new Squares();
        query.hold = new CountDownLatch(1);
        var lookups = new BatchedLookups<>(query, 1);
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            var first = pool.submit(() -> lookups.get("k0"));
            assertThat(query.firstEntered.await(10, TimeUnit.SECONDS)).isTrue();
            var rest = new ArrayList<Future<Integer>>();
            for (int i = 1; i <= 10; i++) {
                int n = i;
                rest.add(pool.submit(() -> lookups.get("k" + n)));
            }
            // The ten are queued behind the held query (the one drainer is busy): wait until they all are.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (lookups.queued() < 10 && System.nanoTime() < deadline) Thread.onSpinWait();
            query.hold.countDown();
            assertThat(first.get()).isZero();
            for (int i = 1; i <= 10; i++) assertThat(rest.get(i - 1).get()).isEqualTo(i % 2 == 0 ? i : null);
        }
        assertThat(query.batches).hasSize(2);
        assertThat(query.batches.get(1)).hasSize(10);
    }

    @Test
    void manyConcurrentLookupsAreAnsweredRightWithinTheDrainerLimit() throws Exception {
        var query = new Squares();
        var lookups = new BatchedLookups<>(query, 3);
        var wrong = new AtomicInteger();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 32; t++) {
                int seed = t;
                pool.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        int n = (seed * 7919 + i * 31) % 1000;
                        var got = lookups.get("k" + n);
                        if (!java.util.Objects.equals(got, n % 2 == 0 ? n : null)) wrong.incrementAndGet();
                    }
                });
            }
        }
        assertThat(wrong).hasValue(0);
        assertThat(query.maxInFlight.get()).isBetween(1, 3);
        assertThat(query.batches.stream().mapToInt(List::size).max().orElseThrow()).isLessThanOrEqualTo(BatchedLookups.MAX_BATCH);
        assertThat(query.batches).allSatisfy(b -> assertThat(b).doesNotHaveDuplicates());
    }

    @Test
    void aFailedQueryFailsItsLookupsAndTheNextOneRunsAfresh() {
        var calls = new AtomicInteger();
        var lookups = new BatchedLookups<String, Integer>(keys -> {
            if (calls.incrementAndGet() == 1) throw new StoreException(new java.sql.SQLException("connection lost"));
            return Map.of("a", 1);
        }, 2);
        assertThatThrownBy(() -> lookups.get("a")).isInstanceOf(StoreException.class).hasMessageContaining("connection lost");
        assertThat(lookups.get("a")).isEqualTo(1);
        assertThat(lookups.get("b")).isNull();
    }
}
