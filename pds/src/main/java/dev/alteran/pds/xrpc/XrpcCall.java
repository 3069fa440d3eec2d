package dev.alteran.pds.xrpc;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.auth.Authenticator;
import dev.alteran.pds.auth.Principal;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/** One XRPC request: typed access to parameters and the body, each checked, each failure a 400. */
public final class XrpcCall {
    private final String nsid;
    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final long maxJsonBytes;
    private final Authenticator authenticator;
    private Map<String, List<String>> query;

    public XrpcCall(String nsid, HttpServletRequest request, HttpServletResponse response, long maxJsonBytes,
                    Authenticator authenticator) {
        this.nsid = nsid;
        this.request = request;
        this.response = response;
        this.maxJsonBytes = maxJsonBytes;
        this.authenticator = authenticator;
    }

    /** The verified caller, or null for an anonymous request; bad credentials are a 401 here. */
    public Principal auth() {
        return authenticator.authenticate(request);
    }

    /** The verified caller; an anonymous request is a 401 AuthMissing, as the reference PDS answers it. */
    public Principal requireAuth() {
        var principal = auth();
        if (principal == null) throw new XrpcException(401, "AuthMissing", "Authentication Required");
        return principal;
    }

    /** Like {@link #requireAuth()}, but app-password sessions are refused (account-level operations). */
    public Principal requireFullAuth() {
        var principal = requireAuth();
        if (principal.isAppPassword()) throw new XrpcException(400, "InvalidToken", "Bad token scope");
        return principal;
    }

    public String nsid() {
        return nsid;
    }

    public HttpServletRequest request() {
        return request;
    }

    public HttpServletResponse response() {
        return response;
    }

    /** A query parameter, or null when absent or empty. Repeating a single-valued parameter is an error. */
    public String param(String name) {
        var values = params(name);
        if (values.isEmpty()) return null;
        if (values.size() > 1) throw XrpcException.invalidRequest("Parameter '" + name + "' given more than once");
        return values.getFirst().isEmpty() ? null : values.getFirst();
    }

    public List<String> params(String name) {
        if (query == null) query = parseQuery(request.getQueryString());
        return query.getOrDefault(name, List.of());
    }

    /**
     * XRPC parameters live in the query string only. Parsed here rather than through the servlet
     * parameter map, which also looks for form content in the body and costs more than some handlers.
     */
    static Map<String, List<String>> parseQuery(String raw) {
        if (raw == null || raw.isEmpty()) return Map.of();
        var out = new HashMap<String, List<String>>();
        int start = 0, n = raw.length();
        while (start <= n) {
            int amp = raw.indexOf('&', start);
            int end = amp < 0 ? n : amp;
            if (end > start) {
                int eq = raw.indexOf('=', start);
                boolean hasValue = eq >= 0 && eq < end;
                var key = decode(raw.substring(start, hasValue ? eq : end));
                var value = hasValue ? decode(raw.substring(eq + 1, end)) : "";
                out.computeIfAbsent(key, k -> new ArrayList<>(1)).add(value);
            }
            start = end + 1;
        }
        return out;
    }

    private static String decode(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw XrpcException.invalidRequest("Malformed query string");
        }
    }

    public String requiredParam(String name) {
        var value = param(name);
        if (value == null) throw XrpcException.invalidRequest("Error: Params must have the property \"" + name + "\"");
        return value;
    }

    public int intParam(String name, int fallback, int min, int max) {
        var value = param(name);
        if (value == null) return fallback;
        try {
            int n = Integer.parseInt(value);
            if (n < min || n > max) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw XrpcException.invalidRequest("Error: " + name + " must be an integer between " + min + " and " + max);
        }
    }

    public boolean boolParam(String name, boolean fallback) {
        var value = param(name);
        if (value == null) return fallback;
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw XrpcException.invalidRequest("Error: " + name + " must be a boolean");
        };
    }

    /**
     * The JSON input object. Size is checked against PDS_MAX_JSON_BYTES before anything is parsed:
     * by Content-Length when given, and by counting the stream when it is not.
     */
    public JsonNode jsonBody() {
        var type = request.getContentType();
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw XrpcException.invalidRequest("Wrong request encoding (Content-Type): expected application/json");
        }
        long declared = request.getContentLengthLong();
        if (declared > maxJsonBytes) throw XrpcException.payloadTooLarge("request body is larger than " + maxJsonBytes + " bytes");
        try (var in = new LimitedInputStream(request.getInputStream(), maxJsonBytes)) {
            var node = Json.MAPPER.readTree(in);
            if (node == null || !node.isObject()) throw XrpcException.invalidRequest("Request body must be a JSON object");
            return node;
        } catch (JacksonException e) {
            throw XrpcException.invalidRequest("Request body is not valid JSON");
        } catch (IOException e) {
            if (e.getCause() instanceof XrpcException x) throw x;
            throw XrpcException.invalidRequest("Could not read the request body");
        }
    }

    public InputStream body() throws IOException {
        return request.getInputStream();
    }

    /** Fails a read once more than {@code limit} bytes arrived: a body without Content-Length is still bounded. */
    static final class LimitedInputStream extends java.io.FilterInputStream {
        private final long limit;
        private long count;

        LimitedInputStream(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count(1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) count(n);
            return n;
        }

        private void count(long n) throws IOException {
            count += n;
            if (count > limit) throw new IOException(XrpcException.payloadTooLarge("request body is larger than " + limit + " bytes"));
        }
    }
}
