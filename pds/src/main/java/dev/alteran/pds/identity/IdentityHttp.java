package dev.alteran.pds.identity;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;

/**
 * The bounded HTTP GET used by identity resolution (and the POST of did:plc operations to the PLC directory), where the URL comes from strangers (a handle, a
 * did:web host): one deadline for the whole exchange (so a trickling server cannot hold a request
 * thread), a cap on the body, redirects only when asked for and never from https to http, and,
 * outside development, no fetches to loopback or private addresses: each connection goes to an
 * address its host resolved to once and that was checked (see {@link EgressClient}).
 */
public final class IdentityHttp implements AutoCloseable {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);
    static final int MAX_REDIRECTS = 5;

    private final Duration timeout;
    private final EgressClient http;

    public record Response(int status, byte[] body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private record Fetched(int status, byte[] body, String location) {}

    public IdentityHttp(Duration timeout, boolean allowPrivateAddresses) {
        this(timeout, allowPrivateAddresses ? Egress.anywhere() : Egress.publicOnly());
    }

    public IdentityHttp(Duration timeout, Egress egress) {
        this.timeout = timeout;
        // Jetty's own idle timeout stays out of the way: the deadline below decides.
        this.http = new EgressClient(egress, "identity-http", timeout, timeout.plus(timeout));
    }

    /**
     * GETs {@code uri}. Any non-redirect status is returned as is; a redirect is followed (up to
     * {@value #MAX_REDIRECTS} hops) only when {@code followRedirects}, and is otherwise returned too.
     *
     * @throws ResolutionException when the server cannot be reached in time, the body is larger than
     *     {@code maxBytes}, or the address is not allowed
     */
    public Response get(URI uri, String accept, int maxBytes, boolean followRedirects) {
        long deadline = System.nanoTime() + timeout.toNanos();
        var current = uri;
        for (int hop = 0; ; hop++) {
            var response = once(HttpMethod.GET, current, accept, null, null, maxBytes, deadline);
            boolean redirect = response.status() >= 300 && response.status() < 400;
            if (!redirect || !followRedirects) return new Response(response.status(), response.body());
            if (hop >= MAX_REDIRECTS) throw new ResolutionException("too many redirects from " + uri);
            if (response.location() == null) throw new ResolutionException("redirect without a location from " + uri);
            URI next;
            try {
                next = current.resolve(response.location());
            } catch (IllegalArgumentException e) {
                throw new ResolutionException("malformed redirect location from " + uri, e);
            }
            if ("https".equals(current.getScheme()) && !"https".equals(next.getScheme())) {
                throw new ResolutionException("refusing a redirect from https to " + next.getScheme());
            }
            current = next;
        }
    }

    /**
     * POSTs {@code body} to {@code uri} under the same deadline and cap as {@link #get}; redirects are not
     * followed (a redirected POST is returned as is). Used for the operator-configured PLC directory only.
     *
     * @throws ResolutionException when the server cannot be reached in time, the answer is larger than
     *     {@code maxBytes}, or the address is not allowed
     */
    public Response post(URI uri, String contentType, byte[] body, String accept, int maxBytes) {
        long deadline = System.nanoTime() + timeout.toNanos();
        var response = once(HttpMethod.POST, uri, accept, contentType, body, maxBytes, deadline);
        return new Response(response.status(), response.body());
    }

    private Fetched once(HttpMethod method, URI uri, String accept, String contentType, byte[] content, int maxBytes, long deadline) {
        var scheme = uri.getScheme();
        if (!"https".equals(scheme) && !"http".equals(scheme)) throw new ResolutionException("not an http(s) URL: " + uri);
        if (uri.getHost() == null) throw new ResolutionException("URL without a host: " + uri);
        long left = deadline - System.nanoTime();
        if (left <= 0) throw new ResolutionException("timed out fetching " + uri);
        var body = new CappedBody(maxBytes);
        var request = http.client().newRequest(uri).method(method)
                .headers(h -> h.put(HttpHeader.ACCEPT, accept))
                .timeout(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)), TimeUnit.MILLISECONDS); // 0 would mean none
        if (content != null) request.body(new BytesRequestContent(contentType, content));
        request.send(body);
        try {
            return body.result.get(left, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            request.abort(e);
            throw new ResolutionException("timed out fetching " + uri);
        } catch (InterruptedException e) {
            request.abort(e);
            Thread.currentThread().interrupt();
            throw new ResolutionException("interrupted fetching " + uri);
        } catch (ExecutionException e) {
            for (var t = e.getCause(); t != null; t = t.getCause()) {
                if (t instanceof ResolutionException r) throw r;
                if (t instanceof UnknownHostException) throw new ResolutionException("unknown host " + uri.getHost(), t);
                if (t instanceof TimeoutException) throw new ResolutionException("timed out fetching " + uri);
            }
            throw new ResolutionException("could not fetch " + uri + ": " + e.getCause(), e.getCause());
        }
    }

    @Override
    public void close() {
        http.close();
    }

    /**
     * A public unicast address: not loopback, link-local, private, carrier-grade NAT, multicast or
     * reserved. IPv6 must be global unicast (2000::/3, less the IETF and documentation blocks and
     * Teredo, whose IPv4 end is hidden); addresses that carry an IPv4 address (IPv4-mapped and
     * -compatible, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that IPv4 address; local-use
     * NAT64 (64:ff9b:1::/48) is refused.
     */
    public static boolean isPublic(InetAddress a) {
        if (a.isLoopbackAddress() || a.isAnyLocalAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || a.isMulticastAddress()) return false;
        var b = a.getAddress();
        if (b.length == 4) {
            int first = b[0] & 0xff, second = b[1] & 0xff;
            if (first == 0) return false; // "this network"
            if (first == 100 && second >= 64 && second < 128) return false; // carrier-grade NAT, 100.64/10
            if (first == 198 && (second == 18 || second == 19)) return false; // benchmarking, 198.18/15
            return first < 224; // 224/4 multicast (above) and 240/4 reserved
        }
        if (zero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) return isPublic(ipv4(b, 12)); // ::ffff:a.b.c.d
        if (zero(b, 0, 12)) return isPublic(ipv4(b, 12)); // ::a.b.c.d (:: and ::1 were refused above)
        if (startsWith(b, 0x00, 0x64, 0xff, 0x9b)) {
            if (zero(b, 4, 12)) return isPublic(ipv4(b, 12)); // NAT64 64:ff9b::/96 reaches that IPv4 address
            return false; // 64:ff9b:1::/48 is local-use NAT64 (and the rest of 64:ff9b::/32 unassigned)
        }
        if ((b[0] & 0xe0) != 0x20) return false; // outside 2000::/3 global unicast: unique local, reserved, discard
        if (startsWith(b, 0x20, 0x02)) return isPublic(ipv4(b, 2)); // 6to4 2002:a.b.c.d::/48 relays to that IPv4 address
        if (startsWith(b, 0x20, 0x01) && (b[2] & 0xfe) == 0) return false; // 2001::/23 IETF block: Teredo 2001::/32, benchmarking, ORCHID
        if (startsWith(b, 0x20, 0x01, 0x0d, 0xb8)) return false; // documentation 2001:db8::/32
        if (startsWith(b, 0x3f, 0xff) && (b[2] & 0xf0) == 0) return false; // documentation 3fff::/20
        return true;
    }

    private static boolean zero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) return false;
        }
        return true;
    }

    private static boolean startsWith(byte[] b, int... prefix) {
        for (int i = 0; i < prefix.length; i++) {
            if ((b[i] & 0xff) != prefix[i]) return false;
        }
        return true;
    }

    private static InetAddress ipv4(byte[] b, int offset) {
        try {
            return InetAddress.getByAddress(Arrays.copyOfRange(b, offset, offset + 4));
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // four bytes are always an address
        }
    }

    /** Collects the body, failing as soon as it grows (or is announced to grow) past the cap instead of buffering all of it. */
    private static final class CappedBody implements org.eclipse.jetty.client.Response.Listener {
        private final int max;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final CompletableFuture<Fetched> result = new CompletableFuture<>();

        CappedBody(int max) {
            this.max = max;
        }

        private ResolutionException tooLarge() {
            return new ResolutionException("response larger than " + max + " bytes");
        }

        @Override
        public void onHeaders(org.eclipse.jetty.client.Response response) {
            long length;
            try {
                length = response.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
            } catch (NumberFormatException e) {
                length = -1; // the parser framed the body already; the cap below still holds
            }
            if (length > max) response.abort(tooLarge());
        }

        @Override
        public void onContent(org.eclipse.jetty.client.Response response, ByteBuffer content) {
            if (out.size() + content.remaining() > max) {
                response.abort(tooLarge());
                return;
            }
            var bytes = new byte[content.remaining()];
            content.get(bytes);
            out.writeBytes(bytes);
        }

        @Override
        public void onComplete(Result r) {
            if (r.isFailed()) {
                result.completeExceptionally(r.getFailure());
            } else {
                var response = r.getResponse();
                result.complete(new Fetched(response.getStatus(), out.toByteArray(), response.getHeaders().get(HttpHeader.LOCATION)));
            }
        }
    }
}
