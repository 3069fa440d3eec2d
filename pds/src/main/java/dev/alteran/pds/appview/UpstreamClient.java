package dev.alteran.pds.appview;

import dev.alteran.pds.identity.Egress;
import dev.alteran.pds.identity.EgressClient;
import dev.alteran.pds.identity.IdentityHttp;
import dev.alteran.pds.identity.RefusedAddressException;
import dev.alteran.pds.identity.ResolutionException;
import dev.alteran.pds.wire.XrpcException;
import dev.alteran.pds.xrpc.XrpcCall;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.InputStreamRequestContent;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP client of the proxy. Outside development it only speaks https and only to public
 * addresses (the rules of {@link IdentityHttp#isPublic}), so a client cannot point the PDS at the
 * operator's own network: each connection goes to an address its host resolved to once and that was
 * checked, so a DNS answer that changes in between (rebinding) gains nothing (see
 * {@link EgressClient}). Redirects are never followed. The response headers must arrive within the
 * headers timeout (else 504 UpstreamTimeout), the body must keep moving (body timeout) and stay under
 * the size cap; a service that cannot be reached is 502 UpstreamFailure.
 */
public final class UpstreamClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UpstreamClient.class);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final boolean development;
    private final long headersTimeoutNanos;
    private final long bodyTimeoutNanos;
    private final long maxResponseBytes;
    private final EgressClient http;

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
        this(development, headersTimeout, bodyTimeout, maxResponseBytes, development ? Egress.anywhere() : Egress.publicOnly());
    }

    /** With the addresses {@code egress} allows (outside development, https is required whatever it allows). */
    public UpstreamClient(boolean development, Duration headersTimeout, Duration bodyTimeout, long maxResponseBytes, Egress egress) {
        this.development = development;
        this.headersTimeoutNanos = headersTimeout.toNanos();
        this.bodyTimeoutNanos = bodyTimeout.toNanos();
        this.maxResponseBytes = maxResponseBytes;
        var connect = headersTimeout.compareTo(CONNECT_TIMEOUT) < 0 ? headersTimeout : CONNECT_TIMEOUT;
        // Jetty's idle timeout stays longer than ours, so a stall is our 504 rather than its failure.
        var idle = headersTimeout.compareTo(bodyTimeout) > 0 ? headersTimeout : bodyTimeout;
        this.http = new EgressClient(egress, "upstream", connect, idle.multipliedBy(2).plusSeconds(30));
    }

    /**
     * Sends one request and waits for the response headers. {@code body} (null for none) is read as it
     * is sent, {@code length} bytes or, when -1, to its end; a body over its limit ends as that limit's 413.
     */
    public Response send(String method, URI uri, Map<String, String> headers, InputStream body, long length) {
        if (!development && !"https".equals(uri.getScheme())) throw failure("Upstream service must be reached over https");
        Request request;
        try {
            request = http.client().newRequest(uri).method(method).headers(h -> headers.forEach(h::put));
        } catch (ResolutionException | IllegalArgumentException e) { // closed, or a URI Jetty cannot send to
            throw failure(uri, e);
        }
        if (body != null) request.body(new StreamContent(body, length));
        var upstreamBody = new UpstreamBody(bodyTimeoutNanos, maxResponseBytes);
        request.send(upstreamBody);
        org.eclipse.jetty.client.Response response;
        try { // the headers; the body follows as upstreamBody is read
            response = upstreamBody.awaitHeaders(headersTimeoutNanos);
        } catch (TimeoutException e) {
            request.abort(e);
            log.warn("upstream {} timed out", uri.getHost());
            throw new XrpcException(504, "UpstreamTimeout", "Upstream service timed out");
        } catch (InterruptedException e) {
            request.abort(e);
            Thread.currentThread().interrupt();
            throw failure(uri, e);
        } catch (ExecutionException e) {
            throw failure(uri, e.getCause());
        }
        long announced;
        try {
            announced = response.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        } catch (NumberFormatException e) {
            announced = -1; // framed by the parser already; the cap on reading still holds
        }
        if (announced > maxResponseBytes) {
            upstreamBody.close();
            throw failure("Upstream response too large");
        }
        return new Response(response.getStatus(), headers(response.getHeaders()), upstreamBody);
    }

    private static HttpHeaders headers(HttpFields fields) {
        var map = new TreeMap<String, List<String>>(String.CASE_INSENSITIVE_ORDER);
        for (var field : fields) map.computeIfAbsent(field.getName(), k -> new ArrayList<>()).add(field.getValue());
        return HttpHeaders.of(map, (name, value) -> true);
    }

    /** The 502 (or the client body's 413) for a request that failed before its answer's headers. */
    private static XrpcException failure(URI uri, Throwable e) {
        var tooLarge = XrpcCall.payloadTooLarge(e);
        if (tooLarge != null) return tooLarge;
        for (var t = e; t != null; t = t.getCause()) {
            if (t instanceof RefusedAddressException) return failure("Upstream service resolves to a non-public address");
        }
        log.warn("upstream {} unreachable: {}", uri.getHost(), e.toString());
        return failure("Upstream service unreachable");
    }

    private static XrpcException failure(String message) {
        return new XrpcException(502, "UpstreamFailure", message);
    }

    @Override
    public void close() {
        http.close();
    }

    /** A request body read from a stream as it is sent, with its length when the client declared one. */
    private static final class StreamContent extends InputStreamRequestContent {
        private final long length;

        StreamContent(InputStream in, long length) {
            super(null, in); // no type of its own: the content-type header, if any, was copied from the client
            this.length = length;
        }

        @Override
        public long getLength() {
            return length;
        }
    }
}
