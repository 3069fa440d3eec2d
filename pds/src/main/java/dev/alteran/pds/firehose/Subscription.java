package dev.alteran.pds.firehose;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
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
 * Its virtual thread validates the cursor and replays; replay reads the log until a read comes back
 * short (caught up), then the subscription attaches: every event after the dispatcher's last seq D
 * reaches it from then on, and it reads the events up to D from the log itself. Anything at or below
 * the last seq sent is skipped, so the two sources never duplicate.
 *
 * <p>Live, exactly one party writes to the sink at a time: the dispatcher while the subscriber keeps
 * up ({@code fast}), or this subscription's thread, draining its bounded queue, after a write stalled
 * or while it catches up after attaching. Switches happen under the subscription's lock, only with an
 * empty queue and no write pending, so frames stay in order.
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
    // Guarded by this: whether the dispatcher writes to the sink itself, and the last seq written.
    private boolean fast;
    private long lastSent;

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
     * Called by the dispatcher with new frames in seq order. On the fast path it writes them itself (a
     * write that stalls moves the subscriber to its own thread); otherwise it queues them. Returns false
     * when the subscriber is gone or was cut off for a full queue.
     */
    boolean dispatch(List<Frame> frames) {
        synchronized (this) {
            if (stopped || tooSlow) return false;
            if (!fast) return offer(frames);
            int i = 0;
            hub.watch(this);
            try {
                for (; i < frames.size(); i++) {
                    var f = frames.get(i);
                    if (f == PING) {
                        sink.ping();
                    } else if (f.seq() > lastSent) {
                        sink.send(f.bytes());
                        hub.countSent();
                        lastSent = f.seq();
                    }
                }
                sink.flush();
                return true;
            } catch (InterruptedException | InterruptedIOException e) {
                // The peer is not taking data right now: its thread finishes this write and sends the rest.
                fast = false;
                boolean ok = offer(frames.subList(i, frames.size()));
                if (ok && queue.isEmpty()) queue.offer(WAKE);
                return ok;
            } catch (IOException | RuntimeException e) {
                log.debug("firehose subscriber connection failed: {}", e.toString());
                stop();
                if (e instanceof RuntimeException) sink.close(1011, "Internal error");
                return false;
            } finally {
                hub.unwatch();
            }
        }
    }

    /** Queues frames for the subscriber's thread; cuts the subscriber off when they do not fit. Holds this. */
    private boolean offer(List<Frame> frames) {
        for (var f : frames) {
            if (f == PING) continue; // a subscriber on its own thread pings by itself
            if (queue.size() >= hub.bufferSize() || !queue.offer(f)) {
                condemn();
                return false;
            }
        }
        return true;
    }

    private void condemn() {
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
            endWithError(Frame.CONSUMER_TOO_SLOW, "Stream consumer too slow");
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
        for (;;) {
            var events = sequence.after(pos, batch);
            for (var e : events) {
                send(Frame.of(e));
                pos = e.seq();
            }
            if (events.size() < batch) break;
        }
        long dispatched = hub.attach(this);
        while (pos < dispatched) {
            var events = sequence.range(pos, dispatched, batch);
            if (events.isEmpty()) break;
            for (var e : events) {
                send(Frame.of(e));
                pos = e.seq();
            }
        }
        sink.flush();
        return pos;
    }

    /**
     * The subscriber's own path: sends what the dispatcher queued (after finishing a write it left
     * pending), and hands the subscriber back to the dispatcher whenever the queue is empty.
     */
    private void catchUp(long pos) throws IOException, InterruptedException {
        synchronized (this) {
            lastSent = pos;
            if (queue.isEmpty()) fast = true;
        }
        for (;;) {
            var f = queue.poll(PING_INTERVAL_MS, TimeUnit.MILLISECONDS);
            if (f == null) {
                if (tooSlow) throw new TooSlowException();
                boolean mine;
                synchronized (this) {
                    mine = !fast;
                }
                if (mine) sink.ping(); // the dispatcher pings subscribers on the fast path
                continue;
            }
            sink.flush(); // a write the dispatcher gave up waiting for
            do {
                if (f == POISON) throw new TooSlowException();
                if (f.seq() > pos) { // skips WAKE too
                    send(f);
                    pos = f.seq();
                }
            } while ((f = queue.poll()) != null);
            long t0 = System.nanoTime();
            sink.flush();
            boolean keptUp = System.nanoTime() - t0 < FAST_FLUSH_NANOS;
            synchronized (this) {
                lastSent = pos;
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
