package dev.alteran.examples;

import dev.alteran.pds.Alteran;
import dev.alteran.pds.config.Config;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A host web app with a route of its own ({@code /hello}) and its own home page, that embeds a PDS
 * beside them. The same two calls work in any Servlet 6 container (Tomcat, Spring Boot, ...): build
 * an {@link Alteran}, then {@code install} it while the servlet context initializes.
 */
public final class HostApp implements AutoCloseable {
    private final Alteran alteran;
    private final Server server;

    public HostApp(Config config, String host, int port) throws Exception {
        alteran = Alteran.builder().config(config).includeRootEndpoint(false).build();
        server = new Server();
        var connector = new ServerConnector(server);
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);

        var context = new ServletContextHandler("/");
        context.addServlet(new ServletHolder(new HelloServlet()), "/hello");
        context.addServlet(new ServletHolder(new HomeServlet()), "");
        JakartaWebSocketServletContainerInitializer.configure(context, null); // the PDS firehose is a WebSocket endpoint
        context.addServletContainerInitializer((classes, ctx) -> alteran.install(ctx));
        server.setHandler(context);
        server.start();
    }

    public int port() {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    @Override
    public void close() throws Exception {
        try {
            server.stop();
        } finally {
            alteran.close();
        }
    }

    public static void main(String[] args) throws Exception {
        var config = Config.fromEnvironment(null).validateOrThrow();
        var app = new HostApp(config, config.bindAddress(), config.port());
        System.out.println("host app on port " + app.port() + ": /hello is ours, /xrpc/* is the PDS");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                app.close();
            } catch (Exception e) {
                System.err.println("error while stopping: " + e);
            }
        }));
        app.server.join();
    }

    static final class HelloServlet extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setContentType("text/plain; charset=utf-8");
            resp.getWriter().write("hello from the host app");
        }
    }

    static final class HomeServlet extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setContentType("text/html; charset=utf-8");
            resp.getWriter().write("<!doctype html><title>My site</title><h1>My site</h1><p>It also hosts my Bluesky account.</p>");
        }
    }
}
