package dev.alteran.pds.appview;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.auth.Principal;
import dev.alteran.pds.auth.ServiceAuth;
import dev.alteran.pds.wire.Json;
import dev.alteran.pds.xrpc.XrpcCall;
import dev.alteran.pds.wire.XrpcException;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * Forwards one XRPC call to a service and its answer back, as the reference PDS's pipethrough does:
 * the same method, path and query; the request headers that shape the answer (languages, labelers,
 * accepted types and encodings) and the body with its type and encoding; a fresh service-auth token
 * (iss: our DID, aud: the service's DID, lxm: the method) instead of the client's credentials. The
 * answer's status, content headers and atproto headers come back; hop-by-hop and other headers do
 * not. Errors of the service are re-rendered as XRPC errors with its status (500 becomes 502).
 */
public final class Pipethrough {
    /** Request headers passed on besides the body's own; everything else (cookies, auth, hop-by-hop) stays here. */
    static final List<String> REQUEST_HEADERS = List.of("accept", "accept-language", "atproto-accept-labelers", "x-bsky-topics");
    /** atproto headers of the answer passed back, on success and on error. */
    static final List<String> ATPROTO_RESPONSE_HEADERS = List.of("atproto-repo-rev", "atproto-content-labelers", "retry-after");
    static final int MAX_ERROR_BYTES = 64 * 1024;

    private final ServiceAuth serviceAuth;
    private final UpstreamClient client;
    private final long maxRequestBytes;
    private final MeterRegistry meters;

    /** Each upstream call is timed in {@code meters} (to its answer's headers), and its failures counted, by service. */
    public Pipethrough(ServiceAuth serviceAuth, UpstreamClient client, long maxRequestBytes, MeterRegistry meters) {
        this.serviceAuth = serviceAuth;
        this.client = client;
        this.maxRequestBytes = maxRequestBytes;
        this.meters = meters;
    }

    /**
     * {@code alteran.proxy.upstream} times the call; {@code alteran.proxy.upstream.errors} counts the
     * ones that got no answer (timeout, unreachable) or a 5xx one. Only proxied calls pay the meter lookup.
     */
    private UpstreamClient.Response timed(ProxyTarget target, String method, URI uri, Map<String, String> headers,
                                          InputStream body, long length) {
        long start = System.nanoTime();
        String failure = null;
        try {
            var up = client.send(method, uri, headers, body, length);
            if (up.status() >= 500) failure = "status_5xx";
            return up;
        } catch (XrpcException e) {
            failure = e.status() == 504 ? "timeout" : "unreachable";
            throw e;
        } finally {
            Timer.builder("alteran.proxy.upstream").description("Proxied calls, from sending to the service's answer headers")
                    .tag("service", target.name()).register(meters).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            if (failure != null) {
                Counter.builder("alteran.proxy.upstream.errors").description("Proxied calls that failed upstream")
                        .tags("service", target.name(), "reason", failure).register(meters).increment();
            }
        }
    }

    /**
     * Sends {@code call} to {@code target} on behalf of {@code principal} and returns the answer
     * unread, whatever its status. With {@code plain}, the service is asked not to compress the answer,
     * for callers that read it.
     */
    public UpstreamClient.Response send(XrpcCall call, Principal principal, ProxyTarget target, boolean plain) throws IOException {
        var req = call.request();
        var method = req.getMethod();
        var headers = new LinkedHashMap<String, String>();
        var encoding = req.getHeader("accept-encoding");
        headers.put("accept-encoding", plain || encoding == null ? "identity" : encoding);
        for (var name : REQUEST_HEADERS) {
            var values = Collections.list(req.getHeaders(name)); // list-valued headers may come in several lines
            if (!values.isEmpty()) headers.put(name, String.join(", ", values));
        }
        InputStream body = null;
        long length = 0;
        if (method.equals("POST")) {
            copy(req.getHeader("content-type"), "content-type", headers);
            copy(req.getHeader("content-encoding"), "content-encoding", headers);
            length = req.getContentLengthLong();
            var in = call.body(maxRequestBytes);
            if (length != 0) body = in; // streamed as it is sent; with its length, or chunked when it has none (-1)
        }
        headers.put("authorization", "Bearer " + token(principal, target, call.nsid()));
        return timed(target, method, uri(target, call), headers, body, length);
    }

    /** A GET of our own to {@code target} (e.g. a thread's parents during read-after-write), with a service token. */
    public UpstreamClient.Response get(Principal principal, ProxyTarget target, String nsid, String query) {
        var headers = new LinkedHashMap<String, String>();
        headers.put("accept-encoding", "identity");
        headers.put("authorization", "Bearer " + token(principal, target, nsid));
        var uri = URI.create(target.origin() + "/xrpc/" + nsid + (query == null ? "" : "?" + query));
        return timed(target, "GET", uri, headers, null, 0);
    }

    /** A fresh token: iss our DID, aud the service's bare DID (as the reference PDS sends it), lxm the method. */
    private String token(Principal principal, ProxyTarget target, String nsid) {
        return serviceAuth.issue(principal, target.service().did(), null, nsid);
    }

    private static void copy(String value, String name, LinkedHashMap<String, String> headers) {
        if (value != null) headers.put(name, value);
    }

    private static URI uri(ProxyTarget target, XrpcCall call) {
        var query = call.request().getQueryString();
        try {
            return new URI(target.origin() + "/xrpc/" + call.nsid() + (query == null ? "" : "?" + query));
        } catch (URISyntaxException e) {
            throw XrpcException.invalidRequest("malformed query string");
        }
    }

    /**
     * Streams a successful answer to the client. The first chunk is awaited before anything is sent,
     * so an answer that never starts is still a clean 504/502; a failure later aborts the response.
     */
    public void stream(UpstreamClient.Response up, HttpServletResponse resp) throws IOException {
        try (up) {
            var buffer = new byte[16 * 1024];
            int n = readFirst(up.body(), buffer);
            resp.setStatus(up.status());
            copyContentHeaders(up, resp);
            copyAtprotoHeaders(up, resp);
            if (n < 0) return;
            var out = resp.getOutputStream();
            out.write(buffer, 0, n);
            out.flush(); // committed: a later failure can only abort, never turn into an error with these headers
            // What the upstream sent reaches the client before we wait for more: a pause upstream is a flush here.
            var in = up.body();
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                if (in.available() == 0) out.flush();
            }
        }
    }

    private static int readFirst(InputStream in, byte[] buffer) {
        try {
            return in.read(buffer);
        } catch (IOException e) {
            throw bodyFailure(e);
        }
    }

    /** The XRPC error for a body that could not be read: stalled (504), too large or broken off (502). */
    static XrpcException bodyFailure(IOException e) {
        if (e instanceof UpstreamBody.IdleTimeoutException) return new XrpcException(504, "UpstreamTimeout", "Upstream service timed out");
        if (e instanceof UpstreamBody.TooLargeException) return new XrpcException(502, "UpstreamFailure", "Upstream response too large");
        return new XrpcException(502, "UpstreamFailure", "Upstream service unreachable");
    }

    private static void copyContentHeaders(UpstreamClient.Response up, HttpServletResponse resp) {
        var type = up.header("content-type");
        if (type != null) resp.setHeader("Content-Type", type);
        var language = up.header("content-language");
        if (language != null) resp.setHeader("Content-Language", language);
        var encoding = up.header("content-encoding");
        if (encoding != null) resp.setHeader("Content-Encoding", encoding);
        up.headers().firstValueAsLong("content-length").ifPresent(resp::setContentLengthLong);
    }

    /** The answer's atproto headers (also sent with an error): repo rev, labelers applied, retry-after. */
    public static void copyAtprotoHeaders(UpstreamClient.Response up, HttpServletResponse resp) {
        for (var name : ATPROTO_RESPONSE_HEADERS) {
            var values = up.headers().allValues(name);
            if (!values.isEmpty()) resp.setHeader(name, String.join(",", values));
        }
    }

    /** An error answer, read: its status and the error name and message it gave, if it gave them as JSON. */
    public record UpstreamError(int status, String error, String message) {
        /** The error as this PDS answers it: a 500 of the service is our 502, names and messages default by status. */
        public XrpcException toException() {
            int ours = status == 500 ? 502 : status;
            return new XrpcException(ours, error != null ? error : StatusNames.name(ours),
                    message != null && !message.isEmpty() ? message : StatusNames.text(ours));
        }
    }

    /** Reads an error answer (status 400 or more) and closes it. */
    public static UpstreamError readError(UpstreamClient.Response up) {
        try (up) {
            var type = up.header("content-type");
            if (type != null && !type.toLowerCase(Locale.ROOT).matches("application/([a-z0-9.-]+\\+)?json.*")) {
                return new UpstreamError(up.status(), null, null);
            }
            var json = Json.READER.readTree(decoded(up, up.body().readNBytes(MAX_ERROR_BYTES)));
            return new UpstreamError(up.status(), text(json, "error"), text(json, "message"));
        } catch (IOException | RuntimeException e) { // unreadable or not JSON: the status says enough
            return new UpstreamError(up.status(), null, null);
        }
    }

    /** Reads a whole answer (bounded by the size cap) and closes it; a failure is the 504/502 of {@link #bodyFailure}. */
    public static byte[] readAll(UpstreamClient.Response up) throws IOException {
        try (up) {
            return up.body().readAllBytes();
        } catch (IOException e) {
            throw bodyFailure(e);
        }
    }

    /** Parses an answer read by {@link #readAll}, undoing gzip or deflate. */
    public static JsonNode parseJson(UpstreamClient.Response up, byte[] bytes) throws IOException {
        return Json.READER.readTree(decoded(up, bytes));
    }

    /** Sends an answer read by {@link #readAll} on as it came. */
    public static void writeBuffered(UpstreamClient.Response up, byte[] bytes, HttpServletResponse resp) throws IOException {
        resp.setStatus(up.status());
        copyContentHeaders(up, resp);
        copyAtprotoHeaders(up, resp);
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    private static InputStream decoded(UpstreamClient.Response up, byte[] bytes) throws IOException {
        InputStream in = new java.io.ByteArrayInputStream(bytes);
        var encoding = up.header("content-encoding");
        if (encoding == null) return in;
        for (var e : encoding.toLowerCase(Locale.ROOT).split(",")) {
            in = switch (e.strip()) {
                case "gzip", "x-gzip" -> new GZIPInputStream(in);
                case "deflate" -> new InflaterInputStream(in);
                case "identity", "" -> in;
                default -> throw new IOException("unsupported content-encoding " + e);
            };
        }
        return in;
    }

    private static String text(JsonNode json, String field) {
        var node = json == null ? null : json.get(field);
        return node != null && node.isTextual() ? node.asText() : null;
    }
}
