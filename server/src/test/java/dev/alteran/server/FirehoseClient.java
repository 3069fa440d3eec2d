package dev.alteran.server;

import dev.alteran.atproto.data.DagCbor;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A subscribeRepos client over java.net.http.WebSocket for tests: decodes every frame into header and
 * body. With {@code autoRead} false it reads nothing until {@link #request(long)}: a stalled consumer.
 */
final class FirehoseClient implements WebSocket.Listener, AutoCloseable {
    record Message(Map<String, Object> header, Map<String, Object> body, long receivedNanos, int size) {
        boolean isError() {
            return Long.valueOf(-1).equals(header.get("op"));
        }

        String type() {
            return (String) header.get("t");
        }

        long seq() {
            return body.get("seq") instanceof Long l ? l : -1;
        }
    }

    record Closed(int code, String reason) {}

    final LinkedBlockingQueue<Message> messages = new LinkedBlockingQueue<>();
    final CompletableFuture<Closed> closed = new CompletableFuture<>();
    private final boolean autoRead;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private WebSocket ws;

    private FirehoseClient(boolean autoRead) {
        this.autoRead = autoRead;
    }

    static FirehoseClient connect(HttpClient http, String wsUrl, boolean autoRead) {
        var client = new FirehoseClient(autoRead);
        client.ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create(wsUrl), client).join();
        return client;
    }

    static String url(TestServer server, String query) {
        return server.url("/xrpc/com.atproto.sync.subscribeRepos" + (query == null ? "" : "?" + query)).replace("http://", "ws://");
    }

    WebSocket socket() {
        return ws;
    }

    void request(long n) {
        ws.request(n);
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        if (autoRead) webSocket.request(Long.MAX_VALUE); // otherwise no demand: nothing is read
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        var bytes = new byte[data.remaining()];
        data.get(bytes);
        partial.writeBytes(bytes);
        if (last) {
            var frame = partial.toByteArray();
            partial.reset();
            messages.add(decode(frame));
        }
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        throw new AssertionError("the firehose sent a text message: " + data);
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(new Closed(statusCode, reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete(new Closed(-1, error.toString()));
    }

    @SuppressWarnings("unchecked")
    static Message decode(byte[] frame) {
        // The header is a small map; find where it ends by decoding growing prefixes strictly.
        for (int n = 1; n < Math.min(frame.length, 64); n++) {
            Object header;
            try {
                header = DagCbor.decode(frame, 0, n);
            } catch (RuntimeException e) {
                continue;
            }
            var body = DagCbor.decode(frame, n, frame.length - n);
            return new Message((Map<String, Object>) header, (Map<String, Object>) body, System.nanoTime(), frame.length);
        }
        throw new AssertionError("no frame header found");
    }

    Message next(long timeoutMs) throws InterruptedException {
        return messages.poll(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** The next {@code n} messages, failing after {@code timeoutMs} overall. */
    List<Message> take(int n, long timeoutMs) throws InterruptedException {
        var out = new ArrayList<Message>(n);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (out.size() < n) {
            var m = messages.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (m == null) {
                throw new AssertionError("got " + out.size() + " of " + n + " messages; the last: "
                        + (out.isEmpty() ? "none" : out.getLast().header() + " seq " + out.getLast().seq() + " " + (out.getLast().isError() ? out.getLast().body() : "")));
            }
            out.add(m);
        }
        return out;
    }

    Closed awaitClose(long timeoutMs) throws Exception {
        return closed.get(timeoutMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        if (!ws.isOutputClosed()) ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        ws.abort();
    }
}
