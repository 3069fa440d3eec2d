package dev.alteran.pds.xrpc;

import dev.alteran.pds.wire.XrpcException;
import dev.alteran.pds.wire.Json;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.alteran.atproto.lexicon.StringFormat;
import dev.alteran.pds.auth.Authenticator;
import dev.alteran.pds.auth.AuthorizationHeader;
import dev.alteran.pds.auth.Principal;
import dev.alteran.pds.auth.ServiceTokenVerifier;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
    private boolean authenticated;
    private Principal principal;
    private String refreshToken;
    private JsonNode jsonBody;
    /** The bytes {@link #jsonBody} was parsed from. */
    private byte[] jsonBytes;
    /** One JSON document and nothing after it: a second document or trailing bytes make the body invalid. */
    private static final ObjectReader BODY_READER = Json.READER.with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public XrpcCall(String nsid, HttpServletRequest request, HttpServletResponse response, long maxJsonBytes,
                    Authenticator authenticator) {
        this.nsid = nsid;
        this.request = request;
        this.response = response;
        this.maxJsonBytes = maxJsonBytes;
        this.authenticator = authenticator;
    }

    /**
     * The verified caller, or null for an anonymous request; bad credentials are a 401 here. Verified
     * once per call: a route's declared level and its handler see the same answer.
     */
    public Principal auth() {
        if (!authenticated) {
            principal = authenticator.authenticate(request, response);
            authenticated = true;
        }
        return principal;
    }

    /**
     * Checks the caller against {@code level} (the servlet does so for every route before its handler
     * runs; the AppView proxy for the methods it forwards). Returns the caller, or null for a public
     * or refresh-token route. Errors as the reference PDS's: no session is a 401 AuthMissing, an app
     * password on a full-access route a 400 InvalidToken, an OAuth token on a session-only route a 403.
     */
    public Principal authorize(AuthLevel level) {
        return switch (level) {
            case PUBLIC -> null;
            case ACCESS_OR_SERVICE, OPTIONAL_SERVICE -> {
                Principal service;
                try {
                    service = authenticator.authenticateServiceToken(request, nsid);
                } catch (XrpcException e) {
                    // Another account's token: the reference checks it against that account's key, then its
                    // handler refuses the caller (createAccount: "Missing auth to create account with did").
                    // We verify only our account's tokens, so the call goes on without a caller, to the same answer.
                    if (level != AuthLevel.OPTIONAL_SERVICE || !ServiceTokenVerifier.UNTRUSTED_ISSUER.equals(e.error())) throw e;
                    principal = null;
                    authenticated = true;
                    yield null;
                }
                if (service != null || (level == AuthLevel.OPTIONAL_SERVICE && AuthorizationHeader.of(request) == null)) {
                    principal = service;
                    authenticated = true;
                    yield service;
                }
                if (level == AuthLevel.ACCESS_OR_SERVICE) yield authorize(AuthLevel.ACCESS);
                throw new XrpcException(401, "BadJwt", "A service token the account signed for " + nsid + " is required");
            }
            case ACCESS, SESSION, FULL_ACCESS, FULL_SESSION -> {
                var caller = auth();
                if (caller == null) throw AuthorizationHeader.authMissing();
                boolean full = level == AuthLevel.FULL_ACCESS || level == AuthLevel.FULL_SESSION;
                if (full && caller.isAppPassword()) throw new XrpcException(400, "InvalidToken", "Bad token scope");
                if ((level == AuthLevel.SESSION || level == AuthLevel.FULL_SESSION) && caller.isOAuth()) {
                    throw XrpcException.forbidden("OAuth credentials are not supported for this endpoint");
                }
                yield caller;
            }
            case REFRESH -> {
                refreshToken = AuthorizationHeader.requireBearer(request);
                yield null;
            }
        };
    }

    /** The caller of a route that declares an access token ({@link AuthLevel#ACCESS} and the like), checked before the handler ran. */
    public Principal principal() {
        if (principal == null) throw new IllegalStateException(nsid + ": no verified caller; does the route declare a session?");
        return principal;
    }

    /** The bearer token of a route declared {@link AuthLevel#REFRESH}, for the session operation to verify. */
    public String refreshToken() {
        if (refreshToken == null) throw new IllegalStateException(nsid + ": the route does not declare a refresh token");
        return refreshToken;
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
        var values = query().getOrDefault(name, List.of());
        if (values.isEmpty()) return null;
        if (values.size() > 1) throw XrpcException.invalidRequest("Parameter '" + name + "' given more than once");
        return values.get(0).isEmpty() ? null : values.get(0);
    }

    /** A parameter that must have a Lexicon string format, e.g. {@code since} as a TID; null when absent. */
    public String param(String name, StringFormat format) {
        var value = param(name);
        if (value != null && !format.isValid(value)) {
            throw XrpcException.invalidRequest("Error: " + name + " must be a valid " + format.wireName());
        }
        return value;
    }

    public List<String> params(String name) {
        return query().getOrDefault(name, List.of());
    }

    /**
     * XRPC parameters live in the query string only, so it is parsed here rather than by the
     * container: a body is never read as a form, and a malformed percent-escape is the client's
     * 400 instead of a container exception.
     */
    Map<String, List<String>> query() {
        if (query == null) query = parseQuery(request.getQueryString());
        return query;
    }

    static Map<String, List<String>> parseQuery(String raw) {
        var out = new LinkedHashMap<String, List<String>>();
        if (raw == null || raw.isEmpty()) return out;
        // Scanned in place, a name's single value held as List.of: every call parses its query, and
        // splitting it and gathering each value in a list to copy made most of the parse's garbage.
        boolean repeated = false;
        for (int start = 0, n = raw.length(); start < n; ) {
            int end = raw.indexOf('&', start);
            if (end < 0) end = n;
            if (end > start) {
                int eq = raw.indexOf('=', start);
                if (eq > end) eq = -1;
                var name = decode(raw.substring(start, eq < 0 ? end : eq));
                var value = eq < 0 ? "" : decode(raw.substring(eq + 1, end));
                var values = out.get(name);
                if (values == null) {
                    out.put(name, List.of(value));
                } else {
                    if (!(values instanceof ArrayList<String>)) out.put(name, values = new ArrayList<>(values));
                    values.add(value);
                    repeated = true;
                }
            }
            start = end + 1;
        }
        if (repeated) out.replaceAll((k, v) -> List.copyOf(v));
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
     * The JSON input object, read once. Size is checked against PDS_MAX_JSON_BYTES before anything is
     * parsed: by Content-Length when given, and by counting the stream when it is not.
     */
    public JsonNode jsonBody() {
        if (jsonBody == null) jsonBody = readJsonBody();
        return jsonBody;
    }

    private JsonNode readJsonBody() {
        if (!isJson(request.getContentType())) {
            throw XrpcException.invalidRequest("Wrong request encoding (Content-Type): expected application/json");
        }
        long declared = request.getContentLengthLong();
        if (declared > maxJsonBytes) throw XrpcException.payloadTooLarge("request body is larger than " + maxJsonBytes + " bytes");
        try (var in = new LimitedInputStream(request.getInputStream(), maxJsonBytes)) {
            jsonBytes = in.readAllBytes();
            var node = BODY_READER.readTree(jsonBytes);
            if (node == null || !node.isObject()) throw XrpcException.invalidRequest("Request body must be a JSON object");
            if (hasUnpairedSurrogate(node)) {
                // JSON escapes can spell what UTF-8 cannot: such a string is not in the atproto data model.
                throw XrpcException.invalidRequest("Request body is not valid JSON: a string holds an unpaired surrogate");
            }
            return node;
        } catch (JacksonException e) {
            throw XrpcException.invalidRequest("Request body is not valid JSON");
        } catch (IOException e) {
            if (e.getCause() instanceof XrpcException x) throw x;
            throw XrpcException.invalidRequest("Could not read the request body");
        }
    }

    private static boolean hasUnpairedSurrogate(JsonNode node) {
        if (node.isTextual()) return unpaired(node.textValue());
        for (var it = node.fields(); it.hasNext(); ) {
            var e = it.next();
            if (unpaired(e.getKey()) || hasUnpairedSurrogate(e.getValue())) return true;
        }
        if (node.isArray()) for (var item : node) if (hasUnpairedSurrogate(item)) return true;
        return false;
    }

    private static boolean unpaired(String s) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) i++;
            else if (Character.isSurrogate(ch)) return true;
        }
        return false;
    }

    /** {@code application/json}, with or without parameters such as charset; not {@code application/jsonx}. */
    static boolean isJson(String contentType) {
        if (contentType == null) return false;
        return contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT).equals("application/json");
    }

    /** The raw body; once {@link #jsonBody()} has read it, the same bytes again (a proxied call forwards them). */
    public InputStream body() throws IOException {
        return jsonBytes != null ? new ByteArrayInputStream(jsonBytes) : request.getInputStream();
    }

    /**
     * Reads what is left of a refused body (up to {@code limit} bytes) so that the client, still
     * sending, gets the error response: closing a connection with unread request bytes resets it, and
     * the client then sees no response at all.
     */
    public void discardBody(long limit) {
        try {
            var in = request.getInputStream();
            var buf = new byte[16 * 1024];
            long left = limit;
            for (int n; left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0; ) left -= n;
        } catch (IOException | RuntimeException e) {
            // the client is gone or the body broken: nothing to save
        }
    }

    /**
     * The raw body, at most {@code limit} bytes: a larger Content-Length is a 413 here, and reading
     * past the limit fails with an IOException whose cause is the 413 (see {@link #payloadTooLarge}).
     */
    public InputStream body(long limit) throws IOException {
        if (request.getContentLengthLong() > limit) throw XrpcException.payloadTooLarge("request body is larger than " + limit + " bytes");
        return new LimitedInputStream(body(), limit);
    }

    /** The 413 a {@link #body(long)} stream failed with, found anywhere in {@code e}'s causes; or null. */
    public static XrpcException payloadTooLarge(Throwable e) {
        for (var t = e; t != null; t = t.getCause()) {
            if (t instanceof XrpcException x && x.status() == 413) return x;
        }
        return null;
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
