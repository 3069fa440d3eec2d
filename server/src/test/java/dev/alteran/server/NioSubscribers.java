package dev.alteran.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Many firehose subscribers on one thread: raw non-blocking sockets, a minimal WebSocket frame reader
 * (server frames are unmasked) and a CBOR scan for {@code seq}. Far cheaper than a general client, so
 * a load test measures the server's fan-out cost rather than the clients'. Each subscriber checks that
 * seqs arrive as cursor+1, cursor+2, ... and records every arrival time.
 */
final class NioSubscribers implements AutoCloseable {
    static final class Sub {
        final SocketChannel channel;
        final long cursor;
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long[] nanos = new long[1024];
        volatile int count;
        volatile String problem;

        Sub(SocketChannel channel, long cursor) {
            this.channel = channel;
            this.cursor = cursor;
        }

        long seqAt(int k) {
            return cursor + 1 + k;
        }

        long nanosAt(int k) {
            return nanos[k];
        }
    }

    private final Selector selector;
    private final List<Sub> subs = new ArrayList<>();
    private final Thread reader;
    private volatile boolean running = true;

    NioSubscribers() throws IOException {
        selector = Selector.open();
        reader = Thread.ofPlatform().name("nio-subscribers").daemon().start(this::loop);
    }

    /** Opens {@code n} subscriptions from {@code cursor} (blocking handshakes, then non-blocking reads). */
    List<Sub> connect(TestServer server, int n, long cursor) throws IOException {
        var url = URI.create(server.url("/"));
        var added = new ArrayList<Sub>(n);
        for (int i = 0; i < n; i++) {
            var ch = SocketChannel.open(new InetSocketAddress(url.getHost(), url.getPort()));
            ch.socket().setTcpNoDelay(true);
            var req = "GET /xrpc/com.atproto.sync.subscribeRepos?cursor=" + cursor + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
            ch.write(ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII)));
            var sub = new Sub(ch, cursor);
            // Read the response head byte-wise enough to find its end; keep whatever follows it.
            var head = new StringBuilder();
            var one = ByteBuffer.allocate(1);
            while (!head.toString().endsWith("\r\n\r\n")) {
                one.clear();
                if (ch.read(one) < 0) throw new IOException("closed during the upgrade: " + head);
                head.append((char) one.get(0));
            }
            if (!head.toString().startsWith("HTTP/1.1 101")) throw new IOException("not upgraded: " + head);
            ch.configureBlocking(false);
            added.add(sub);
        }
        synchronized (subs) {
            subs.addAll(added);
        }
        for (var sub : added) sub.channel.register(selector, SelectionKey.OP_READ, sub);
        selector.wakeup();
        return added;
    }

    private void loop() {
        while (running) {
            try {
                selector.select(100);
                var keys = selector.selectedKeys();
                for (var key : keys) {
                    var sub = (Sub) key.attachment();
                    try {
                        read(sub);
                    } catch (IOException | RuntimeException e) {
                        if (sub.problem == null) sub.problem = e.toString();
                        key.cancel();
                    }
                }
                keys.clear();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void read(Sub sub) throws IOException {
        var buf = sub.buf;
        int n = sub.channel.read(buf);
        if (n < 0) {
            if (sub.problem == null) sub.problem = "connection closed";
            throw new IOException("eof");
        }
        long now = System.nanoTime();
        buf.flip();
        while (true) {
            int start = buf.position();
            if (buf.remaining() < 2) break;
            int b0 = buf.get(start) & 0xff, b1 = buf.get(start + 1) & 0xff;
            int opcode = b0 & 0x0f;
            long len = b1 & 0x7f;
            int hdr = 2;
            if (len == 126) {
                if (buf.remaining() < 4) break;
                len = buf.getShort(start + 2) & 0xffff;
                hdr = 4;
            } else if (len == 127) {
                if (buf.remaining() < 10) break;
                len = buf.getLong(start + 2);
                hdr = 10;
            }
            if ((b1 & 0x80) != 0) throw new IOException("masked server frame");
            if ((b0 & 0x80) == 0 || opcode == 0) throw new IOException("fragmented message (not expected from this server)");
            if (buf.remaining() < hdr + len) {
                if (hdr + len > buf.capacity()) {
                    var bigger = ByteBuffer.allocate((int) (hdr + len) * 2);
                    bigger.put(buf);
                    sub.buf = bigger;
                    return;
                }
                break;
            }
            int payload = start + hdr;
            if (opcode == 2) {
                onMessage(sub, buf.array(), buf.arrayOffset() + payload, (int) len, now);
            } else if (opcode == 8) {
                int code = len >= 2 ? buf.getShort(payload) & 0xffff : 1005;
                if (sub.problem == null) sub.problem = "closed " + code;
            } else if (opcode != 9 && opcode != 10) {
                throw new IOException("unexpected opcode " + opcode);
            }
            buf.position((int) (payload + len));
        }
        buf.compact();
    }

    private static void onMessage(Sub sub, byte[] b, int off, int len, long now) {
        int body = FirehoseClient.skip(b, off);
        long seq = seqOf(b, body);
        int k = sub.count;
        if (sub.problem != null) return;
        if (seq != sub.seqAt(k)) {
            sub.problem = seq < 0 ? "a frame without seq (an error frame?) after " + k : "seq " + seq + " where " + sub.seqAt(k) + " was due";
            return;
        }
        if (k == sub.nanos.length) sub.nanos = Arrays.copyOf(sub.nanos, k * 2);
        sub.nanos[k] = now;
        sub.count = k + 1;
    }

    /** The unsigned {@code seq} entry of the CBOR map at {@code i}, or -1. */
    private static long seqOf(byte[] b, int i) {
        int major = (b[i] & 0xff) >>> 5, info = b[i] & 0x1f;
        if (major != 5 || info >= 24) return -1; // event bodies are maps of fewer than 24 entries
        int p = i + 1;
        for (int e = 0; e < info; e++) {
            boolean isSeq = (b[p] & 0xff) == 0x63 && b[p + 1] == 's' && b[p + 2] == 'e' && b[p + 3] == 'q';
            p = FirehoseClient.skip(b, p);
            if (isSeq) {
                int vi = b[p] & 0x1f;
                if ((b[p] & 0xff) >>> 5 != 0) return -1;
                if (vi < 24) return vi;
                int n = 1 << (vi - 24);
                long v = 0;
                for (int k = 0; k < n; k++) v = (v << 8) | (b[p + 1 + k] & 0xff);
                return v;
            }
            p = FirehoseClient.skip(b, p);
        }
        return -1;
    }

    /** Waits until every one of {@code list} got {@code expected} frames; returns null or the first problem. */
    static String await(List<Sub> list, int expected, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        for (int i = 0; i < list.size(); i++) {
            var s = list.get(i);
            while (s.count < expected && s.problem == null && System.currentTimeMillis() < deadline) Thread.sleep(2);
            if (s.problem != null) return "subscriber " + i + ": " + s.problem;
            if (s.count != expected) return "subscriber " + i + " got " + s.count + " of " + expected;
        }
        return null;
    }

    void closeAll() throws IOException {
        synchronized (subs) {
            for (var s : subs) s.channel.close();
            subs.clear();
        }
    }

    @Override
    public void close() throws IOException {
        running = false;
        closeAll();
        selector.wakeup();
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        selector.close();
    }
}
