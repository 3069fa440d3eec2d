package dev.alteran.bench.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Many WebSocket subscribers on a few selector threads: the upgrade handshake, then server frames read
 * straight off the sockets (binary messages, continuations, pings answered, close). Each complete
 * message goes to its subscriber's handler on this thread. The JDK WebSocket client spends more CPU
 * per message than the server spends sending it, which on a small machine measures the client.
 */
final class NioSubscribers implements AutoCloseable {
    /** What one subscriber is told: its messages and its end. */
    interface Handler {
        void onMessage(byte[] message);

        void onClosed();
    }

    /** Threads reading: several, so that on a busy machine the client is not one thread's share of a CPU. */
    static final int THREADS = 4;
    private final List<Reader> readers = new ArrayList<>();

    private NioSubscribers() {}

    /** Connects (and upgrades) one socket per handler, then starts reading all of them. */
    static NioSubscribers connect(URI url, List<? extends Handler> handlers) throws IOException {
        var subs = new NioSubscribers();
        try {
            for (int i = 0; i < THREADS; i++) subs.readers.add(new Reader(Selector.open(), i));
            for (int i = 0; i < handlers.size(); i++) {
                var reader = subs.readers.get(i % THREADS);
                reader.conns.add(open(url, handlers.get(i), reader.selector));
            }
        } catch (IOException | RuntimeException e) {
            subs.close();
            throw e;
        }
        for (var r : subs.readers) r.thread.start();
        return subs;
    }

    private static Conn open(URI url, Handler handler, Selector selector) throws IOException {
        var ch = SocketChannel.open(new InetSocketAddress(url.getHost(), url.getPort()));
        ch.socket().setTcpNoDelay(true);
        var key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        var request = "GET " + url.getRawPath() + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
                + Base64.getEncoder().encodeToString(key) + "\r\n\r\n";
        var out = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
        while (out.hasRemaining()) ch.write(out);
        var conn = new Conn(ch, handler);
        // Blocking read of the 101 response; anything after its blank line is already frame data.
        for (;;) {
            if (ch.read(conn.in) < 0) throw new IOException("closed during the WebSocket upgrade");
            var head = new String(conn.in.array(), 0, conn.in.position(), StandardCharsets.ISO_8859_1);
            int end = head.indexOf("\r\n\r\n");
            if (end < 0) continue;
            if (!head.startsWith("HTTP/1.1 101")) throw new IOException("upgrade refused: " + head.lines().findFirst().orElse(""));
            conn.in.flip().position(end + 4);
            conn.in.compact();
            break;
        }
        ch.configureBlocking(false);
        ch.register(selector, SelectionKey.OP_READ, conn);
        return conn;
    }

    /** One selector thread and its connections. */
    private static final class Reader {
        final Selector selector;
        final List<Conn> conns = new ArrayList<>();
        final Thread thread;
        volatile boolean running = true;

        Reader(Selector selector, int n) {
            this.selector = selector;
            this.thread = Thread.ofPlatform().name("bench-subscribers-" + n).daemon().unstarted(this::loop);
        }

    private void loop() {
        for (var c : conns) {
            try {
                c.readable(); // frames that came with the upgrade response
            } catch (IOException | RuntimeException e) {
                failed(e);
                c.end();
            }
        }
        try {
            while (running) {
                selector.select(200);
                for (var key : selector.selectedKeys()) {
                    var conn = (Conn) key.attachment();
                    try {
                        conn.readable();
                    } catch (IOException | RuntimeException e) {
                        failed(e);
                        conn.end();
                        key.cancel();
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            // selector closed
        }
    }

        private static final java.util.concurrent.atomic.AtomicBoolean REPORTED = new java.util.concurrent.atomic.AtomicBoolean();

        /** The first failure is worth a line: a subscriber that ends early is in the results anyway. */
        private static void failed(Exception e) {
            if (REPORTED.compareAndSet(false, true)) LoadRun.log("a subscriber failed: %s", e);
        }

        void close() throws IOException {
            running = false;
            selector.wakeup();
            try {
                if (thread.isAlive()) thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (var c : conns) {
                try {
                    c.ch.close();
                } catch (IOException ignored) {
                }
            }
            selector.close();
        }
    }

    /** One connection's read buffer and frame parser. */
    private static final class Conn {
        final SocketChannel ch;
        final Handler handler;
        ByteBuffer in = ByteBuffer.allocate(256 * 1024); // write mode between reads
        byte[] partial = new byte[0]; // a fragmented message so far
        boolean ended;

        Conn(SocketChannel ch, Handler handler) {
            this.ch = ch;
            this.handler = handler;
        }

        void readable() throws IOException {
            if (ended) return;
            int n;
            while ((n = ch.read(in)) > 0) {
                parse();
                if (!in.hasRemaining()) in = grow(in);
            }
            parse();
            if (n < 0) end();
        }

        private static ByteBuffer grow(ByteBuffer b) {
            var bigger = ByteBuffer.allocate(b.capacity() * 2);
            b.flip();
            bigger.put(b);
            return bigger;
        }

        /** Consumes every complete frame in the buffer. */
        private void parse() throws IOException {
            in.flip();
            while (in.remaining() >= 2) {
                int start = in.position();
                int b0 = in.get(start) & 0xFF, b1 = in.get(start + 1) & 0xFF;
                int header = 2;
                long len = b1 & 0x7F;
                if (len == 126) {
                    if (in.remaining() < 4) break;
                    len = in.getShort(start + 2) & 0xFFFF;
                    header = 4;
                } else if (len == 127) {
                    if (in.remaining() < 10) break;
                    len = in.getLong(start + 2);
                    header = 10;
                }
                if ((b1 & 0x80) != 0) throw new IOException("a server frame must not be masked");
                if (in.remaining() < header + len) break;
                var payload = new byte[(int) len];
                in.position(start + header);
                in.get(payload);
                boolean fin = (b0 & 0x80) != 0;
                switch (b0 & 0x0F) {
                    case 0x0, 0x2 -> {
                        if (partial.length == 0 && fin) {
                            handler.onMessage(payload);
                        } else {
                            var all = java.util.Arrays.copyOf(partial, partial.length + payload.length);
                            System.arraycopy(payload, 0, all, partial.length, payload.length);
                            partial = fin ? new byte[0] : all;
                            if (fin) handler.onMessage(all);
                        }
                    }
                    case 0x8 -> end();
                    case 0x9 -> pong(payload);
                    default -> { } // text or pong: not used by the firehose
                }
            }
            in.compact();
        }

        /** Clients mask what they send (RFC 6455); a zero mask keeps it simple. */
        private void pong(byte[] payload) throws IOException {
            var frame = ByteBuffer.allocate(6 + payload.length);
            frame.put((byte) 0x8A).put((byte) (0x80 | payload.length)).putInt(0).put(payload).flip();
            while (frame.hasRemaining()) ch.write(frame);
        }

        void end() {
            if (ended) return;
            ended = true;
            handler.onClosed();
            try {
                ch.close();
            } catch (IOException ignored) {
            }
        }
    }

    @Override
    public void close() throws IOException {
        for (var r : readers) r.close();
    }

}
