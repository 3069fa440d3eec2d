package dev.alteran.pds.appview;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.channels.AsynchronousCloseException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.io.Content;

/**
 * An upstream response read as a stream: the listener Jetty reports the response to, and the
 * InputStream of its body. One chunk is asked for at a time (so a fast AppView cannot make us buffer
 * more than it has sent us so far), with two limits: a pause between chunks longer than the idle
 * timeout fails the read, and so does a body growing past the size cap.
 */
final class UpstreamBody extends InputStream implements Response.Listener {
    private static final Object END = new Object();

    /** A chunk and what asks Jetty for the next one, run once this one is used up. */
    private record Piece(Content.Chunk chunk, Runnable demander) {}

    private final long idleNanos;
    private final long maxBytes;
    private final CompletableFuture<Response> headers = new CompletableFuture<>();
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final ReentrantLock lock = new ReentrantLock(); // closing vs. a chunk arriving: none may be left unreleased
    private boolean closed; // under lock
    private Piece current;
    private long total;
    private boolean done;
    private boolean ended; // read to its end: the connection goes back to the pool

    UpstreamBody(long idleNanos, long maxBytes) {
        this.idleNanos = idleNanos;
        this.maxBytes = maxBytes;
    }

    /** Thrown when the upstream stops sending in the middle of a body. */
    static final class IdleTimeoutException extends IOException {
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

    /** Waits for the response headers; a failure before them (refused, unreachable) is the ExecutionException's cause. */
    Response awaitHeaders(long nanos) throws InterruptedException, ExecutionException, TimeoutException {
        return headers.get(nanos, TimeUnit.NANOSECONDS);
    }

    // ---- Jetty's side ----

    @Override
    public void onHeaders(Response response) {
        headers.complete(response);
    }

    @Override
    public void onContent(Response response, Content.Chunk chunk, Runnable demander) {
        if (!chunk.hasRemaining()) {
            demander.run();
            return;
        }
        lock.lock();
        try {
            if (!closed) {
                chunk.retain(); // Jetty releases its hold when this returns
                queue.add(new Piece(chunk, demander));
                return;
            }
        } finally {
            lock.unlock();
        }
        response.abort(new AsynchronousCloseException());
    }

    @Override
    public void onSuccess(Response response) {
        queue.add(END);
    }

    @Override
    public void onFailure(Response response, Throwable failure) {
        queue.add(failure);
    }

    @Override
    public void onComplete(Result result) {
        if (result.isFailed()) {
            headers.completeExceptionally(result.getFailure()); // no effect once the headers came
            queue.add(result.getFailure());
        }
    }

    // ---- the reader's side ----

    @Override
    public int read() throws IOException {
        var one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (current == null) {
            if (done) return -1;
            next();
        }
        var buffer = current.chunk().getByteBuffer();
        int n = Math.min(len, buffer.remaining());
        buffer.get(b, off, n);
        total += n;
        if (total > maxBytes) {
            close();
            throw new TooLargeException(maxBytes);
        }
        if (!buffer.hasRemaining()) {
            var used = current;
            current = null;
            used.chunk().release();
            used.demander().run();
        }
        return n;
    }

    /** Bytes readable without waiting: 0 when the next read would wait for the upstream (estimate, as InputStream allows). */
    @Override
    public int available() {
        if (current != null) return current.chunk().remaining();
        return queue.peek() instanceof Piece p ? p.chunk().remaining() : 0;
    }

    /** Waits for the next chunk, or the end of the body. */
    private void next() throws IOException {
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
        if (item == END) {
            done = true;
            ended = true;
        } else if (item instanceof Throwable t) {
            done = true;
            throw t instanceof IOException io ? io : new IOException(t);
        } else {
            current = (Piece) item;
        }
    }

    /** Stops the transfer (the connection is dropped unless the body was read to its end). */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
        } finally {
            lock.unlock();
        }
        done = true;
        if (current != null) {
            current.chunk().release();
            current = null;
        }
        for (Object item; (item = queue.poll()) != null; ) {
            if (item instanceof Piece p) p.chunk().release();
            else if (item == END) ended = true;
        }
        if (!ended && headers.state() == Future.State.SUCCESS) headers.resultNow().abort(new AsynchronousCloseException());
    }
}
