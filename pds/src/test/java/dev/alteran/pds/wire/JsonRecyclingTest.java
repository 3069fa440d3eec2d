package dev.alteran.pds.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** Every request runs on a virtual thread of its own: Jackson's buffers must outlive it to be reused. */
class JsonRecyclingTest {
    @Test
    void outputsWrittenOnFreshVirtualThreadsReuseBuffersAndAFewAreKept() throws Exception {
        int before = Json.pooledRecyclers(); // other tests in this JVM may have left some
        for (int i = 0; i < 20; i++) {
            Thread.ofVirtual().start(() -> write(Map.of("uri", "at://x", "n", 1))).join();
        }
        // One at a time: each thread took the recycler the one before it gave back (a per-thread pool holds none).
        assertThat(Json.pooledRecyclers()).isEqualTo(Math.max(before, 1));

        // Many at once: each needs its own, and the pool keeps no more than its bound afterwards.
        int concurrent = Json.RECYCLERS * 2;
        var start = new CountDownLatch(1);
        var holding = new CountDownLatch(concurrent);
        var threads = new ArrayList<Thread>();
        for (int i = 0; i < concurrent; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try (var g = Json.generator(java.io.OutputStream.nullOutputStream())) {
                    holding.countDown();
                    start.await();
                    g.writeString("x");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        holding.await(); // every thread holds a generator, so its own recycler, at once
        start.countDown();
        for (var t : threads) t.join();
        assertThat(Json.pooledRecyclers()).isEqualTo(Json.RECYCLERS);
    }

    private static void write(Object value) {
        try {
            assertThat(Json.WRITER.writeValueAsBytes(value)).isNotEmpty();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
