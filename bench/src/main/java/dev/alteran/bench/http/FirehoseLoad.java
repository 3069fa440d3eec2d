package dev.alteran.bench.http;

import dev.alteran.atproto.data.DagCbor;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many subscribeRepos subscribers while writers create records as fast as they can: how many commit
 * events reach the subscribers per second, and how long after its commit (the event's {@code time},
 * stamped by the server when it sequences the commit) each frame arrives.
 */
final class FirehoseLoad {
    record Result(int subscribers, long writes, double writeSeconds, long delivered, double deliverySeconds,
                  Latencies latency, int closedEarly, double serverCpuSeconds, double clientCpuSeconds) {
        double eventsPerSecond() {
            return delivered / deliverySeconds;
        }

        long expected() {
            return writes * subscribers;
        }
    }

    private FirehoseLoad() {}

    /**
     * @param jdkClient subscribe with java.net.http.WebSocket instead of the raw selector client
     *                  ({@link NioSubscribers}); both decode every frame with DagCbor
     */
    static Result run(String baseUrl, int subscribers, boolean jdkClient, int writers, Duration warmup, Duration burst, long maxWrites,
                      java.util.function.DoubleSupplier serverCpu, ClosedLoop.Op write) throws Exception {
        var wsUrl = URI.create(baseUrl.replaceFirst("^http", "ws") + "/xrpc/com.atproto.sync.subscribeRepos");
        var subs = new ArrayList<Subscriber>();
        for (int i = 0; i < subscribers; i++) subs.add(new Subscriber());
        try (var connections = jdkClient ? JdkSubscribers.connect(wsUrl, subs) : NioSubscribers.connect(wsUrl, subs)) {
            return measure(subs, writers, warmup, burst, maxWrites, serverCpu, write);
        }
    }

    /**
     * A warm-up burst first, as every throughput scenario has: its events reach the subscribers but are not
     * counted. Without it the timed burst was the server's first fan-out, and on one core the JIT compiling
     * that path took about a third of the core during it.
     */
    private static Result measure(List<Subscriber> subs, int writers, Duration warmup, Duration burst, long maxWrites,
                                  java.util.function.DoubleSupplier serverCpu, ClosedLoop.Op write) throws Exception {
        Thread.sleep(1000); // any replay without a cursor is older than the burst and is not counted
        if (!warmup.isZero()) {
            var warm = ClosedLoop.run(writers, Duration.ZERO, warmup, Long.MAX_VALUE, serverCpu, write);
            awaitDelivered(subs, s -> s.commits.get(), warm.ok());
        }
        long startMillis = System.currentTimeMillis();
        for (var s : subs) s.countFrom = startMillis;
        long t0 = System.nanoTime();
        var writes = ClosedLoop.run(writers, Duration.ZERO, burst, maxWrites, serverCpu, write);
        long wrote = writes.ok();
        awaitDelivered(subs, s -> s.count.get(), wrote); // the stragglers
        long delivered = subs.stream().mapToLong(s -> s.count.get()).sum();
        long lastArrival = subs.stream().mapToLong(s -> s.lastArrivalNanos).max().orElse(t0);
        int closed = (int) subs.stream().filter(s -> s.closed).count();
        return new Result(subs.size(), wrote, writes.seconds(), delivered, (lastArrival - t0) / 1e9,
                Latencies.merge(subs.stream().map(s -> s.latency).toList()), closed, writes.serverCpuSeconds(), writes.clientCpuSeconds());
    }

    /** Returns once every subscriber still open has {@code n} commits by {@code commits}, or after 30 s. */
    private static void awaitDelivered(List<Subscriber> subs, java.util.function.ToLongFunction<Subscriber> commits, long n)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && subs.stream().anyMatch(s -> !s.closed && commits.applyAsLong(s) < n)) Thread.sleep(10);
    }

    /** One subscriber: its messages arrive one at a time (one selector thread, or one WebSocket's listener). */
    private static final class Subscriber implements NioSubscribers.Handler {
        final Latencies latency = new Latencies();
        final AtomicLong count = new AtomicLong();
        final AtomicLong commits = new AtomicLong(); // every #commit, the warm-up's too
        volatile long countFrom = Long.MAX_VALUE;
        volatile long lastArrivalNanos;
        volatile boolean closed;

        /** Decodes the frame's header and body; a #commit from the burst counts, with its delay since the event's time. */
        @Override
        @SuppressWarnings("unchecked")
        public void onMessage(byte[] frame) {
            long arrivalMicros = nowMicros();
            int n = CborSkip.itemLength(frame, 0);
            var header = (Map<String, Object>) DagCbor.decode(frame, 0, n);
            var body = (Map<String, Object>) DagCbor.decode(frame, n, frame.length - n);
            if (!"#commit".equals(header.get("t"))) return;
            commits.incrementAndGet();
            long sent = Instant.parse((String) body.get("time")).toEpochMilli();
            if (sent < countFrom) return;
            latency.add(Math.max(0, arrivalMicros - sent * 1000) * 1000);
            count.incrementAndGet();
            lastArrivalNanos = System.nanoTime();
        }

        @Override
        public void onClosed() {
            closed = true;
        }
    }

    /** The same subscribers over java.net.http.WebSocket. */
    private static final class JdkSubscribers implements AutoCloseable {
        private final List<HttpClient> clients = new ArrayList<>();
        private final List<WebSocket> sockets = new ArrayList<>();

        static JdkSubscribers connect(URI url, List<Subscriber> subs) throws Exception {
            var all = new JdkSubscribers();
            // Two clients, each with one selector thread that also runs the listeners (no hand-off per message).
            for (int i = 0; i < 2; i++) all.clients.add(HttpClient.newBuilder().executor(Runnable::run).build());
            var pending = new ArrayList<CompletableFuture<WebSocket>>();
            for (int i = 0; i < subs.size(); i++) {
                pending.add(all.clients.get(i % 2).newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30))
                        .buildAsync(url, new Listener(subs.get(i))));
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            for (var p : pending) all.sockets.add(p.join());
            return all;
        }

        @Override
        public void close() {
            for (var s : sockets) s.abort();
            for (var c : clients) c.close();
        }

        private record Listener(Subscriber sub, ByteArrayOutputStream partial) implements WebSocket.Listener {
            Listener(Subscriber sub) {
                this(sub, new ByteArrayOutputStream());
            }

            @Override
            public void onOpen(WebSocket ws) {
                ws.request(Long.MAX_VALUE); // demand for everything up front: no request(1) round per message
            }

            @Override
            public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                var chunk = new byte[data.remaining()];
                data.get(chunk);
                if (partial.size() == 0 && last) {
                    sub.onMessage(chunk);
                } else {
                    partial.writeBytes(chunk);
                    if (last) {
                        sub.onMessage(partial.toByteArray());
                        partial.reset();
                    }
                }
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
                sub.onClosed();
                return null;
            }

            @Override
            public void onError(WebSocket ws, Throwable error) {
                sub.onClosed();
            }
        }
    }

    private static long nowMicros() {
        var now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
    }

    /** Where the first of two concatenated DAG-CBOR items ends (an event-stream frame is header then body). */
    static final class CborSkip {
        private CborSkip() {}

        static int itemLength(byte[] b, int off) {
            return skip(b, off) - off;
        }

        private static int skip(byte[] b, int pos) {
            int ib = b[pos++] & 0xFF;
            int major = ib >>> 5, info = ib & 31;
            long arg;
            if (info < 24) {
                arg = info;
            } else {
                if (info > 27) throw new IllegalArgumentException("unsupported CBOR additional info " + info);
                int size = 1 << (info - 24); // 24..27 -> 1, 2, 4, 8 bytes
                arg = 0;
                for (int i = 0; i < size; i++) arg = (arg << 8) | (b[pos++] & 0xFF);
            }
            switch (major) {
                case 2, 3 -> pos += (int) arg;
                case 4 -> {
                    for (long i = 0; i < arg; i++) pos = skip(b, pos);
                }
                case 5 -> {
                    for (long i = 0; i < 2 * arg; i++) pos = skip(b, pos);
                }
                case 6 -> pos = skip(b, pos);
                default -> {
                }
            }
            return pos;
        }
    }
}
