package dev.alteran.pds.firehose;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.data.DagCbor;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.SequenceLog;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fan-out against sinks that stall on demand: order, exactly-once, hand-over between paths, cut-off. */
class FirehoseTest {
    @TempDir
    Path dir;
    Database db;
    SequenceLog log;
    Firehose firehose;

    @BeforeEach
    void open() {
        db = Database.openSqlite(dir.resolve("fh.sqlite"));
        log = new SequenceLog(db);
        append(3);
        firehose = new Firehose(log, 512, 100);
    }

    @AfterEach
    void close() {
        firehose.close();
        db.close();
    }

    void append(int n) {
        for (int i = 0; i < n; i++) {
            var e = db.write(c -> log.append(c, "did:web:example.com", "identity", Map.of("did", "did:web:example.com")));
            log.publish(e.seq());
        }
    }

    /** Records what it was given; its flushes block while the gate is closed, as a full socket would. */
    static final class GatedSink implements FrameSink {
        final List<Long> delivered = new ArrayList<>();
        final List<Long> pending = new ArrayList<>();
        volatile CountDownLatch gate = new CountDownLatch(0);
        volatile int closeCode;
        volatile boolean sawError;

        @Override
        public synchronized void send(byte[] frame) {
            long seq = seqOf(frame);
            if (seq == -1) sawError = true;
            pending.add(seq);
        }

        @Override
        public void flush() throws InterruptedException {
            gate.await();
            synchronized (this) {
                delivered.addAll(pending);
                pending.clear();
            }
        }

        @Override
        public void ping() {}

        @Override
        public void close(int code, String reason) {
            closeCode = code;
        }

        @Override
        public void abort() {
            gate.countDown();
        }

        synchronized List<Long> delivered() {
            return List.copyOf(delivered);
        }
    }

    /** The frame's seq, or -1 for an error frame. */
    static long seqOf(byte[] frame) {
        for (int n = 1; n < 32; n++) {
            Object header;
            try {
                header = DagCbor.decode(frame, 0, n);
            } catch (RuntimeException e) {
                continue;
            }
            if (Long.valueOf(-1).equals(((Map<?, ?>) header).get("op"))) return -1;
            return (Long) DagCbor.decodeMap(java.util.Arrays.copyOfRange(frame, n, frame.length)).get("seq");
        }
        throw new AssertionError("no header");
    }

    static void await(java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!done.getAsBoolean() && System.currentTimeMillis() < deadline) Thread.sleep(5);
        assertThat(done.getAsBoolean()).isTrue();
    }

    static List<Long> range(long from, long to) {
        var out = new ArrayList<Long>();
        for (long s = from; s <= to; s++) out.add(s);
        return out;
    }

    @Test
    void aStalledSubscriberCatchesUpInOrderAndReturnsToTheFastPath() throws Exception {
        var healthy = new GatedSink();
        var stalling = new GatedSink();
        firehose.subscribe(null, healthy);
        firehose.subscribe(null, stalling);
        Thread.sleep(200); // both attach and go live
        stalling.gate = new CountDownLatch(1); // its next write blocks
        append(50);
        await(() -> healthy.delivered().size() == 50);
        assertThat(healthy.delivered()).isEqualTo(range(4, 53));
        Thread.sleep(100);
        assertThat(stalling.delivered()).hasSizeLessThan(50); // held up, and not holding the others up
        stalling.gate.countDown();
        await(() -> stalling.delivered().size() == 50);
        assertThat(stalling.delivered()).isEqualTo(range(4, 53));
        append(20); // back on the fast path
        await(() -> stalling.delivered().size() == 70 && healthy.delivered().size() == 70);
        assertThat(stalling.delivered()).isEqualTo(range(4, 73));
        assertThat(healthy.delivered()).isEqualTo(range(4, 73));
        assertThat(firehose.cutOffCount()).isZero();
    }

    @Test
    void aSubscriberStalledBeyondItsBufferIsCutOff() throws Exception {
        var healthy = new GatedSink();
        var stalled = new GatedSink();
        firehose.subscribe(null, healthy);
        firehose.subscribe(null, stalled);
        Thread.sleep(200);
        stalled.gate = new CountDownLatch(1);
        append(150); // buffer 100
        await(() -> healthy.delivered().size() == 150);
        await(() -> firehose.cutOffCount() == 1);
        stalled.gate.countDown(); // it reads again: finds what was in flight, then the error frame
        await(() -> stalled.closeCode == 1008);
        assertThat(stalled.sawError).isTrue();
        var got = stalled.delivered();
        assertThat(got.getLast()).isEqualTo(-1L);
        assertThat(got.subList(0, got.size() - 1)).isEqualTo(range(4, 3 + got.size() - 1));
        await(() -> firehose.subscriberCount() == 1);
    }

    @Test
    void replayHandsOverToLiveWithoutGapOrDuplicateWhileEventsArrive() throws Exception {
        append(1000);
        var writer = Thread.ofPlatform().start(() -> append(300));
        var sinks = new ArrayList<GatedSink>();
        for (int i = 0; i < 5; i++) {
            var s = new GatedSink();
            sinks.add(s);
            firehose.subscribe((long) i * 200, s);
            Thread.sleep(20);
        }
        writer.join();
        long last = log.lastSeq();
        for (int i = 0; i < sinks.size(); i++) {
            var s = sinks.get(i);
            long from = i * 200L + 1;
            await(() -> s.delivered().size() == last - from + 1);
            assertThat(s.delivered()).isEqualTo(range(from, last));
        }
    }
}
