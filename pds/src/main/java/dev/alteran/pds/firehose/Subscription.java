package dev.alteran.pds.firehose;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscriber of the firehose. The cursor rules of the event-stream spec, as the reference PDS
 * applies them:
 * <ul>
 *   <li>no cursor: live events only, from now;</li>
 *   <li>a cursor beyond the newest seq: a FutureCursor error frame, then close;</li>
 *   <li>otherwise the kept events after the cursor are replayed from the log, then live events follow
 *       with no gap and no duplicate; a cursor below the kept events (other than 0 or less, which mean
 *       "from the oldest") first gets an {@code #info} OutdatedCursor.</li>
 * </ul>
 * Its virtual thread validates the cursor and replays; replay reads the log in rounds, each up to the
 * newest seq when it began, until less than half a page is left or a round gained nothing on the
 * writers, then the subscription attaches: every event after the dispatcher's last seq D
 * reaches it from then on, and it reads the events up to D from the log itself. Anything at or below
 * the last seq sent is skipped, so the two sources never duplicate.
 *
 * <p>Live, exactly one party writes to the sink at a time: the dispatcher while the subscriber keeps
 * up ({@code fast}), or this subscription's thread, draining its bounded queue, after a write stalled
 * or while it catches up after attaching. Switches happen under the subscription's lock, only with an
 * empty queue and no write pending, so frames stay in order. A dispatcher thread whose write stalled
 * is given up ({@link #abandon}) but never interrupted; this subscription's thread writes only once
 * that thread has left the sink ({@code writer} is null), skipping what it got through.
 *
 * <p>Off the fast path, the subscription tells the firehose when commits should wait for it (see
 * {@link Firehose}): counted once its queue reaches the firehose's lag limit, uncounted once its thread
 * has drained and flushed below it. It records which thread writes to the sink and since when, so the
 * firehose's watchdog can tell a write parked on a peer that stopped reading (not waited for) from a
 * thread that only waits for a CPU. Its thread takes the whole queue at once and flushes once per batch.
 */
public final class Subscription {
    private static final Logger log = LoggerFactory.getLogger(Subscription.class);
    static final long PING_INTERVAL_MS = 30_000;
    /** How long a cut-off subscriber may take to accept its error frame before the connection is dropped. */
    static final long ABORT_GRACE_MS = 5_000;
    private static final Frame POISON = new Frame(-1, new byte[0]);
    /** Handed out by the dispatcher when the stream is quiet: a keep-alive ping. */
    static final Frame PING = new Frame(-2, new byte[0]);
    /** Queued to wake the subscriber's thread when a stalled write is all it has to finish. */
    private static final Frame WAKE = new Frame(-3, new byte[0]);
    /** The subscriber returns to the dispatcher's path only when its own last write took less than this. */
    static final long FAST_FLUSH_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private final Firehose hub;
    private final FrameSink sink;
    private final Long cursor;
    private final ArrayBlockingQueue<Frame> queue;
    private volatile boolean tooSlow;
    private volatile boolean stopped;
    private volatile boolean finished;
    private volatile Thread thread;
    // Written under this: whether the dispatcher writes to the sink itself (read unlocked by the
    // dispatcher between frames), the dispatcher thread inside a write, and the last seq written.
    private volatile boolean fast;
    private Thread writer;
    private long lastSent;
    // Guarded by this: the thread writing to the sink (the dispatcher's given-up write or this
    // subscription's thread) and since when; whether the firehose counts this subscription as lagging,
    // since when (or its last finished drain); and whether it lost that until it catches up.
    private Thread writing;
    private long writeStart;
    private boolean lagCounted;
    private long lagSince;
    private boolean distrusted;

    Subscription(Firehose hub, FrameSink sink, Long cursor) {
        this.hub = hub;
        this.sink = sink;
        this.cursor = cursor;
        this.queue = new ArrayBlockingQueue<>(hub.bufferSize() + 1); // + 1: room for the poison pill
    }

    void start() {
        thread = Thread.ofVirtual().name("alteran-firehose-subscriber").start(this::run);
    }

    /** The peer went away (closed or failed): stop sending. */
    public void stop() {
        stopped = true;
        var t = thread;
        if (t != null) t.interrupt();
    }

    /** Whether the subscription has ended. */
    public boolean isFinished() {
        return finished;
    }

    void shutdown() {
        stopped = true;
        sink.close(1001, "Server shutting down");
        var t = thread;
        if (t != null) t.interrupt();
    }

    /**
     * Called by the dispatcher with new frames in seq order. On the fast path it writes them itself,
     * outside the lock, so the watchdog can give a stalled write up ({@link #abandon}) while it lasts;
     * otherwise it queues them. Returns false when the subscriber is gone or was cut off for a full queue.
     */
    boolean dispatch(List<Frame> frames) {
        long sent;
        synchronized (this) {
            if (stopped || tooSlow) return false;
            if (!fast) return offer(frames);
            writer = Thread.currentThread();
            sent = lastSent;
        }
        try {
            for (var f : frames) {
                if (!fast) return true; // given up while stalled: the subscriber's thread sends the rest
                if (f == PING) {
                    sink.ping();
                } else if (f.seq() > sent) {
                    sink.send(f.bytes());
                    hub.countSent();
                    sent = f.seq();
                }
            }
            sink.flush();
            return true;
        } catch (IOException | InterruptedException | RuntimeException e) {
            log.debug("firehose subscriber connection failed: {}", e.toString());
            stop();
            if (e instanceof RuntimeException) sink.close(1011, "Internal error");
            return false;
        } finally {
            boolean givenUp;
            synchronized (this) {
                writer = null;
                lastSent = Math.max(lastSent, sent);
                givenUp = !fast;
                if (writing == Thread.currentThread()) writing = null;
            }
            if (givenUp) LockSupport.unpark(thread); // it may be waiting to take over (only then: no switch per round)
        }
    }

    /**
     * The watchdog gives up on the dispatcher's stalled write: the subscriber leaves the fast path and
     * the whole round is queued for its thread (which skips what the stalled write got through).
     * Returns false when no write is under way (not begun, or just ended). {@code since}: when the write began.
     */
    boolean abandon(List<Frame> frames, long since) {
        synchronized (this) {
            if (writer == null || !fast) return false;
            fast = false;
            writing = writer;
            writeStart = since;
            if (offer(frames) && queue.isEmpty()) queue.offer(WAKE);
            return true;
        }
    }

    /** Waits until no dispatcher thread is inside a write; returns the last seq sent, at least {@code pos}. */
    private long takeOver(long pos) throws InterruptedException {
        for (;;) {
            synchronized (this) {
                if (writer == null) {
                    lastSent = Math.max(lastSent, pos);
                    return lastSent;
                }
            }
            LockSupport.park(this); // the writer unparks us as it leaves
            if (stopped) throw new InterruptedException();
        }
    }

    /**
     * Queues frames for the subscriber's thread; cuts the subscriber off when they do not fit, and
     * counts it as lagging when they reach the lag limit (unless its write stalled). Holds this.
     */
    private boolean offer(List<Frame> frames) {
        for (var f : frames) {
            if (f == PING) continue; // a subscriber on its own thread pings by itself
            if (queue.size() >= hub.bufferSize() || !queue.offer(f)) {
                condemn();
                return false;
            }
        }
        if (!lagCounted && !distrusted && queue.size() >= hub.lagLimit()) {
            long now = System.nanoTime();
            if (hub.stalled(writing, writeStart, now)) {
                distrusted = true;
            } else {
                lagCounted = true;
                lagSince = now;
                hub.lagging(this);
            }
        }
        return true;
    }

    /**
     * The watchdog's look at a subscriber counted as lagging: commits stop waiting for it when its write
     * is parked on the peer, or when it finished no drain for as long as a commit may wait.
     */
    synchronized void checkLag(long now) {
        if (lagCounted && (hub.stalled(writing, writeStart, now) || now - lagSince > hub.maxWaitNanos())) {
            distrusted = true;
            uncount();
        }
    }

    /** Holds this. */
    private void uncount() {
        if (!lagCounted) return;
        lagCounted = false;
        hub.unlag(this);
    }

    private void condemn() {
        uncount();
        tooSlow = true;
        hub.countCutOff();
        queue.clear(); // frees the backlog at once
        queue.offer(POISON);
        // A peer that stopped reading entirely leaves a send blocked forever: drop it after a grace.
        hub.timers().schedule(() -> {
            if (!finished) sink.abort();
        }, ABORT_GRACE_MS, TimeUnit.MILLISECONDS);
    }

    private void run() {
        try {
            long pos = begin();
            if (pos >= 0) catchUp(pos);
        } catch (TooSlowException e) {
            try {
                takeOver(0); // a stalled dispatcher write ends by itself or at the abort after the grace
                endWithError(Frame.CONSUMER_TOO_SLOW, "Stream consumer too slow");
            } catch (InterruptedException stopped) {
                // the peer left or the server is shutting down
            }
        } catch (InterruptedException | InterruptedIOException e) {
            // stopped: the peer left or the server is shutting down
        } catch (IOException e) {
            if (!stopped) log.debug("firehose subscriber connection failed: {}", e.toString());
        } catch (RuntimeException e) {
            if (!stopped) {
                log.error("firehose subscription failed", e);
                sink.close(1011, "Internal error");
            }
        } finally {
            finished = true;
            synchronized (this) {
                uncount();
            }
            hub.detach(this);
        }
    }

    /** Validates the cursor, replays, attaches; returns the last seq sent (or -1 after an error frame). */
    private long begin() throws IOException, InterruptedException {
        var sequence = hub.sequence();
        if (cursor == null) return hub.attach(this);
        long newest = sequence.lastSeq();
        if (cursor > newest) {
            endWithError(Frame.FUTURE_CURSOR, "Cursor in the future.");
            return -1;
        }
        long pos = Math.max(cursor, 0);
        long oldest = sequence.firstSeq();
        if (pos > 0 && pos < oldest - 1) {
            send(Frame.info(Frame.OUTDATED_CURSOR, "Requested cursor exceeded limit. Possibly missing events"));
            pos = oldest - 1;
        }
        int batch = hub.replayBatch();
        // Replay in rounds, each up to the newest seq when it began, while a round gains on the writers;
        // then attach. Reading until a page came back short never ended while writes outpaced it. Once
        // attached, a subscriber that still lags holds commits back, or is cut off as too slow.
        long target = newest;
        long left = Long.MAX_VALUE; // what the last round had to send
        while (target - pos > batch / 2 && target - pos < left) {
            left = target - pos;
            pos = sendLogged(pos, target);
            target = sequence.lastSeq();
        }
        long dispatched = hub.attach(this);
        synchronized (this) { // live from here: the dispatcher may queue frames while this thread writes
            writing = Thread.currentThread();
            writeStart = System.nanoTime();
        }
        pos = sendLogged(pos, dispatched);
        sink.flush();
        return pos;
    }

    /** Sends the logged events after {@code pos} through {@code through}, a replay batch per read; returns the last seq sent. */
    private long sendLogged(long pos, long through) throws IOException, InterruptedException {
        while (pos < through) {
            var events = hub.sequence().range(pos, through, hub.replayBatch());
            if (events.isEmpty()) break;
            for (var e : events) {
                send(Frame.of(e));
                pos = e.seq();
            }
        }
        return pos;
    }

    /**
     * The subscriber's own path: sends what the dispatcher queued (after finishing a write it left
     * pending), and hands the subscriber back to the dispatcher whenever the queue is empty.
     */
    private void catchUp(long pos) throws IOException, InterruptedException {
        synchronized (this) {
            lastSent = pos;
            writing = null;
            if (queue.isEmpty()) fast = true;
        }
        var batch = new ArrayList<Frame>();
        for (;;) {
            var f = queue.poll(PING_INTERVAL_MS, TimeUnit.MILLISECONDS);
            if (f == null) {
                if (tooSlow) throw new TooSlowException();
                boolean mine;
                synchronized (this) {
                    mine = !fast && writer == null;
                }
                if (mine) sink.ping(); // the dispatcher pings subscribers on the fast path
                continue;
            }
            pos = takeOver(pos);
            synchronized (this) {
                writing = Thread.currentThread();
                writeStart = System.nanoTime();
            }
            sink.flush(); // what a write the dispatcher gave up on left in flight
            batch.add(f);
            do { // everything queued, taken in one go; the sink gathers the sends into few writes
                for (var g : batch) {
                    if (g == POISON) throw new TooSlowException();
                    if (g.seq() > pos) { // skips WAKE too
                        send(g);
                        pos = g.seq();
                    }
                }
                batch.clear();
            } while (queue.drainTo(batch) > 0);
            long t0 = System.nanoTime();
            sink.flush();
            long t1 = System.nanoTime();
            boolean keptUp = t1 - t0 < FAST_FLUSH_NANOS;
            synchronized (this) {
                lastSent = pos;
                writing = null;
                if (queue.size() < hub.lagLimit()) {
                    distrusted = false; // caught up: waited for again should it fall behind
                    uncount();
                } else {
                    lagSince = t1; // still behind, but moving: the bound counts from here
                }
                if (keptUp && queue.isEmpty() && !tooSlow) fast = true;
            }
        }
    }

    private void send(Frame f) throws IOException, InterruptedException {
        if (tooSlow) throw new TooSlowException();
        if (stopped) throw new InterruptedException();
        sink.send(f.bytes());
        hub.countSent();
    }

    private void endWithError(String error, String message) {
        try {
            if (!stopped) {
                sink.send(Frame.error(error, message).bytes());
                sink.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the peer is gone or stuck; closing below (or the abort timer) ends it
        } finally {
            sink.close(1008, error);
        }
    }

    private static final class TooSlowException extends RuntimeException {
        TooSlowException() {
            super(null, null, false, false);
        }
    }
}
