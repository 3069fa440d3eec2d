package dev.alteran.server;

import dev.alteran.pds.auth.AuthorizationHeader;
import dev.alteran.pds.config.MetricsConfig;
import dev.alteran.pds.wire.XrpcException;
import dev.alteran.pds.wire.XrpcResponses;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The standalone server's {@code /metrics}: the PDS's meters (and the JVM's) in Prometheus text format.
 * Off unless configured ({@link MetricsConfig}): with {@code PDS_METRICS_TOKEN} on the PDS's own port for
 * requests bearing that token; with {@code PDS_METRICS_ADDRESS} on a listener of its own that serves
 * nothing else and asks for no token.
 */
final class MetricsEndpoint {
    static final String PATH = "/metrics";
    /** Prometheus's text exposition format, which every scraper reads. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private MetricsEndpoint() {}

    /**
     * The registry the standalone server hands to {@code Alteran}: with {@code /metrics} on, Prometheus with
     * the JVM's own meters; off, none (the PDS keeps its meters in a plain registry, without Prometheus's
     * memory or the JVM binders' start-up).
     */
    static PrometheusMeterRegistry registryFor(MetricsConfig config) {
        return config.enabled() ? newRegistry() : null;
    }

    static PrometheusMeterRegistry newRegistry() {
        var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        AsyncLogAppender.bindTo(registry);
        return registry;
    }

    /** Answers GET /metrics; with a token, only requests that bear it (401 without one, 403 with another). */
    static final class Servlet extends HttpServlet {
        private final PrometheusMeterRegistry registry;
        private final byte[] token;

        Servlet(PrometheusMeterRegistry registry, String token) {
            this.registry = registry;
            this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            try {
                if (!req.getMethod().equals("GET") && !req.getMethod().equals("HEAD")) {
                    throw new XrpcException(405, "MethodNotAllowed", "Only GET is supported");
                }
                if (token != null) {
                    var presented = AuthorizationHeader.requireBearer(req).getBytes(StandardCharsets.UTF_8);
                    // Compared in constant time: the answer's timing says nothing about how much of a guess was right.
                    if (!MessageDigest.isEqual(presented, token)) throw XrpcException.forbidden("Wrong metrics token");
                }
            } catch (XrpcException e) {
                if (e.status() == 401) resp.setHeader("WWW-Authenticate", "Bearer");
                XrpcResponses.writeError(resp, e);
                return;
            }
            resp.setStatus(200);
            resp.setContentType(CONTENT_TYPE);
            resp.setHeader("Cache-Control", "no-store");
            if (req.getMethod().equals("GET")) registry.scrape(resp.getOutputStream(), CONTENT_TYPE);
        }
    }

    /** The separate listener of {@code PDS_METRICS_ADDRESS}: {@code /metrics} only, no token, a few threads of its own. */
    static Server separate(PrometheusMeterRegistry registry, MetricsConfig config) {
        var threads = new QueuedThreadPool(8, 2);
        threads.setName("alteran-metrics");
        var server = new Server(threads);
        var connector = new ServerConnector(server, 1, 1);
        connector.setHost(config.host());
        connector.setPort(config.port());
        server.addConnector(connector);
        var context = new ServletContextHandler("/");
        context.addServlet(new ServletHolder(new Servlet(registry, null)), PATH);
        server.setErrorHandler(new JsonErrorHandler.ForServer());
        context.setErrorHandler(new JsonErrorHandler.ForContext());
        server.setHandler(context);
        return server;
    }
}
