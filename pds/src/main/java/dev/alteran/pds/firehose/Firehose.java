package dev.alteran.pds.firehose;

import dev.alteran.pds.store.SequenceLog;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live side of com.atproto.sync.subscribeRepos. The write path only tells the {@link SequenceLog}
 * listener a new seq (a max and an unpark: it never blocks). One dispatcher thread then reads the new
 * events once, encodes each frame once, and offers it to every live subscriber's bounded queue; each
 * subscriber has its own thread that replays from the log and sends ({@link Subscription}).
 * A subscriber whose queue is full is cut off with ConsumerTooSlow: it never slows the writer, the
 * dispatcher or the other subscribers.
 */
public final class Firehose implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Firehose.class);

    /**
     * Fan-out costs a wake-up and a write per subscriber; under a stream of writes, events that arrive
     * close together are handed out together (one wake-up, one gathered write each). The pause between
     * fan-outs grows with the number of subscribers: none for a few, at most 20 ms.
     */
    static final long COALESCE_NANOS_PER_SUBSCRIBER = 20_000;
    static final long MAX_COALESCE_NANOS = 20_000_000;

    private final SequenceLog sequence;
    private final int replayBatch;
    private final int bufferSize;
    private final AtomicLong published = new AtomicLong();
    private final Object lock = new Object();
    // Guarded by lock: the live subscribers and the last seq offered to them.
    private final LinkedHashSet<Subscription> live = new LinkedHashSet<>();
    private long dispatched;
    private final LinkedHashSet<Subscription> all = new LinkedHashSet<>();
    private final Thread dispatcher;
    private final ScheduledExecutorService timers;
    private volatile boolean running = true;
    private final AtomicLong cutOff = new AtomicLong();
    private final java.util.function.LongConsumer listener = this::onPublished;

    /**
     * @param replayBatch events read per query, when replaying to a subscriber and when dispatching (PDS_SEQ_WINDOW)
     * @param bufferSize  events queued for one subscriber before it is cut off as too slow (PDS_FIREHOSE_BUFFER)
     */
    public Firehose(SequenceLog sequence, int replayBatch, int bufferSize) {
        if (replayBatch < 1 || bufferSize < 1) throw new IllegalArgumentException("batch and buffer sizes must be positive");
        this.sequence = sequence;
        this.replayBatch = replayBatch;
        this.bufferSize = bufferSize;
        this.dispatched = sequence.lastSeq();
        this.published.set(dispatched);
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            var t = new Thread(r, "alteran-firehose-timer");
            t.setDaemon(true);
            return t;
        });
        this.dispatcher = new Thread(this::dispatchLoop, "alteran-firehose");
        dispatcher.setDaemon(true);
        dispatcher.start();
        sequence.addListener(listener);
    }

    /**
     * Starts a subscription: {@code cursor} null means live events only; otherwise the events after
     * it are replayed from the log first (see {@link Subscription}). Returns at once; the
     * subscription runs on its own thread until the sink or the firehose closes.
     */
    public Subscription subscribe(Long cursor, FrameSink sink) {
        var sub = new Subscription(this, sink, cursor);
        synchronized (lock) {
            if (!running) {
                sink.close(1001, "Server shutting down");
                return sub;
            }
            all.add(sub);
        }
        sub.start();
        return sub;
    }

    /** Answers a connection whose parameters are invalid: one error frame, then close (policy violation). */
    public void reject(FrameSink sink, String error, String message) {
        Thread.ofVirtual().name("alteran-firehose-reject").start(() -> {
            try {
                sink.send(Frame.error(error, message).bytes());
                sink.flush();
            } catch (Exception e) {
                log.debug("could not send the {} error frame: {}", error, e.toString());
            } finally {
                sink.close(1008, error);
            }
        });
    }

    /** Number of open subscriptions (replaying or live). */
    public int subscriberCount() {
        synchronized (lock) {
            return all.size();
        }
    }

    /** Subscribers cut off as too slow since start. */
    public long cutOffCount() {
        return cutOff.get();
    }

    /** The last seq offered to the live subscribers. */
    public long dispatchedSeq() {
        synchronized (lock) {
            return dispatched;
        }
    }

    SequenceLog sequence() {
        return sequence;
    }

    int replayBatch() {
        return replayBatch;
    }

    int bufferSize() {
        return bufferSize;
    }

    ScheduledExecutorService timers() {
        return timers;
    }

    /**
     * Makes {@code sub} live. Returns the last seq already dispatched: every event after it will reach
     * the subscriber's queue, and the subscriber reads the ones up to it from the log itself.
     */
    long attach(Subscription sub) {
        synchronized (lock) {
            if (running && all.contains(sub)) live.add(sub);
            return dispatched;
        }
    }

    void detach(Subscription sub) {
        synchronized (lock) {
            live.remove(sub);
            all.remove(sub);
        }
    }

    void countCutOff() {
        cutOff.incrementAndGet();
    }

    /** The sequencer listener: runs on the writer's thread, so only records the seq and wakes the dispatcher. */
    private void onPublished(long seq) {
        published.accumulateAndGet(seq, Math::max);
        LockSupport.unpark(dispatcher);
    }

    private void dispatchLoop() {
        var condemned = new ArrayList<Subscription>();
        long notBefore = 0;
        while (running) {
            long from;
            synchronized (lock) {
                from = dispatched;
            }
            if (published.get() <= from) {
                // Publishing unparks us; the timeout is only a safety net.
                LockSupport.parkNanos(this, TimeUnit.SECONDS.toNanos(1));
                continue;
            }
            long wait = notBefore - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
                continue;
            }
            List<Frame> frames;
            try {
                var events = sequence.after(from, replayBatch);
                frames = new ArrayList<>(events.size());
                for (var e : events) frames.add(Frame.of(e));
            } catch (RuntimeException e) {
                if (!running) break;
                log.error("firehose could not read events after seq {}", from, e);
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(200));
                continue;
            }
            synchronized (lock) {
                if (frames.isEmpty()) {
                    dispatched = Math.max(dispatched, published.get()); // nothing readable: do not spin
                    continue;
                }
                for (var sub : live) {
                    if (!sub.offer(frames)) condemned.add(sub);
                }
                for (var sub : condemned) live.remove(sub);
                dispatched = frames.getLast().seq();
                notBefore = System.nanoTime() + Math.min(MAX_COALESCE_NANOS, live.size() * COALESCE_NANOS_PER_SUBSCRIBER);
            }
            condemned.clear();
        }
    }

    /** Stops the dispatcher and closes every subscription with 1001 (going away). */
    @Override
    public void close() {
        sequence.removeListener(listener);
        List<Subscription> open;
        synchronized (lock) {
            running = false;
            open = new ArrayList<>(all);
            live.clear();
        }
        LockSupport.unpark(dispatcher);
        for (var sub : open) sub.shutdown();
        try {
            dispatcher.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timers.shutdownNow();
    }
}
