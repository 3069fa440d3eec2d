package dev.alteran.pds.identity;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.ProxyAuthenticationProtocolHandler;
import org.eclipse.jetty.client.WWWAuthenticationProtocolHandler;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.SocketAddressResolver;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP client under {@link IdentityHttp} and the AppView proxy, built on first use (its TLS set-up
 * costs start-up time most servers never need).
 *
 * <p>Checking a host's addresses and then letting a client resolve the name again leaves a window for
 * DNS rebinding: the second answer can be 127.0.0.1. So each new connection resolves its host exactly
 * once, through the {@link Egress}'s resolver; every address must pass its rule, or the connection is
 * refused before any socket opens; and the socket goes to one of those addresses. The host name is
 * kept for everything else: the Host header, TLS SNI and the name the certificate must match.
 *
 * <p>Jetty's client rather than the JDK's (which has no per-client resolver) or Apache's: its
 * {@link SocketAddressResolver} hook is asked for every new connection, address literals included,
 * and Jetty is already this project's HTTP stack, versioned by the same BOM (the standalone server
 * shipped jetty-client before, with the WebSocket client: no new jars there).
 */
public final class EgressClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EgressClient.class);
    /** Response (and request) header bytes: far past any real service's, far short of filling memory. */
    static final int MAX_HEADER_BYTES = 64 * 1024;
    static final Duration DESTINATION_IDLE = Duration.ofMinutes(1);

    private final Egress egress;
    private final String name;
    private final Duration connectTimeout;
    private final Duration idleTimeout;
    private HttpClient client;
    private boolean closed;

    /**
     * @param idleTimeout how long a connection may carry nothing before Jetty drops it; callers with
     *     timeouts of their own keep this longer, so theirs decide
     */
    public EgressClient(Egress egress, String name, Duration connectTimeout, Duration idleTimeout) {
        this.egress = egress;
        this.name = name;
        this.connectTimeout = connectTimeout;
        this.idleTimeout = idleTimeout;
    }

    /** The started client. @throws ResolutionException once closed */
    public synchronized HttpClient client() {
        if (closed) throw new ResolutionException("the " + name + " client is closed");
        if (client == null) client = start();
        return client;
    }

    private HttpClient start() {
        var threads = new QueuedThreadPool();
        threads.setName(name);
        threads.setDaemon(true);
        var http = new HttpClient(); // its default transport speaks HTTP/1.1 only (no h2c upgrade)
        http.setExecutor(threads);
        http.setSocketAddressResolver(new CheckedResolver(egress, threads));
        http.setConnectTimeout(connectTimeout.toMillis());
        http.setIdleTimeout(idleTimeout.toMillis());
        http.setMaxResponseHeadersSize(MAX_HEADER_BYTES); // Jetty's default is no limit at all
        http.setMaxRequestHeadersSize(MAX_HEADER_BYTES); // a client's forwarded headers plus a token may pass Jetty's 8 KiB
        http.setDestinationIdleTimeout(DESTINATION_IDLE.toMillis()); // each stranger's host is a destination: let idle ones go
        http.setFollowRedirects(false); // followed by hand where wanted, so each hop is checked
        http.setHttpCookieStore(new HttpCookieStore.Empty()); // one stranger's cookies must not reach the next request
        http.setDefaultRequestContentType(null); // a body goes with the type its sender gave, or none
        if (egress.tls() != null) {
            var tls = new SslContextFactory.Client(); // endpoint identification (host name check) stays on
            tls.setSslContext(egress.tls());
            http.setSslContextFactory(tls);
        }
        try {
            http.start();
        } catch (Exception e) {
            throw new ResolutionException("could not start the " + name + " client", e);
        }
        // Bodies pass as the server sent them (the proxy forwards content-encoding), and no Accept-Encoding is added.
        http.getContentDecoderFactories().clear();
        // No credentials are kept for strangers' hosts: a 401 is an answer, not a challenge to buffer and retry.
        http.getProtocolHandlers().remove(WWWAuthenticationProtocolHandler.NAME);
        http.getProtocolHandlers().remove(ProxyAuthenticationProtocolHandler.NAME);
        return http;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (client == null) return;
        try {
            client.stop();
        } catch (Exception e) {
            log.warn("stopping the {} client: {}", name, e.toString());
        }
    }

    /** Resolves once and hands Jetty only addresses that passed the rule; refuses the host if any did not. */
    static final class CheckedResolver implements SocketAddressResolver {
        private final Egress egress;
        private final Executor executor;

        CheckedResolver(Egress egress, Executor executor) {
            this.egress = egress;
            this.executor = executor;
        }

        @Override
        public void resolve(String host, int port, Map<String, Object> context, Promise<List<InetSocketAddress>> promise) {
            executor.execute(() -> { // a lookup blocks: not on the caller's (possibly selector) thread
                List<InetSocketAddress> addresses;
                try {
                    addresses = check(host, port);
                } catch (Throwable t) {
                    promise.failed(t);
                    return;
                }
                promise.succeeded(addresses);
            });
        }

        List<InetSocketAddress> check(String host, int port) throws UnknownHostException {
            var name = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
            List<InetAddress> found = egress.resolver().resolve(name);
            if (found == null || found.isEmpty()) throw new UnknownHostException(name);
            var out = new ArrayList<InetSocketAddress>(found.size());
            for (var address : found) {
                // Every address, not just the first: Jetty tries the next when one fails to connect.
                if (!egress.allowed().test(address)) throw new RefusedAddressException(name);
                out.add(new InetSocketAddress(named(name, address), port)); // from the address itself: no second lookup
            }
            return out;
        }

        /**
         * The address under the name it was looked up by: Jetty takes the TLS peer (SNI and the name the
         * certificate must match) from the socket address's host string, which would otherwise be
         * whatever name the resolver attached, or the bare address.
         */
        static InetAddress named(String name, InetAddress address) throws UnknownHostException {
            return address instanceof Inet6Address v6
                    ? Inet6Address.getByAddress(name, v6.getAddress(), v6.getScopeId())
                    : InetAddress.getByAddress(name, address.getAddress());
        }
    }
}
