package dev.alteran.pds.firehose;

import dev.alteran.pds.store.SequenceLog;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live side of com.atproto.sync.subscribeRepos.
 *
 * <p>The write path only tells the {@link SequenceLog} listener a new seq (a max and an unpark: it
 * never blocks). One dispatcher thread reads the new events once, encodes each frame once and hands
 * them to every live subscriber. A subscriber that keeps up is written to by the dispatcher itself, all
 * new frames in one batched write and no thread switch (the "fast path"); so fan-out takes at most one
 * core however many subscribers there are, and request handling keeps the others. Events that arrive
 * while the dispatcher is busy go out together in its next round.
 *
 * <p>A subscriber whose write does not complete at once (its socket is full) is handed to its own
 * virtual thread ({@link Subscription}): the dispatcher then only queues frames for it, in a bounded
 * queue, and the subscriber's thread sends them and returns to the fast path once it has caught up.
 * A queue that overflows cuts the subscriber off with ConsumerTooSlow: a slow subscriber never slows
 * the writer, the dispatcher or the others.
 *
 * <p>A write that stalls is never interrupted: a container may fail (Tomcat closes the session) a
 * send whose thread is interrupted. Instead a watchdog gives the stalled subscriber to its own thread
 * and starts a new dispatcher thread, which resumes the round with the next subscriber; the stalled
 * thread ends once its write returns, and only then does the subscriber's thread write.
 *
 * <p>Backpressure on the commit path ({@link #awaitFanOut}): when the writers commit faster than the
 * dispatcher can hand events out (on a busy core, with many subscribers), the events waiting for the
 * fan-out, and every subscriber's latency, would grow for as long as the burst lasts. So a commit that
 * leaves the dispatcher more than {@value #MAX_BEHIND} events behind waits, at most
 * {@code MAX_WAIT_NANOS}, until it is back within that: the writers' latency rises instead of every
 * subscriber's. Nothing is dropped or reordered, as events are read from the log after they are committed.
 *
 * <p>The same wait covers subscribers on their own threads. On one busy core the writers would
 * otherwise outrun those threads (runnable, their sockets accepting writes, but given no CPU) until
 * their queues overflow and healthy subscribers are cut off. So a subscriber whose queue reaches
 * {@code lagLimit} frames is counted as lagging (on enqueue; the count drops when its thread has
 * drained and flushed), and commits wait while any is counted. A subscriber whose peer stopped reading
 * is never waited for: a write that has lasted longer than {@code STALL_NANOS} with its thread parked
 * (waiting for the socket, not for the CPU) loses the subscriber its count, as does staying counted for
 * {@code MAX_WAIT_NANOS} without finishing a drain; it is trusted again only once it has caught up.
 * The watchdog makes these checks every tick over the lagging subscribers only, so a slow peer costs
 * the writers at most one such bound per time it falls behind, then is cut off as above. The same
 * test keeps a dispatcher that is merely starved of CPU (runnable) on the fast path: only a parked
 * write, or one that lasts {@code 20 * STALL_NANOS}, is given up.
 */
public final class Firehose implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Firehose.class);
    /** A fast-path write that takes longer than this is left to the subscriber's own thread, and the dispatcher replaced. */
    static final long STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** With no events for this long, live subscribers get a ping, so a dead peer is noticed. */
    static final long PING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);
    /**
     * Events a commit may leave waiting for the dispatcher's hand-out before it waits itself. Eight, not 32:
     * with 200 subscribers and writers at full speed, a warm server's p99 commit-to-delivery fell from
     * 45-72 ms to 36-41 ms on one core, and from 56-720 ms to 30-130 ms on two, for 5-42% fewer writes.
     */
    static final int MAX_BEHIND = 8;
    /** The longest a commit waits for the fan-out: a dispatcher that stays behind longer does not stop writes. */
    static final long MAX_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** A write that lasts this many stall times is given up even if its thread is runnable (not parked on the socket). */
    private static final long RUNNABLE_STALLS = 20;

    private final SequenceLog sequence;
    private final int replayBatch;
    private final int bufferSize;
    private final AtomicLong published = new AtomicLong();
    private final Object lock = new Object();
    // Guarded by lock: open and live subscriptions, and the last seq handed to the live ones.
    private final LinkedHashSet<Subscription> all = new LinkedHashSet<>();
    private final LinkedHashSet<Subscription> live = new LinkedHashSet<>();
    private long dispatched;
    // The thread that hands out rounds; the watchdog replaces one that stalls in a write.
    private volatile Thread dispatcher;
    // The last seq whose round of hand-outs has ended (dispatched is set when a round starts); commits wait on fanOut.
    private volatile long handedOut;
    private final Object fanOut = new Object();
    private final Timer commitWaits;
    private final long maxWaitNanos;
    private final long stallNanos;
    private final long runnableStallNanos;
    // Subscribers on their own threads with at least lagLimit frames queued, not stalled: commits wait for them.
    private final int lagLimit;
    private final Set<Subscription> laggards = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timers;
    private volatile boolean running = true;
    private final AtomicLong cutOff = new AtomicLong();
    private final AtomicLong rounds = new AtomicLong();
    private final AtomicLong framesOut = new AtomicLong();
    private final AtomicLong replacements = new AtomicLong();
    private final Counter sent;
    private final LongConsumer listener = this::onPublished;
    private final LongConsumer pacer = this::awaitFanOut;
    // The dispatcher's fast-path write being watched, in which round, since when; guarded by watchLock.
    private final Object watchLock = new Object();
    private Subscription watched;
    private Round watchedRound;
    private long watchStart;

    /**
     * @param replayBatch events read per query, when replaying to a subscriber and when dispatching (PDS_SEQ_WINDOW)
     * @param bufferSize  events queued for one subscriber before it is cut off as too slow (PDS_FIREHOSE_BUFFER)
     * @param meters      where subscribers, frames sent, cut-offs and the sequence number are reported
     */
    public Firehose(SequenceLog sequence, int replayBatch, int bufferSize, MeterRegistry meters) {
        this(sequence, replayBatch, bufferSize, meters, MAX_WAIT_NANOS, STALL_NANOS);
    }

    /**
     * @param maxWaitNanos the longest a commit waits for the fan-out (tests hold it longer, or shorter)
     * @param stallNanos   how long a fast-path write may take before the watchdog gives it up (tests that
     *                     hold the dispatcher itself, as a busy core would, set it out of reach)
     */
    Firehose(SequenceLog sequence, int replayBatch, int bufferSize, MeterRegistry meters, long maxWaitNanos, long stallNanos) {
        if (replayBatch < 1 || bufferSize < 1) throw new IllegalArgumentException("sizes must be positive");
        this.sent = Counter.builder("alteran.firehose.events.sent").description("Frames written to subscribers (replayed or live)")
                .register(meters);
        Gauge.builder("alteran.firehose.subscribers", this, Firehose::subscriberCount).description("Open subscribeRepos connections")
                .register(meters);
        FunctionCounter.builder("alteran.firehose.cut.off", cutOff, AtomicLong::get)
                .description("Subscribers cut off with ConsumerTooSlow").register(meters);
        Gauge.builder("alteran.firehose.seq", published, AtomicLong::get).description("The last sequence number published")
                .strongReference(true).register(meters);
        this.commitWaits = Timer.builder("alteran.firehose.commit.waits")
                .description("Commits that waited for the firehose's fan-out to catch up (backpressure), and how long").register(meters);
        this.maxWaitNanos = maxWaitNanos;
        this.stallNanos = stallNanos;
        this.runnableStallNanos = stallNanos > Long.MAX_VALUE / RUNNABLE_STALLS ? Long.MAX_VALUE : stallNanos * RUNNABLE_STALLS;
        this.lagLimit = Math.max(1, Math.min(MAX_BEHIND, bufferSize / 2));
        this.sequence = sequence;
        this.replayBatch = replayBatch;
        this.bufferSize = bufferSize;
        this.dispatched = sequence.lastSeq();
        this.published.set(dispatched);
        this.handedOut = dispatched;
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            var t = new Thread(r, "alteran-firehose-timer");
            t.setDaemon(true);
            return t;
        });
        this.dispatcher = dispatcherThread(this::dispatchLoop);
        dispatcher.start();
        timers.scheduleAtFixedRate(this::watchdog, 2, 2, TimeUnit.MILLISECONDS);
        sequence.addListener(listener);
        sequence.pace(pacer);
    }

    /**
     * Starts a subscription: {@code cursor} null means live events only; otherwise the events after
     * it are replayed from the log first (see {@link Subscription}). Returns at once; the
     * subscription runs until the sink or the firehose closes.
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

    /** Number of subscriptions that have caught up and receive events as they are published. */
    public int liveCount() {
        synchronized (lock) {
            return live.size();
        }
    }

    /** Subscribers cut off as too slow since start. */
    public long cutOffCount() {
        return cutOff.get();
    }

    /** Fan-out rounds so far and the frames they carried (each round reaches every live subscriber). */
    public long[] rounds() {
        return new long[] {rounds.get(), framesOut.get()};
    }

    /** The last seq every live subscriber on the dispatcher's path has been handed (its round ended). */
    public long handedOutSeq() {
        return handedOut;
    }

    /** Commits that waited for the fan-out so far (see {@link #awaitFanOut}). */
    public long commitWaitCount() {
        return commitWaits.count();
    }

    /** Subscribers on their own threads that commits currently wait for (see {@link #awaitFanOut}). */
    int laggingCount() {
        return laggards.size();
    }

    /**
     * The sequence log's pacer, on the writer's thread after it published {@code seq}: returns at once
     * while the dispatcher's hand-out is at most {@value #MAX_BEHIND} events behind and no subscriber on
     * its own thread is counted as lagging, else waits until so (or {@code MAX_WAIT_NANOS} passed, or the
     * firehose closed).
     */
    void awaitFanOut(long seq) {
        if (!running || !behind(seq)) return;
        if (laggards.isEmpty()) {
            synchronized (lock) {
                if (live.isEmpty()) return; // nobody to wait for (the dispatcher catches up when it next wakes)
            }
        }
        long start = System.nanoTime();
        long deadline = start + maxWaitNanos;
        synchronized (fanOut) {
            for (long left; behind(seq) && running && (left = deadline - System.nanoTime()) > 0; ) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(fanOut, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        commitWaits.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }

    private boolean behind(long seq) {
        return seq - handedOut > MAX_BEHIND || !laggards.isEmpty();
    }

    /** A subscriber's queue reached {@link #lagLimit()} and its thread is not stalled: commits wait for it. */
    void lagging(Subscription sub) {
        laggards.add(sub);
    }

    /** A subscriber counted by {@link #lagging} caught up, stalled, or ended: commits no longer wait for it. */
    void unlag(Subscription sub) {
        laggards.remove(sub);
        if (laggards.isEmpty()) {
            synchronized (fanOut) {
                fanOut.notifyAll();
            }
        }
    }

    /** Whether a write that began at {@code since} (by {@code writer}) has stalled on its peer: parked long enough. */
    boolean stalled(Thread writer, long since, long now) {
        return writer != null && now - since > stallNanos && parked(writer);
    }

    /** Whether the thread waits (for a socket, a future, a gate), as opposed to running or waiting for a CPU. */
    private static boolean parked(Thread t) {
        var state = t.getState();
        return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
    }

    /** Marks the events up to {@code seq} handed out and wakes the commits waiting for that. */
    private void handedOut(long seq) {
        if (seq <= handedOut) return;
        handedOut = seq;
        synchronized (fanOut) {
            fanOut.notifyAll();
        }
    }

    /** The last seq handed to the live subscribers. */
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

    /** Frames queued for a subscriber on its own thread at which commits start to wait for it. */
    int lagLimit() {
        return lagLimit;
    }

    /** The longest a subscriber may stay counted as lagging without finishing a drain. */
    long maxWaitNanos() {
        return maxWaitNanos;
    }

    ScheduledExecutorService timers() {
        return timers;
    }

    /**
     * Makes {@code sub} live (on its own thread's path first). Returns the last seq already handed
     * out: every later event reaches the subscriber through {@link Subscription#dispatch}, and the
     * subscriber reads the ones up to it from the log itself.
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

    /** A frame reached a subscriber's connection. */
    void countSent() {
        sent.increment();
    }

    void countCutOff() {
        cutOff.incrementAndGet();
    }

    /** The sequencer listener: runs on the writer's thread, so only records the seq and wakes the dispatcher. */
    private void onPublished(long seq) {
        published.accumulateAndGet(seq, Math::max);
        LockSupport.unpark(dispatcher);
    }

    private Thread dispatcherThread(Runnable task) {
        var t = new Thread(task, "alteran-firehose");
        t.setDaemon(true);
        return t;
    }

    /** Runs until the firehose closes or the watchdog replaces this thread. */
    private void dispatchLoop() {
        long lastActivity = System.nanoTime();
        while (running && dispatcher == Thread.currentThread()) {
            long from;
            synchronized (lock) {
                from = dispatched;
            }
            if (published.get() <= from) {
                if (System.nanoTime() - lastActivity >= PING_INTERVAL_NANOS) {
                    if (!handOut(List.of(Subscription.PING))) return;
                    lastActivity = System.nanoTime();
                }
                LockSupport.parkNanos(this, TimeUnit.SECONDS.toNanos(1)); // publishing unparks us
                continue;
            }

            synchronized (lock) {
                if (live.isEmpty()) {
                    // Nobody to hand events to: a subscriber that attaches later reads up to here itself.
                    dispatched = Math.max(dispatched, published.get());
                    handedOut(dispatched);
                    continue;
                }
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
            if (frames.isEmpty()) {
                synchronized (lock) {
                    dispatched = Math.max(dispatched, published.get()); // nothing readable: do not spin
                    handedOut(dispatched);
                }
                continue;
            }
            if (!handOut(frames)) return;
            lastActivity = System.nanoTime();
        }
    }

    /**
     * One fan-out: the frames and the subscribers they go to, taken in turn through {@code next}, so a
     * replacement dispatcher resumes it after the subscriber whose write stalled.
     */
    private record Round(List<Frame> frames, Subscription[] targets, AtomicInteger next) {}

    /**
     * Gives {@code frames} to every live subscriber; a subscriber attaching meanwhile reads them from
     * the log. Returns false when this thread was replaced while it waited for a write: it must end.
     */
    private boolean handOut(List<Frame> frames) {
        rounds.incrementAndGet();
        framesOut.addAndGet(frames.size());
        Subscription[] targets;
        synchronized (lock) {
            targets = live.toArray(Subscription[]::new);
            long last = frames.getLast().seq();
            if (last > 0) dispatched = last;
        }
        return deliver(new Round(frames, targets, new AtomicInteger()));
    }

    private boolean deliver(Round round) {
        for (int i; (i = round.next().getAndIncrement()) < round.targets().length; ) {
            var sub = round.targets()[i];
            watch(sub, round);
            boolean keep;
            try {
                keep = sub.dispatch(round.frames());
            } catch (RuntimeException e) {
                log.error("firehose subscriber failed", e);
                sub.stop();
                keep = false;
            }
            if (!keep) {
                synchronized (lock) {
                    live.remove(sub);
                }
            }
            if (!unwatch()) return false;
        }
        // The round has ended here, in whichever dispatcher thread finished it: commits waiting on it may go on.
        if (round.frames().getLast().seq() > 0) handedOut(round.frames().getLast().seq());
        return true;
    }

    private void watch(Subscription sub, Round round) {
        synchronized (watchLock) {
            watched = sub;
            watchedRound = round;
            watchStart = System.nanoTime();
        }
    }

    /** Ends the watched write; false when the watchdog replaced this thread meanwhile. */
    private boolean unwatch() {
        synchronized (watchLock) {
            if (dispatcher != Thread.currentThread()) return false;
            watched = null;
            watchedRound = null;
            return true;
        }
    }

    private void watchdog() {
        watchFastPath();
        if (laggards.isEmpty()) return;
        long now = System.nanoTime();
        for (var sub : laggards) sub.checkLag(now);
    }

    /**
     * Gives a subscriber whose fast-path write stalled to its own thread, and has a new dispatcher
     * thread carry on with the round's next subscriber. The stalled thread is left in its write (an
     * interrupt could make the container fail it) and ends when that returns. A dispatcher that is
     * runnable (starved of CPU, not waiting for the peer) is left to finish, up to {@code 20 * STALL_NANOS}.
     */
    private void watchFastPath() {
        synchronized (watchLock) {
            if (watched == null || !running) return;
            long took = System.nanoTime() - watchStart;
            if (took <= stallNanos || (took <= runnableStallNanos && !parked(dispatcher))) return;
            // False when the write has not begun or has just ended: the next tick looks again, or unwatch clears it.
            if (!watched.abandon(watchedRound.frames(), watchStart)) return;
            var round = watchedRound;
            watched = null;
            watchedRound = null;
            replacements.incrementAndGet();
            log.debug("a firehose write stalled: the subscriber goes to its own thread, a new dispatcher thread goes on");
            var next = dispatcherThread(() -> {
                if (deliver(round)) dispatchLoop();
            });
            dispatcher = next;
            next.start();
        }
    }

    /** Dispatcher threads replaced because a write stalled (each leaves one subscriber to its own thread). */
    long stalls() {
        return replacements.get();
    }

    /** Stops the dispatcher and closes every subscription with 1001 (going away). */
    @Override
    public void close() {
        sequence.removeListener(listener);
        sequence.stopPacing(pacer);
        List<Subscription> open;
        synchronized (lock) {
            running = false;
            open = new ArrayList<>(all);
            live.clear();
        }
        LockSupport.unpark(dispatcher);
        synchronized (fanOut) {
            fanOut.notifyAll(); // commits waiting for the fan-out go on
        }
        for (var sub : open) sub.shutdown();
        try {
            dispatcher.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timers.shutdownNow();
    }
}
