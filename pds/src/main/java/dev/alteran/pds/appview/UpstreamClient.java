package dev.alteran.pds.appview;

import dev.alteran.pds.identity.IdentityHttp;
import dev.alteran.pds.xrpc.XrpcCall;
import dev.alteran.pds.wire.XrpcException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP client of the proxy. Outside development it only speaks https and only to public
 * addresses (the rules of {@link IdentityHttp#isPublic}), so a client cannot point the PDS at the
 * operator's own network; redirects are never followed. The response headers must arrive within the
 * headers timeout (else 504 UpstreamTimeout), the body must keep moving (body timeout) and stay under
 * the size cap; a service that cannot be reached is 502 UpstreamFailure.
 *
 * <p>The address check runs before the client connects and resolves the name again, so a DNS answer
 * that changes in between (rebinding) is not caught; the https requirement limits what such a
 * server could reach.
 */
public final class UpstreamClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UpstreamClient.class);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final boolean development;
    private final Duration headersTimeout;
    private final long bodyTimeoutNanos;
    private final long maxResponseBytes;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient client;

    /** One upstream answer: status and headers, the body still to be read (close it when done). */
    public record Response(int status, HttpHeaders headers, InputStream body) implements AutoCloseable {
        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    public UpstreamClient(boolean development, Duration headersTimeout, Duration bodyTimeout, long maxResponseBytes) {
        this.development = development;
        this.headersTimeout = headersTimeout;
        this.bodyTimeoutNanos = bodyTimeout.toNanos();
        this.maxResponseBytes = maxResponseBytes;
        this.client = HttpClient.newBuilder()
                .connectTimeout(headersTimeout.compareTo(CONNECT_TIMEOUT) < 0 ? headersTimeout : CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1) // as the reference PDS by default; h2c upgrades confuse some servers
                .executor(executor)
                .build();
    }

    /**
     * Sends one request and waits for the response headers. The body publisher may read the client's
     * request body; a body over its limit ends as that limit's 413.
     */
    public Response send(String method, URI uri, Map<String, String> headers, HttpRequest.BodyPublisher body) {
        checkDestination(uri);
        var builder = HttpRequest.newBuilder(uri).method(method, body).timeout(headersTimeout);
        headers.forEach(builder::header);
        var upstreamBody = new UpstreamBody(bodyTimeoutNanos, maxResponseBytes);
        try { // send returns at the response headers; the body follows as upstreamBody is read
            var response = client.send(builder.build(), HttpResponse.BodyHandlers.ofPublisher());
            response.body().subscribe(upstreamBody);
            long length = response.headers().firstValueAsLong("content-length").orElse(-1);
            if (length > maxResponseBytes) {
                upstreamBody.close();
                throw failure("Upstream response too large");
            }
            return new Response(response.statusCode(), response.headers(), upstreamBody);
        } catch (HttpConnectTimeoutException e) {
            throw failure(uri, e);
        } catch (HttpTimeoutException e) {
            log.warn("upstream {} timed out", uri.getHost());
            throw new XrpcException(504, "UpstreamTimeout", "Upstream service timed out");
        } catch (IOException e) {
            var tooLarge = XrpcCall.payloadTooLarge(e);
            if (tooLarge != null) throw tooLarge;
            throw failure(uri, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure(uri, e);
        }
    }

    /** Outside development: https only, and every address of the host public. */
    private void checkDestination(URI uri) {
        if (development) return;
        if (!"https".equals(uri.getScheme())) throw failure("Upstream service must be reached over https");
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(uri.getHost());
        } catch (UnknownHostException e) {
            throw failure(uri, e);
        }
        for (var a : addresses) {
            if (!IdentityHttp.isPublic(a)) throw failure("Upstream service resolves to a non-public address");
        }
    }

    private static XrpcException failure(URI uri, Exception e) {
        log.warn("upstream {} unreachable: {}", uri.getHost(), e.toString());
        return failure("Upstream service unreachable");
    }

    private static XrpcException failure(String message) {
        return new XrpcException(502, "UpstreamFailure", message);
    }

    @Override
    public void close() {
        client.shutdownNow();
        executor.shutdownNow();
    }
}
