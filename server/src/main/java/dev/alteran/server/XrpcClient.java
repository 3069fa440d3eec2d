package dev.alteran.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.store.Progress;
import dev.alteran.pds.wire.Json;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.Supplier;

/**
 * The XRPC calls the migration commands make to a PDS (another one, or this one while it runs): JSON
 * queries and procedures, raw uploads and downloads with progress, and a session that refreshes
 * itself once when the access token expires.
 */
final class XrpcClient {
    private static final Duration JSON_TIMEOUT = Duration.ofMinutes(2);
    private static final int MAX_JSON_BYTES = 16 << 20;
    private static final int MAX_REDIRECTS = 5;

    /** A call the host answered with an error, or could not be made at all ({@code status} 0). */
    static final class Failure extends RuntimeException {
        final int status;
        final String error;
        final String host;
        /** The error's message, or for an unreachable host what went wrong. */
        final String detail;

        Failure(String host, String nsid, int status, String error, String message) {
            super(switch (status) {
                case 0 -> "cannot reach " + host + " (" + nsid + "): " + message;
                case 200 -> host + " answered " + nsid + " with " + message;
                default -> host + " refused " + nsid + ": " + status + (error == null ? "" : " " + error) + (message == null ? "" : ": " + message);
            });
            this.host = host;
            this.status = status;
            this.error = error;
            this.detail = message;
        }

        boolean unreachable() {
            return status == 0;
        }
    }

    /** A downloaded body: where it is, how long it is, the type the host declared. */
    record Download(Path file, long bytes, String contentType) {}

    final String base;
    private final HttpClient http;
    private String accessJwt;
    private String refreshJwt;

    /** @param option the command-line option that gave {@code base}, named when it is not an http(s) URL */
    XrpcClient(String base, String option, HttpClient http) {
        URI uri;
        try {
            uri = new URI(base);
        } catch (URISyntaxException e) {
            uri = null;
        }
        if (uri == null || !("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException(option + " must be the server's http(s) URL, like https://pds.example.com, not " + base);
        }
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.http = http;
    }

    /**
     * HTTP/1.1: the client's default (HTTP/2) asks a plain-http server to upgrade, which some (Node's) answer by closing.
     * Redirects are not followed by the client (see {@link #download}).
     */
    static HttpClient newHttpClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(30))
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** createSession; the session is then used by every call. Returns the session output. */
    JsonNode login(String identifier, String password) {
        var session = call("com.atproto.server.createSession", "POST", Map.of(), json(Json.object().put("identifier", identifier)
                .put("password", password)), "application/json", null, false);
        useSession(session);
        return session;
    }

    /** Takes the tokens of a createSession or createAccount output. */
    void useSession(JsonNode session) {
        accessJwt = session.path("accessJwt").asText(null);
        refreshJwt = session.path("refreshJwt").asText(null);
        if (accessJwt == null) throw new Failure(base, "session", 200, null, "a session without accessJwt");
    }

    JsonNode query(String nsid, Map<String, String> params) {
        return call(nsid, "GET", params, null, null, null, true);
    }

    /** A procedure with a JSON input ({@code input} null: no body at all). */
    JsonNode procedure(String nsid, JsonNode input) {
        return call(nsid, "POST", Map.of(), input == null ? null : json(input), "application/json", null, true);
    }

    /** A procedure authorized by {@code bearer} instead of the session (a service token). */
    JsonNode procedureAs(String bearer, String nsid, JsonNode input) {
        return call(nsid, "POST", Map.of(), json(input), "application/json", bearer, false);
    }

    /** A procedure whose input is {@code file} (a CAR, a blob), with the bytes sent reported to {@code progress}. */
    JsonNode upload(String nsid, Path file, String contentType, String phase, Progress progress) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return call(nsid, "POST", Map.of(), () -> HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
            try {
                return new Counting(Files.newInputStream(file), phase, size, progress, Long.MAX_VALUE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }), size), contentType, null, true);
    }

    /** A query whose output is raw bytes, at most {@code maxBytes}, written to {@code target} (replaced only once complete). */
    Download download(String nsid, Map<String, String> params, Path target, long maxBytes, String phase, Progress progress) {
        return withRefresh(() -> {
            var request = request(nsid, params, true).GET().build();
            HttpResponse<InputStream> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                // Followed here, not by the client: it would send our session to whatever host the answer names.
                for (int hops = 0; isRedirect(response.statusCode()) && hops < MAX_REDIRECTS; hops++) {
                    var location = response.headers().firstValue("location").orElse(null);
                    var next = location == null ? null : request.uri().resolve(location);
                    // https anywhere; http only from http (never down from https), nothing else
                    if (next == null || !("https".equals(next.getScheme()) || "http".equals(next.getScheme())
                            && "http".equals(request.uri().getScheme()))) break;
                    response.body().close();
                    var b = HttpRequest.newBuilder(next).GET();
                    if (sameOrigin(next, request.uri())) request.headers().firstValue("authorization").ifPresent(v -> b.header("authorization", v));
                    response = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
                }
            } catch (IOException | IllegalArgumentException e) {
                throw unreachable(nsid, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw unreachable(nsid, e);
            }
            if (response.statusCode() != 200) {
                try (var in = response.body()) {
                    throw failure(nsid, response.statusCode(), in.readNBytes(MAX_JSON_BYTES));
                } catch (IOException e) {
                    throw unreachable(nsid, e);
                }
            }
            long total = response.headers().firstValueAsLong("content-length").orElse(0);
            var part = target.resolveSibling(target.getFileName() + ".part");
            var tooLarge = new Failure(base, nsid, 200, null, "an answer larger than " + maxBytes + " bytes");
            try (var in = new Counting(response.body(), phase, total, progress, maxBytes)) {
                if (total > maxBytes) throw tooLarge;
                long bytes = Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
                Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return new Download(target, bytes, response.headers().firstValue("content-type").orElse("application/octet-stream"));
            } catch (Counting.TooLarge e) {
                throw tooLarge;
            } catch (IOException e) {
                throw unreachable(nsid, e);
            } finally {
                try {
                    Files.deleteIfExists(part);
                } catch (IOException ignored) {
                    // the next download replaces it
                }
            }
        });
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equals(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort();
    }

    private interface Body {
        HttpRequest.BodyPublisher publisher();
    }

    private static Body json(JsonNode node) {
        var bytes = node.toString().getBytes(StandardCharsets.UTF_8);
        return () -> HttpRequest.BodyPublishers.ofByteArray(bytes);
    }

    private JsonNode call(String nsid, String method, Map<String, String> params, Body body, String contentType, String bearer,
                          boolean session) {
        var send = (Supplier<JsonNode>) () -> {
            var b = request(nsid, params, session);
            if (bearer != null) b.header("authorization", "Bearer " + bearer);
            if (body == null) {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                b.header("content-type", contentType).method(method, body.publisher());
            }
            if (contentType == null || contentType.equals("application/json")) b.timeout(JSON_TIMEOUT);
            int status;
            byte[] answer;
            try {
                var response = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
                status = response.statusCode();
                try (var in = response.body()) {
                    answer = in.readNBytes(MAX_JSON_BYTES + 1);
                }
            } catch (IOException e) {
                throw unreachable(nsid, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw unreachable(nsid, e);
            }
            if (answer.length > MAX_JSON_BYTES) throw new Failure(base, nsid, status, null, "an answer larger than " + MAX_JSON_BYTES + " bytes");
            if (status != 200) throw failure(nsid, status, answer);
            if (answer.length == 0) return Json.object();
            JsonNode node;
            try {
                node = Json.READER.readTree(answer);
            } catch (IOException e) {
                node = null;
            }
            if (node == null || !node.isObject()) throw new Failure(base, nsid, 200, null, "an answer that is not a JSON object");
            return node;
        };
        return session ? withRefresh(send) : send.get();
    }

    /** Runs {@code call}; when the access token has expired, refreshes the session once and runs it again. */
    private <T> T withRefresh(Supplier<T> call) {
        try {
            return call.get();
        } catch (Failure f) {
            // ExpiredToken also names other expired tokens (signPlcOperation's): refresh only when the session's has expired.
            if (!"ExpiredToken".equals(f.error) || refreshJwt == null || !accessExpired()) throw f;
            useSession(call("com.atproto.server.refreshSession", "POST", Map.of(), null, null, refreshJwt, false));
            return call.get();
        }
    }

    /** Whether the access token's {@code exp} has passed (or is unreadable, as a token we cannot judge). */
    private boolean accessExpired() {
        try {
            var parts = accessJwt.split("\\.");
            var claims = Json.READER.readTree(Base64.getUrlDecoder().decode(parts[1]));
            return !claims.path("exp").canConvertToLong() || claims.path("exp").asLong() <= System.currentTimeMillis() / 1000 + 5;
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    private HttpRequest.Builder request(String nsid, Map<String, String> params, boolean session) {
        var query = new StringJoiner("&", "?", "").setEmptyValue("");
        for (var e : new LinkedHashMap<>(params).entrySet()) {
            if (e.getValue() != null) query.add(enc(e.getKey()) + "=" + enc(e.getValue()));
        }
        var b = HttpRequest.newBuilder(URI.create(base + "/xrpc/" + nsid + query));
        if (session && accessJwt != null) b.header("authorization", "Bearer " + accessJwt);
        return b;
    }

    private Failure failure(String nsid, int status, byte[] body) {
        String error = null, message = null;
        try {
            var node = Json.READER.readTree(body);
            error = node.path("error").asText(null);
            message = node.path("message").asText(null);
        } catch (IOException | RuntimeException e) {
            // not an XRPC error body (a proxy's page): the status says enough
        }
        return new Failure(base, nsid, status, error, message);
    }

    private Failure unreachable(String nsid, Exception e) {
        var reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
        return new Failure(base, nsid, 0, null, reason);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Reports the bytes read through it, and stops past {@code limit}. */
    private static final class Counting extends FilterInputStream {
        static final class TooLarge extends IOException {}

        private final String phase;
        private final long total;
        private final Progress progress;
        private final long limit;
        private long count;

        Counting(InputStream in, String phase, long total, Progress progress, long limit) {
            super(in);
            this.phase = phase;
            this.total = total;
            this.progress = progress;
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) counted(1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) counted(n);
            return n;
        }

        private void counted(int n) throws TooLarge {
            count += n;
            if (count > limit) throw new TooLarge();
            progress.update(phase, count, total);
        }
    }
}
