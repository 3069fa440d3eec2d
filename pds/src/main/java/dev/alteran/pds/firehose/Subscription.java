package dev.alteran.pds.firehose;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscriber of the firehose, on its own (platform) thread. The cursor rules of the event-stream
 * spec, as the reference PDS applies them:
 * <ul>
 *   <li>no cursor: live events only, from now;</li>
 *   <li>a cursor beyond the newest seq: a FutureCursor error frame, then close;</li>
 *   <li>otherwise the kept events after the cursor are replayed from the log, then live events follow
 *       with no gap and no duplicate; a cursor below the kept events (other than 0 or less, which mean
 *       "from the oldest") first gets an {@code #info} OutdatedCursor.</li>
 * </ul>
 * Hand-over: replay reads the log until a read comes back short (caught up), then the subscription
 * goes live: from that moment the dispatcher queues every event after its last dispatched seq D, and
 * the subscription reads the events up to D from the log itself. Anything at or below the last seq
 * sent is skipped, so the two sources never duplicate.
 */
public final class Subscription {
    private static final Logger log = LoggerFactory.getLogger(Subscription.class);
    static final long PING_INTERVAL_MS = 30_000;
    /** How long a cut-off subscriber may take to accept its error frame before the connection is dropped. */
    static final long ABORT_GRACE_MS = 5_000;
    private static final Frame POISON = new Frame(-1, new byte[0]);

    private final Firehose hub;
    private final FrameSink sink;
    private final Long cursor;
    private final ArrayBlockingQueue<Frame> queue;
    private volatile boolean tooSlow;
    private volatile boolean stopped;
    private volatile boolean finished;
    private volatile Thread thread;

    Subscription(Firehose hub, FrameSink sink, Long cursor) {
        this.hub = hub;
        this.sink = sink;
        this.cursor = cursor;
        this.queue = new ArrayBlockingQueue<>(hub.bufferSize() + 1); // + 1: room for the poison pill
    }

    void start() {
        // A platform thread, not a virtual one: a virtual sender waits in the carriers' queue behind every
        // request in progress, so when writes keep the CPU busy, delivery lags by whole queue rounds (the
        // HTTP benchmark's p50 went from ~500 ms to ~90 ms on a loaded machine). The OS wakes a sleeping
        // thread ahead of busy ones, so events reach subscribers first and writes slow down instead.
        thread = Thread.ofPlatform().daemon().name("alteran-firehose-subscriber").start(this::run);
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
     * Called by the dispatcher, under the firehose lock, with new frames in seq order. Returns false,
     * after cutting the subscriber off, when its queue cannot take them all.
     */
    boolean offer(List<Frame> frames) {
        for (var f : frames) {
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
            if (pos >= 0) deliver(pos);
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

    /** Validates the cursor, replays, goes live; returns the last seq sent (or -1 after an error frame). */
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

    /** Live: waits for frames, sends whatever has queued up meanwhile, then waits for those writes. */
    private void deliver(long pos) throws IOException, InterruptedException {
        for (;;) {
            var f = queue.poll(PING_INTERVAL_MS, TimeUnit.MILLISECONDS);
            if (f == null) {
                if (tooSlow) throw new TooSlowException();
                sink.ping();
                continue;
            }
            do {
                if (f == POISON) throw new TooSlowException();
                if (f.seq() > pos) {
                    send(f);
                    pos = f.seq();
                }
            } while ((f = queue.poll()) != null);
            sink.flush();
        }
    }

    private void send(Frame f) throws IOException, InterruptedException {
        if (tooSlow) throw new TooSlowException();
        if (stopped) throw new InterruptedException();
        sink.send(f.bytes());
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
