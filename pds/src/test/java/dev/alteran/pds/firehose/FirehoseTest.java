package dev.alteran.pds.firehose;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.data.DagCbor;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.SequenceLog;
import java.io.IOException;
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
        log = new SequenceLog(db, SequenceLog.DEFAULT_RETENTION, () -> 1); // counts from 1: these tests name seqs
        append(3);
        firehose = new Firehose(log, 512, 100, new SimpleMeterRegistry());
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

    /**
     * Records what it was given; its flushes block while the gate is closed, as a full socket would.
     * Like Tomcat, it fails a write whose thread is interrupted, and the connection is lost.
     */
    static class GatedSink implements FrameSink {
        final List<Long> delivered = new ArrayList<>();
        final List<Long> pending = new ArrayList<>();
        volatile CountDownLatch gate = new CountDownLatch(0);
        /** While set, a flush past the gate keeps its thread runnable but gets nowhere, as a thread given no CPU. */
        volatile boolean busy;
        volatile int closeCode;
        volatile boolean sawError;
        volatile boolean interruptedInWrite;

        @Override
        public synchronized void send(byte[] frame) {
            long seq = seqOf(frame);
            if (seq == -1) sawError = true;
            pending.add(seq);
        }

        @Override
        public void flush() throws IOException {
            try {
                gate.await();
            } catch (InterruptedException e) {
                interruptedInWrite = true;
                closeCode = 1001;
                throw new IOException("The current thread was interrupted", e);
            }
            while (busy) Thread.yield();
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

        /** Frames sent but held by a closed gate. */
        synchronized int pending() {
            return pending.size();
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
        long deadline = System.currentTimeMillis() + 30_000; // only a failure waits this long
        while (!done.getAsBoolean() && System.currentTimeMillis() < deadline) Thread.sleep(5);
        assertThat(done.getAsBoolean()).isTrue();
    }

    /** Subscribes the sinks for live events and waits until each has received one (seq 4). */
    void goLive(GatedSink... sinks) throws InterruptedException {
        for (var s : sinks) firehose.subscribe(null, s);
        await(() -> firehose.liveCount() == sinks.length); // attached: the next event reaches them
        append(1);
        for (var s : sinks) await(() -> s.delivered().equals(List.of(4L)));
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
        goLive(healthy, stalling); // seq 4
        stalling.gate = new CountDownLatch(1); // its next write blocks
        append(50);
        await(() -> healthy.delivered().size() == 51);
        assertThat(healthy.delivered()).isEqualTo(range(4, 54));
        await(() -> stalling.pending() > 0); // its frames reached it and wait at its gate...
        assertThat(stalling.delivered()).isEqualTo(List.of(4L)); // ...held up, and not holding the others up
        stalling.gate.countDown();
        await(() -> stalling.delivered().size() == 51);
        assertThat(stalling.delivered()).isEqualTo(range(4, 54));
        append(20); // back on the fast path
        await(() -> stalling.delivered().size() == 71 && healthy.delivered().size() == 71);
        assertThat(stalling.delivered()).isEqualTo(range(4, 74));
        assertThat(healthy.delivered()).isEqualTo(range(4, 74));
        assertThat(firehose.cutOffCount()).isZero();
        assertThat(firehose.stalls()).as("the stalled dispatcher thread was replaced").isPositive();
        assertThat(stalling.interruptedInWrite).as("a write was interrupted").isFalse();
        assertThat(stalling.closeCode).isZero();
    }

    @Test
    void aSubscriberStalledBeyondItsBufferIsCutOff() throws Exception {
        var healthy = new GatedSink();
        var stalled = new GatedSink();
        var alsoHealthy = new GatedSink();
        goLive(healthy, stalled, alsoHealthy); // seq 4
        stalled.gate = new CountDownLatch(1);
        // One event first, so the stalled write is pending before the rest arrive: a dispatcher that
        // falls behind the test thread would otherwise write all of them in one round, which the
        // gate (unlike a real socket) takes without blocking, and nothing would ever be queued.
        append(1);
        await(() -> healthy.delivered().size() == 2 && alsoHealthy.delivered().size() == 2);
        await(() -> stalled.pending() > 0); // seq 5 is in its stalled write
        // 149 more, past its buffer of 100, in steps the healthy ones drain before the next: a healthy
        // subscriber whose thread a busy machine holds back must not fall 100 behind and be cut off too.
        for (int sent = 0; sent < 149; ) {
            int n = Math.min(50, 149 - sent);
            append(n);
            sent += n;
            int expected = 2 + sent;
            await(() -> healthy.delivered().size() == expected && alsoHealthy.delivered().size() == expected);
        }
        assertThat(healthy.delivered()).isEqualTo(range(4, 154));
        assertThat(alsoHealthy.delivered()).isEqualTo(range(4, 154));
        await(() -> firehose.cutOffCount() == 1);
        stalled.gate.countDown(); // it reads again: finds what was in flight, then the error frame
        await(() -> stalled.closeCode == 1008);
        assertThat(stalled.sawError).isTrue();
        var got = stalled.delivered();
        assertThat(got.getLast()).isEqualTo(-1L);
        // Before the cut it had seq 4 and the write it stalled on (seq 5 at least), in order, and not everything.
        var events = got.subList(0, got.size() - 1);
        assertThat(events).hasSizeBetween(2, 150).isEqualTo(range(4, 3 + events.size()));
        await(() -> firehose.subscriberCount() == 2);
        assertThat(firehose.cutOffCount()).isEqualTo(1);
    }

    @Test
    void replayHandsOverToLiveWithoutGapOrDuplicateWhileEventsArrive() throws Exception {
        // A buffer for every event: on a busy machine a subscriber's thread may lag the dispatcher by
        // more than 100 events, and the cut-off that follows is not what this test is about.
        firehose.close();
        firehose = new Firehose(log, 512, 2_000, new SimpleMeterRegistry());
        append(1000);
        var writer = Thread.ofPlatform().start(() -> append(300));
        var sinks = new ArrayList<GatedSink>();
        for (int i = 0; i < 5; i++) {
            var s = new GatedSink();
            sinks.add(s);
            firehose.subscribe((long) i * 200, s);
            long mark = log.lastSeq(); // the next one joins a few events later
            await(() -> log.lastSeq() >= mark + 20 || !writer.isAlive());
        }
        writer.join();
        long last = log.lastSeq();
        for (int i = 0; i < sinks.size(); i++) {
            var s = sinks.get(i);
            long from = i * 200L + 1;
            await(() -> s.delivered().size() >= last - from + 1 || s.sawError); // a duplicate or an error shows below
            assertThat(s.delivered()).isEqualTo(range(from, last));
        }
        assertThat(firehose.cutOffCount()).isZero();
    }

    @Test
    void aReplayGoesLiveEvenWhileWritesKeepPaceWithIt() throws Exception {
        firehose.close();
        firehose = new Firehose(log, 8, 2_000, new SimpleMeterRegistry());
        append(100);
        // Each frame the replay sends brings one more event, until the subscription's first flush (which
        // comes once it is live): a replay reading until a page comes back short would never get there.
        var sink = new GatedSink() {
            volatile boolean feeding = true;

            @Override
            public void send(byte[] frame) {
                super.send(frame);
                if (feeding) append(1);
            }

            @Override
            public void flush() throws IOException {
                feeding = false;
                super.flush();
            }
        };
        firehose.subscribe(0L, sink);
        await(() -> firehose.liveCount() == 1);
        await(() -> !sink.feeding);
        append(1);
        long last = log.lastSeq();
        assertThat(last).isGreaterThan(2 * 103L);
        await(() -> sink.delivered().size() >= last || sink.sawError);
        assertThat(sink.delivered()).isEqualTo(range(1, last));
        assertThat(firehose.cutOffCount()).isZero();
    }

    /** Appends {@code n} events on a thread of its own, as a writer whose commits may wait for the fan-out. */
    Thread writer(int n) {
        return Thread.ofPlatform().name("writer").start(() -> append(n));
    }

    @Test
    void aCommitWaitsWhileTheFanOutIsBehindAndGoesOnOnceItCatchesUp() throws Exception {
        firehose.close();
        // The watchdog never gives the held write up: the closed gate holds the dispatcher itself, as a busy core would.
        firehose = new Firehose(log, 512, 1_000, new SimpleMeterRegistry(), java.util.concurrent.TimeUnit.MINUTES.toNanos(5), Long.MAX_VALUE);
        var held = new GatedSink();
        var healthy = new GatedSink();
        goLive(healthy, held); // seq 4, handed out
        held.gate = new CountDownLatch(1);
        append(1); // seq 5: the dispatcher's round now hangs in the held write
        await(() -> held.pending() == 1);
        var writer = writer(60); // seqs 6..65
        // Seq 4 is the last handed out: the commit of 4 + MAX_BEHIND + 1 waits, and the writer with it.
        long blocked = 4 + Firehose.MAX_BEHIND + 1;
        await(() -> writer.getState() == Thread.State.TIMED_WAITING && log.lastSeq() == blocked);
        assertThat(writer.isAlive()).isTrue();
        assertThat(log.lastSeq()).isEqualTo(blocked);

        held.gate.countDown(); // the fan-out catches up: the writer goes on
        writer.join();
        await(() -> held.delivered().size() == 62 && healthy.delivered().size() == 62);
        assertThat(held.delivered()).isEqualTo(range(4, 65));
        assertThat(healthy.delivered()).isEqualTo(range(4, 65));
        assertThat(firehose.commitWaitCount()).isPositive();
        assertThat(firehose.cutOffCount()).isZero();
    }

    @Test
    void aFanOutThatStaysBehindDelaysEachCommitOnlyBriefly() throws Exception {
        firehose.close();
        // As above, the closed gate holds the dispatcher itself (no stall hand-off).
        firehose = new Firehose(log, 512, 1_000, new SimpleMeterRegistry(), java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(10), Long.MAX_VALUE);
        var held = new GatedSink();
        goLive(held);
        held.gate = new CountDownLatch(1);
        append(1); // seq 5 holds the dispatcher
        await(() -> held.pending() == 1);
        var writer = writer(100);
        writer.join(); // every commit waited its bounded while, none for the held round
        assertThat(log.lastSeq()).isEqualTo(105);
        assertThat(held.pending()).isEqualTo(1);
        assertThat(firehose.commitWaitCount()).isPositive();
        held.gate.countDown();
        await(() -> held.delivered().size() == 102);
        assertThat(held.delivered()).isEqualTo(range(4, 105));
    }

    @Test
    void withoutLiveSubscribersCommitsNeverWait() {
        append(200);
        assertThat(log.lastSeq()).isEqualTo(203);
        assertThat(firehose.commitWaitCount()).isZero();
    }

    /**
     * A firehose whose commits may wait minutes: whether a commit waited for a subscriber shows in
     * whether the writer gets through, not in how long it took.
     */
    void patientFirehose(long maxWaitNanos) {
        firehose.close();
        firehose = new Firehose(log, 512, 100, new SimpleMeterRegistry(), maxWaitNanos, Firehose.STALL_NANOS);
    }

    /** Live subscribers; the second's next write stalls at its gate until the watchdog gives it its own thread. */
    void stallSecond(GatedSink healthy, GatedSink other) throws InterruptedException {
        goLive(healthy, other); // seq 4
        other.gate = new CountDownLatch(1);
        append(1); // seq 5: the write parks at the gate
        await(() -> firehose.stalls() == 1);
    }

    @Test
    void aSubscriberWhoseThreadGetsNoCpuIsWaitedForInsteadOfCutOff() throws Exception {
        patientFirehose(java.util.concurrent.TimeUnit.MINUTES.toNanos(5));
        var healthy = new GatedSink();
        var starved = new GatedSink();
        stallSecond(healthy, starved);
        starved.busy = true; // its write goes on, runnable, but gets nowhere
        starved.gate.countDown();
        var writer = writer(200); // twice its buffer
        // Its queue reaches the lag limit: the writer waits for it, before anything overflows.
        await(() -> firehose.laggingCount() == 1 && writer.getState() == Thread.State.TIMED_WAITING);
        assertThat(log.lastSeq()).isLessThan(5 + 100);
        assertThat(firehose.cutOffCount()).isZero();
        assertThat(healthy.delivered()).isEqualTo(range(4, log.lastSeq()));

        starved.busy = false; // it gets the CPU: catches up, and the writer goes on
        writer.join();
        await(() -> starved.delivered().size() == 202 && healthy.delivered().size() == 202);
        assertThat(starved.delivered()).isEqualTo(range(4, 205));
        assertThat(healthy.delivered()).isEqualTo(range(4, 205));
        assertThat(firehose.cutOffCount()).isZero();
        assertThat(firehose.commitWaitCount()).isPositive();
        await(() -> firehose.laggingCount() == 0);
    }

    @Test
    void aSubscriberThatNeverCatchesUpHoldsTheWritersOnlyBriefly() throws Exception {
        patientFirehose(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(20));
        var healthy = new GatedSink();
        var starved = new GatedSink();
        stallSecond(healthy, starved);
        starved.busy = true;
        starved.gate.countDown();
        var writer = writer(300);
        writer.join(); // it was waited for once, for at most the bound, then no more: its buffer overflowed
        assertThat(log.lastSeq()).isEqualTo(305);
        assertThat(firehose.commitWaitCount()).isPositive();
        await(() -> firehose.cutOffCount() == 1 && firehose.laggingCount() == 0);
        await(() -> healthy.delivered().size() == 302);
        assertThat(healthy.delivered()).isEqualTo(range(4, 305));
        starved.busy = false;
        await(() -> starved.closeCode == 1008);
    }

    @Test
    void aSubscriberWhosePeerStoppedReadingIsCutOffWithoutHoldingTheWriters() throws Exception {
        patientFirehose(java.util.concurrent.TimeUnit.MINUTES.toNanos(5)); // a commit that waited for it would not end
        var healthy = new GatedSink();
        var stalled = new GatedSink();
        stallSecond(healthy, stalled);
        var writer = writer(300); // three times its buffer
        await(() -> !writer.isAlive());
        assertThat(log.lastSeq()).isEqualTo(305);
        await(() -> firehose.cutOffCount() == 1);
        await(() -> healthy.delivered().size() == 302);
        assertThat(healthy.delivered()).isEqualTo(range(4, 305));
        assertThat(firehose.laggingCount()).isZero();
        stalled.gate.countDown(); // it reads again: what was in flight, then the error frame
        await(() -> stalled.closeCode == 1008);
        assertThat(stalled.sawError).isTrue();
    }
}
