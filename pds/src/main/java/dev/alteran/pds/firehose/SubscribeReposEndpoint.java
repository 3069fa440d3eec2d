package dev.alteran.pds.firehose;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /xrpc/com.atproto.sync.subscribeRepos} over Jakarta WebSocket 2.1. Frames go out as binary
 * messages; whatever the client sends is ignored, as the event-stream spec asks of servers.
 */
public final class SubscribeReposEndpoint extends Endpoint {
    private static final Logger log = LoggerFactory.getLogger(SubscribeReposEndpoint.class);
    public static final String PATH = "/xrpc/com.atproto.sync.subscribeRepos";
    private static final String SUBSCRIPTION = "alteran.subscription";

    private final Firehose firehose;

    public SubscribeReposEndpoint(Firehose firehose) {
        this.firehose = firehose;
    }

    /** The endpoint's deployment: every connection is served by an endpoint bound to {@code firehose}. */
    public static ServerEndpointConfig config(Firehose firehose) {
        return ServerEndpointConfig.Builder.create(SubscribeReposEndpoint.class, PATH)
                .configurator(new ServerEndpointConfig.Configurator() {
                    @Override
                    public <T> T getEndpointInstance(Class<T> type) {
                        return type.cast(new SubscribeReposEndpoint(firehose));
                    }
                })
                .build();
    }

    @Override
    public void onOpen(Session session, EndpointConfig config) {
        session.setMaxIdleTimeout(0); // a quiet firehose is normal; keep-alive pings find dead peers
        // Client frames are read and dropped piece by piece, never buffered whole.
        session.addMessageHandler(ByteBuffer.class, (MessageHandler.Partial<ByteBuffer>) (data, last) -> {});
        session.addMessageHandler(String.class, (MessageHandler.Partial<String>) (data, last) -> {});
        var sink = new SessionSink(session);
        Long cursor;
        try {
            cursor = cursor(session.getRequestParameterMap().get("cursor"));
        } catch (IllegalArgumentException e) {
            firehose.reject(sink, "InvalidRequest", e.getMessage());
            return;
        }
        session.getUserProperties().put(SUBSCRIPTION, firehose.subscribe(cursor, sink));
    }

    /** The {@code cursor} parameter: absent (or empty) is null; otherwise one integer. */
    static Long cursor(List<String> values) {
        if (values == null || values.isEmpty() || (values.size() == 1 && values.getFirst().isEmpty())) return null;
        if (values.size() > 1) throw new IllegalArgumentException("Invalid com.atproto.sync.subscribeRepos params: cursor given more than once");
        var v = values.getFirst();
        if (!v.matches("-?[0-9]{1,18}")) {
            throw new IllegalArgumentException("Invalid com.atproto.sync.subscribeRepos params: cursor must be an integer");
        }
        return Long.parseLong(v);
    }

    @Override
    public void onClose(Session session, CloseReason reason) {
        stop(session);
    }

    @Override
    public void onError(Session session, Throwable error) {
        log.debug("firehose connection error: {}", error.toString());
        stop(session);
    }

    private static void stop(Session session) {
        if (session.getUserProperties().get(SUBSCRIPTION) instanceof Subscription sub) sub.stop();
    }

    /**
     * A WebSocket session as a {@link FrameSink}. Batching is allowed, so the frames of one round are
     * gathered and leave in one write at {@link #flush()} (Jetty batches frames up to a quarter of the
     * session's output buffer: the standalone server raises it to 64 KiB). Up to {@link #WINDOW} sends
     * may be in flight; a container that allows one asynchronous send at a time (as Tomcat does) says
     * so with an IllegalStateException, and the sink then waits for each send.
     */
    static final class SessionSink implements FrameSink {
        private static final long ABORT_IDLE_MS = 1_000;
        static final int WINDOW = 64;
        private final Session session;
        private final RemoteEndpoint.Async remote;
        private final ArrayDeque<Future<Void>> inFlight = new ArrayDeque<>();
        private boolean pipelining = true;

        SessionSink(Session session) {
            this.session = session;
            this.remote = session.getAsyncRemote();
            try {
                remote.setBatchingAllowed(true);
            } catch (IOException | RuntimeException e) {
                log.debug("batching not available: {}", e.toString());
            }
        }

        @Override
        public void send(byte[] frame) throws IOException, InterruptedException {
            if (inFlight.size() >= WINDOW) {
                remote.flushBatch();
                await(inFlight.poll());
            }
            try {
                inFlight.add(remote.sendBinary(ByteBuffer.wrap(frame)));
            } catch (IllegalStateException e) {
                if (!pipelining || inFlight.isEmpty()) throw new IOException(e);
                pipelining = false;
                flush();
                inFlight.add(remote.sendBinary(ByteBuffer.wrap(frame)));
            }
            if (!pipelining) flush();
        }

        @Override
        public void flush() throws IOException, InterruptedException {
            if (remote.getBatchingAllowed()) remote.flushBatch();
            while (!inFlight.isEmpty()) await(inFlight.poll());
        }

        @Override
        public void ping() throws IOException, InterruptedException {
            flush();
            session.getBasicRemote().sendPing(ByteBuffer.allocate(0));
        }

        private static void await(Future<Void> sent) throws IOException, InterruptedException {
            try {
                sent.get();
            } catch (ExecutionException e) {
                var cause = e.getCause();
                if (cause instanceof IOException io) throw io;
                throw new IOException(cause);
            }
        }

        @Override
        public void close(int code, String reason) {
            try {
                if (session.isOpen()) session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code), reason));
            } catch (IOException | IllegalStateException e) {
                log.debug("closing a firehose connection failed: {}", e.toString());
            }
        }

        @Override
        public void abort() {
            // The portable way to drop a connection whose writes no longer progress: the container's
            // idle timeout fires when nothing moves, and fails the pending write.
            try {
                session.setMaxIdleTimeout(ABORT_IDLE_MS);
            } catch (RuntimeException e) {
                log.debug("could not shorten the idle timeout: {}", e.toString());
            }
            close(1008, Frame.CONSUMER_TOO_SLOW);
        }
    }
}
