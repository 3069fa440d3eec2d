package dev.alteran.bench.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

/** A minimal XRPC client over java.net.http, logged in with createSession. */
final class Xrpc {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    final String baseUrl;
    final HttpClient http;
    private volatile String accessJwt;

    String accessJwt() {
        return accessJwt;
    }

    Xrpc(String baseUrl) {
        this.baseUrl = baseUrl;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    void login(String identifier, String password) throws IOException, InterruptedException {
        var session = post("com.atproto.server.createSession", Map.of("identifier", identifier, "password", password), false);
        accessJwt = session.get("accessJwt").asText();
    }

    JsonNode post(String nsid, Object body) throws IOException, InterruptedException {
        return post(nsid, body, true);
    }

    private JsonNode post(String nsid, Object body, boolean auth) throws IOException, InterruptedException {
        var req = HttpRequest.newBuilder(URI.create(baseUrl + "/xrpc/" + nsid)).timeout(TIMEOUT)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        if (auth) req.header("authorization", "Bearer " + accessJwt);
        return parse(http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray()), nsid);
    }

    JsonNode get(String nsid, Map<String, String> params) throws IOException, InterruptedException {
        return parse(http.send(getRequest(nsid, params), HttpResponse.BodyHandlers.ofByteArray()), nsid);
    }

    HttpRequest getRequest(String nsid, Map<String, String> params) {
        var query = params.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return HttpRequest.newBuilder(URI.create(baseUrl + "/xrpc/" + nsid + (query.isEmpty() ? "" : "?" + query)))
                .timeout(TIMEOUT).GET().build();
    }

    /** Streams a response body to nowhere; returns its size in bytes. Non-200 is an exception. */
    long drain(HttpRequest req) throws IOException, InterruptedException {
        var resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = resp.body()) {
            var buf = new byte[64 * 1024];
            long n = 0;
            for (int r; (r = in.read(buf)) >= 0; ) n += r;
            if (resp.statusCode() != 200) throw new IOException(req.uri() + " -> " + resp.statusCode());
            return n;
        }
    }

    /** Status of a plain GET, or -1 when nothing answers. */
    int status(String path) {
        try {
            var req = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(2)).GET().build();
            return http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static JsonNode parse(HttpResponse<byte[]> resp, String nsid) throws IOException {
        if (resp.statusCode() != 200) {
            throw new IOException(nsid + " -> " + resp.statusCode() + " " + new String(resp.body(), StandardCharsets.UTF_8));
        }
        return JSON.readTree(resp.body());
    }
}
