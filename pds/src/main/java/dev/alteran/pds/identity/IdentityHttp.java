package dev.alteran.pds.identity;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The bounded HTTP GET used by identity resolution, where the URL comes from strangers (a handle, a
 * did:web host): one deadline for the whole exchange (so a trickling server cannot hold a request
 * thread), a cap on the body, redirects only when asked for and never from https to http, and,
 * outside development, no fetches to loopback or private addresses.
 */
public final class IdentityHttp implements AutoCloseable {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);
    static final int MAX_REDIRECTS = 5;

    private HttpClient client; // built on first use: a client's TLS set-up costs start-up time most servers never need
    private boolean closed;
    private final Duration timeout;
    private final boolean allowPrivateAddresses;

    public record Response(int status, byte[] body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    public IdentityHttp(Duration timeout, boolean allowPrivateAddresses) {
        this.timeout = timeout;
        this.allowPrivateAddresses = allowPrivateAddresses;
    }

    private synchronized HttpClient client() {
        if (closed) throw new ResolutionException("the identity HTTP client is closed");
        if (client == null) {
            client = HttpClient.newBuilder()
                    .connectTimeout(timeout)
                    .followRedirects(HttpClient.Redirect.NEVER) // followed by hand, so each hop is checked
                    .version(HttpClient.Version.HTTP_1_1)
                    .build();
        }
        return client;
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
            var response = once(current, accept, maxBytes, deadline);
            boolean redirect = response.statusCode() >= 300 && response.statusCode() < 400;
            if (!redirect || !followRedirects) return new Response(response.statusCode(), response.body());
            if (hop >= MAX_REDIRECTS) throw new ResolutionException("too many redirects from " + uri);
            var location = response.headers().firstValue("location")
                    .orElseThrow(() -> new ResolutionException("redirect without a location from " + uri));
            var next = current.resolve(location);
            if ("https".equals(current.getScheme()) && !"https".equals(next.getScheme())) {
                throw new ResolutionException("refusing a redirect from https to " + next.getScheme());
            }
            current = next;
        }
    }

    private HttpResponse<byte[]> once(URI uri, String accept, int maxBytes, long deadline) {
        var scheme = uri.getScheme();
        if (!"https".equals(scheme) && !"http".equals(scheme)) throw new ResolutionException("not an http(s) URL: " + uri);
        if (uri.getHost() == null) throw new ResolutionException("URL without a host: " + uri);
        checkAddress(uri.getHost());
        long left = deadline - System.nanoTime();
        if (left <= 0) throw new ResolutionException("timed out fetching " + uri);
        var request = HttpRequest.newBuilder(uri).GET().timeout(Duration.ofNanos(left)).header("accept", accept).build();
        var future = client().sendAsync(request, info -> new CappedBody(maxBytes));
        try {
            return future.get(left, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new ResolutionException("timed out fetching " + uri);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new ResolutionException("interrupted fetching " + uri);
        } catch (ExecutionException e) {
            var cause = e.getCause();
            if (cause instanceof ResolutionException r) throw r;
            if (cause instanceof IOException io && io.getCause() instanceof ResolutionException r) throw r;
            throw new ResolutionException("could not fetch " + uri + ": " + cause, cause);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (client != null) client.close();
    }

    /** Keeps a server that a stranger named from making us call into our own network. */
    private void checkAddress(String host) {
        if (allowPrivateAddresses) return;
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new ResolutionException("unknown host " + host, e);
        }
        for (var a : addresses) {
            if (!isPublic(a)) throw new ResolutionException("refusing to fetch from the non-public address of " + host);
        }
    }

    /** A public unicast address: not loopback, link-local, private, carrier-grade NAT, multicast or reserved. */
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
        return (b[0] & 0xfe) != 0xfc; // IPv6 unique local fc00::/7
    }

    /** Collects the body, failing as soon as it grows past the cap instead of buffering all of it. */
    private static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int max;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private Flow.Subscription subscription;

        CappedBody(int max) {
            this.max = max;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) return;
            for (var buffer : items) {
                if (out.size() + buffer.remaining() > max) {
                    subscription.cancel();
                    result.completeExceptionally(new ResolutionException("response larger than " + max + " bytes"));
                    return;
                }
                var bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                out.writeBytes(bytes);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(out.toByteArray());
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }
    }
}
