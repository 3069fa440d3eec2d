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
    private final LinkedBlockingQueue<String> pongs = new LinkedBlockingQueue<>();
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
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
        pongs.add(java.nio.charset.StandardCharsets.UTF_8.decode(message).toString());
        return null;
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
        int n = skip(frame, 0);
        var header = DagCbor.decode(frame, 0, n);
        var body = DagCbor.decode(frame, n, frame.length - n);
        return new Message((Map<String, Object>) header, (Map<String, Object>) body, System.nanoTime(), frame.length);
    }

    /** The offset just past the CBOR item at {@code i} (enough of CBOR for frame headers: no indefinite lengths). */
    static int skip(byte[] b, int i) {
        int major = (b[i] & 0xff) >>> 5, info = b[i] & 0x1f;
        i++;
        long arg;
        if (info < 24) {
            arg = info;
        } else {
            int len = 1 << (info - 24);
            arg = 0;
            for (int k = 0; k < len; k++) arg = (arg << 8) | (b[i + k] & 0xff);
            i += len;
        }
        return switch (major) {
            case 0, 1, 7 -> i;
            case 2, 3 -> i + (int) arg;
            case 4 -> {
                for (long k = 0; k < arg; k++) i = skip(b, i);
                yield i;
            }
            case 5 -> {
                for (long k = 0; k < 2 * arg; k++) i = skip(b, i);
                yield i;
            }
            default -> skip(b, i); // a tag: skip its content
        };
    }

    /**
     * A subscriber that upgrades over a raw socket with a tiny receive buffer and then never reads:
     * the server's writes to it stall almost at once.
     */
    static java.net.Socket stalled(TestServer server, String query) throws java.io.IOException {
        var socket = new java.net.Socket();
        socket.setReceiveBufferSize(4096);
        var url = URI.create(server.url("/"));
        socket.connect(new java.net.InetSocketAddress(url.getHost(), url.getPort()), 10_000);
        socket.setSoTimeout(10_000);
        var path = "/xrpc/com.atproto.sync.subscribeRepos" + (query == null ? "" : "?" + query);
        var req = "GET " + path + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        socket.getOutputStream().write(req.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        var in = socket.getInputStream();
        var head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) throw new java.io.EOFException("no upgrade response: " + head);
            head.append((char) c);
        }
        if (!head.toString().startsWith("HTTP/1.1 101")) throw new AssertionError("not upgraded: " + head);
        return socket;
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

    /**
     * Pings and waits for that pong or for the close: the server reads a connection's frames in order,
     * so it has then dealt with every frame sent before. Returns the close, or null if still open.
     */
    Closed sync(long timeoutMs) throws Exception {
        var token = "sync " + System.nanoTime();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        try {
            ws.sendPing(ByteBuffer.wrap(token.getBytes(java.nio.charset.StandardCharsets.UTF_8))).join();
        } catch (java.util.concurrent.CompletionException e) {
            return awaitClose(timeoutMs); // the server already dropped the connection
        }
        while (!closed.isDone()) {
            if (token.equals(pongs.poll(10, TimeUnit.MILLISECONDS))) return closed.getNow(null);
            if (System.nanoTime() > deadline) throw new AssertionError("neither pong nor close in " + timeoutMs + " ms");
        }
        return closed.getNow(null);
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
