package dev.alteran.pds.appview;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An upstream response body read as a stream, one chunk requested at a time (so a fast AppView
 * cannot make us buffer more than it has sent us so far), with two limits: a pause between chunks
 * longer than the idle timeout fails the read, and so does a body growing past the size cap.
 */
final class UpstreamBody extends InputStream implements Flow.Subscriber<List<ByteBuffer>> {
    private static final Object END = new Object();

    private final long idleNanos;
    private final long maxBytes;
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final CompletableFuture<Flow.Subscription> subscription = new CompletableFuture<>();
    private Iterator<ByteBuffer> pending;
    private ByteBuffer current;
    private long total;
    private boolean done;
    private boolean requestNext; // the next chunk is asked for only once this one is used up: its buffers may be reused after

    UpstreamBody(long idleNanos, long maxBytes) {
        this.idleNanos = idleNanos;
        this.maxBytes = maxBytes;
    }

    /** Thrown when the upstream stops sending in the middle of a body. */
    static final class IdleTimeoutException extends HttpTimeoutException {
        IdleTimeoutException() {
            super("upstream response body stalled");
        }
    }

    /** Thrown when the body is larger than the cap. */
    static final class TooLargeException extends IOException {
        TooLargeException(long max) {
            super("upstream response larger than " + max + " bytes");
        }
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription.complete(s);
        s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        queue.add(item);
    }

    @Override
    public void onError(Throwable t) {
        queue.add(t);
    }

    @Override
    public void onComplete() {
        queue.add(END);
    }

    @Override
    public int read() throws IOException {
        var one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (current == null || !current.hasRemaining()) {
            if (pending != null && pending.hasNext()) {
                current = pending.next();
                continue;
            }
            if (done) return -1;
            if (!next()) {
                done = true;
                return -1;
            }
        }
        int n = Math.min(len, current.remaining());
        current.get(b, off, n);
        total += n;
        if (total > maxBytes) {
            close();
            throw new TooLargeException(maxBytes);
        }
        return n;
    }

    /** Bytes readable without waiting: 0 when the next read would wait for the upstream (estimate, as InputStream allows). */
    @Override
    public int available() {
        if (current != null && current.hasRemaining()) return current.remaining();
        if (pending != null && pending.hasNext()) return 1;
        var head = queue.peek();
        return head instanceof List<?> ? 1 : 0;
    }

    /** Waits for the next chunk; false at the end of the body. */
    @SuppressWarnings("unchecked")
    private boolean next() throws IOException {
        if (requestNext) {
            requestNext = false;
            subscription().request(1);
        }
        Object item;
        try {
            item = queue.poll(idleNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new InterruptedIOException("interrupted reading the upstream response");
        }
        if (item == null) {
            close();
            throw new IdleTimeoutException();
        }
        if (item == END) return false;
        if (item instanceof Throwable t) {
            done = true;
            throw t instanceof IOException io ? io : new IOException(t);
        }
        pending = ((List<ByteBuffer>) item).iterator();
        requestNext = true;
        return true;
    }

    private Flow.Subscription subscription() throws IOException {
        try {
            return subscription.get(idleNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException();
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("upstream body not subscribed", e);
        }
    }

    /** Stops the transfer (the connection is dropped unless the body was read to its end). */
    @Override
    public void close() {
        done = true;
        var s = subscription.getNow(null);
        if (s != null) s.cancel();
    }
}
