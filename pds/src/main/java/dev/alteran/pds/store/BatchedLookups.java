package dev.alteran.pds.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lookups by key that arrive while others are being answered go to the database together, one query
 * per batch. On PostgreSQL each query is a network round trip, and under a read load the round trips,
 * not the index lookups, are what the server and this process spend their time on (BENCHMARKS.md).
 *
 * <p>A lookup is queued, and at most {@code drainers} tasks take the queue in batches of up to
 * {@link #MAX_BATCH}. Each batch's query starts after every lookup in it was queued, so a lookup sees
 * every write committed before it was asked, by this instance or another. When the load stops the
 * drainers end; an idle server holds no thread for this.
 */
final class BatchedLookups<K, V> {
    /** Answers one batch of distinct keys: the value of each key found (a key not found is absent). */
    @FunctionalInterface
    interface Query<K, V> {
        Map<K, V> run(List<K> keys);
    }

    private record Lookup<K, V>(K key, CompletableFuture<V> answer) {}

    /** Keys in one query: enough to gather a busy server's concurrent reads, small enough for one short index scan. */
    static final int MAX_BATCH = 64;

    private final Query<K, V> query;
    private final int drainers;
    private final ConcurrentLinkedQueue<Lookup<K, V>> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger running = new AtomicInteger();

    BatchedLookups(Query<K, V> query, int drainers) {
        this.query = query;
        this.drainers = drainers;
    }

    /** The value for {@code key}, or null; a failure of its batch's query is thrown here as it was thrown there. */
    V get(K key) {
        var lookup = new Lookup<K, V>(key, new CompletableFuture<>());
        queue.add(lookup);
        if (enter()) Thread.ofVirtual().name("alteran-lookups").start(this::drain);
        try {
            return lookup.answer.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new StoreException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(e);
        }
    }

    /** Lookups waiting for a drainer (for tests). */
    int queued() {
        return queue.size();
    }

    /**
     * Counts in one more drainer if fewer than the limit run. Never above the limit, even for a moment:
     * a lookup that finds every place taken relies on each counted drainer looking at the queue again
     * before it ends.
     */
    private boolean enter() {
        for (int n; (n = running.get()) < drainers; ) {
            if (running.compareAndSet(n, n + 1)) return true;
        }
        return false;
    }

    private void drain() {
        var batch = new ArrayList<Lookup<K, V>>(MAX_BATCH);
        while (true) {
            Lookup<K, V> next;
            while (batch.size() < MAX_BATCH && (next = queue.poll()) != null) batch.add(next);
            if (batch.isEmpty()) {
                running.decrementAndGet();
                // A lookup queued since the poll may have found this drainer still counted and started
                // none: look once more after counting out.
                if (queue.isEmpty() || !enter()) return;
                continue;
            }
            answer(batch);
            batch.clear();
        }
    }

    private void answer(List<Lookup<K, V>> batch) {
        var keys = batch.stream().map(Lookup::key).distinct().toList();
        Map<K, V> found;
        try {
            found = query.run(keys);
        } catch (Throwable t) {
            for (var l : batch) l.answer.completeExceptionally(t);
            return;
        }
        for (var l : batch) l.answer.complete(found.get(l.key));
    }
}
