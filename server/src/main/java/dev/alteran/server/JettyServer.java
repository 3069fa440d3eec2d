package dev.alteran.server;

import dev.alteran.pds.Alteran;
import dev.alteran.pds.firehose.SubscribeReposEndpoint;
import jakarta.servlet.ServletContext;
import jakarta.websocket.Session;
import java.util.Set;
import java.util.concurrent.Executors;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.websocket.jakarta.server.JakartaWebSocketServerContainer;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.ee10.websocket.servlet.WebSocketUpgradeFilter;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Embedded Jetty 12 serving one {@link Alteran}: requests run on virtual threads; on stop, new
 * connections are refused and in-flight requests (a commit being written) get time to finish.
 */
public final class JettyServer implements AutoCloseable {
    private static final long STOP_TIMEOUT_MS = 15_000;

    static {
        // Jetty's queues pad against false sharing by the reference size, which it otherwise asks the
        // platform MBean server for: starting JMX costs ~100 ms of start-up. 64-byte lines of 4-byte
        // (compressed) references.
        if (System.getProperty("org.eclipse.jetty.util.referencesPerCacheLine") == null) {
            System.setProperty("org.eclipse.jetty.util.referencesPerCacheLine", "16");
        }
    }
    private final Server server;
    private final ServerConnector connector;
    private final ServletContextHandler context;
    /** The separate {@code /metrics} listener (PDS_METRICS_ADDRESS), or null. */
    private final Server metricsServer;

    public JettyServer(Alteran alteran, String host, int port) {
        var threads = new QueuedThreadPool();
        threads.setName("alteran");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(threads);

        var http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);

        context = new ServletContextHandler("/");
        // Jetty's own error pages are HTML naming the URI and the servlet; ours say only the status, as JSON.
        server.setErrorHandler(new JsonErrorHandler.ForServer());
        context.setErrorHandler(new JsonErrorHandler.ForContext());
        JakartaWebSocketServletContainerInitializer.configure(context, (servletContext, container) -> tuneWebSockets(servletContext));
        context.addServletContainerInitializer((classes, ctx) -> alteran.install(ctx));
        var metrics = alteran.config().metrics();
        var prometheus = metrics.enabled() ? prometheus(alteran) : null;
        if (metrics.token() != null) context.addServlet(new ServletHolder(new MetricsEndpoint.Servlet(prometheus, metrics.token())), MetricsEndpoint.PATH);
        metricsServer = metrics.address() != null ? MetricsEndpoint.separate(prometheus, metrics) : null;
        server.setHandler(new GracefulHandler(context));
        server.setStopTimeout(STOP_TIMEOUT_MS);
        server.setStopAtShutdown(false); // AlteranServer orders the shutdown: Jetty first, then storage
    }

    private static PrometheusMeterRegistry prometheus(Alteran alteran) {
        if (alteran.meterRegistry() instanceof PrometheusMeterRegistry p) return p;
        throw new IllegalStateException("PDS_METRICS_TOKEN and PDS_METRICS_ADDRESS need Alteran built with a Prometheus meter registry");
    }

    /** Bytes of a WebSocket session's output buffer: frames up to a quarter of it are batched into one write. */
    static final int WEBSOCKET_OUTPUT_BUFFER = 64 * 1024;

    /**
     * Firehose frames that queue up for a subscriber should leave in one write, not one each: Jetty
     * batches frames smaller than a quarter of the session's output buffer (default 4 KiB, so only
     * frames under 1 KiB). The Jakarta API has no setting for it; the upgrade filter's documented
     * {@code outputBufferSize} init parameter is the default for every session it upgrades.
     */
    private static void tuneWebSockets(ServletContext servletContext) {
        var filter = WebSocketUpgradeFilter.ensureFilter(servletContext);
        filter.setInitParameter("outputBufferSize", Integer.toString(WEBSOCKET_OUTPUT_BUFFER));
        // The filter comes mapped to every path, and wraps every request to look for an upgrade: 3-4% of
        // a getRecord's CPU. The firehose is the only WebSocket endpoint.
        var servlets = ServletContextHandler.getServletContextHandler(servletContext).getServletHandler();
        for (var mapping : servlets.getFilterMappings()) {
            if (mapping.getFilterName().equals(filter.getName())) mapping.setPathSpecs(new String[] {SubscribeReposEndpoint.PATH});
        }
        servlets.setFilterMappings(servlets.getFilterMappings());
    }

    /** The server side of the open WebSocket sessions (tests check their configuration). */
    Set<Session> openWebSocketSessions() {
        return JakartaWebSocketServerContainer.getContainer(context.getServletContext()).getOpenSessions();
    }

    public JettyServer start() throws Exception {
        if (metricsServer != null) metricsServer.start();
        try {
            server.start();
        } catch (Exception e) {
            if (metricsServer != null) metricsServer.stop();
            throw e;
        }
        return this;
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** The port of the separate metrics listener, or -1 without one. */
    int metricsPort() {
        return metricsServer == null ? -1 : ((ServerConnector) metricsServer.getConnectors()[0]).getLocalPort();
    }

    public void join() throws InterruptedException {
        server.join();
    }

    @Override
    public void close() throws Exception {
        try {
            server.stop();
        } finally {
            if (metricsServer != null) metricsServer.stop();
        }
    }
}
