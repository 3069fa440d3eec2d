package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.alteran.atproto.crypto.DidKeys;
import dev.alteran.atproto.crypto.PublicKey;
import dev.alteran.pds.wire.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for an AppView (or chat service, labeler, PLC directory) on a loopback port: answers
 * each path with what the test set up, and records every request it got.
 */
final class StandInService implements AutoCloseable {
    record Received(String method, String path, String query, Headers headers, byte[] body) {
        String header(String name) {
            return headers.getFirst(name);
        }

        String bearer() {
            var auth = header("authorization");
            assertThat(auth).startsWith("Bearer ");
            return auth.substring(7);
        }
    }

    @FunctionalInterface
    interface Responder {
        void respond(HttpExchange exchange) throws Exception;
    }

    private final HttpServer server;
    private final Map<String, Responder> routes = new ConcurrentHashMap<>();
    final BlockingQueue<Received> received = new LinkedBlockingQueue<>();

    StandInService() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            try (exchange) {
                var body = exchange.getRequestBody().readAllBytes();
                var uri = exchange.getRequestURI();
                received.add(new Received(exchange.getRequestMethod(), uri.getPath(), uri.getRawQuery(), exchange.getRequestHeaders(), body));
                var route = routes.get(uri.getPath());
                if (route == null) {
                    send(exchange, 404, "application/json", "{\"error\":\"XRPCNotSupported\",\"message\":\"no route in the stand-in\"}");
                } else {
                    route.respond(exchange);
                }
            } catch (Exception e) {
                // the PDS dropped the connection (a timeout test); nothing to answer
            }
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Answers {@code path} (e.g. {@code /xrpc/app.bsky.feed.getTimeline}) with {@code responder}. */
    StandInService on(String path, Responder responder) {
        routes.put(path, responder);
        return this;
    }

    StandInService onXrpc(String nsid, Responder responder) {
        return on("/xrpc/" + nsid, responder);
    }

    /** A JSON answer with extra headers as name, value pairs. */
    static Responder json(int status, String body, String... headers) {
        return exchange -> {
            for (int i = 0; i < headers.length; i += 2) exchange.getResponseHeaders().add(headers[i], headers[i + 1]);
            send(exchange, status, "application/json; charset=utf-8", body);
        };
    }

    static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        var bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("content-type", type);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    /** The next request received (waits a little for it). */
    Received take() throws InterruptedException {
        var r = received.poll(5, TimeUnit.SECONDS);
        assertThat(r).as("a request reached the stand-in").isNotNull();
        return r;
    }

    /**
     * Checks a service-auth token as an AppView does: ES256K over header.payload with the key of the
     * issuer's DID document, {@code iss}, {@code aud}, {@code lxm}, and an expiry a minute ahead.
     */
    static JsonNode verifyServiceToken(String token, PublicKey key, String iss, String aud, String lxm) throws IOException {
        var parts = token.split("\\.");
        assertThat(parts).hasSize(3);
        var header = Json.READER.readTree(Base64.getUrlDecoder().decode(parts[0]));
        assertThat(header.get("alg").asText()).isEqualTo("ES256K");
        var input = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
        assertThat(key.verify(input, Base64.getUrlDecoder().decode(parts[2]))).as("signature").isTrue();
        var claims = Json.READER.readTree(Base64.getUrlDecoder().decode(parts[1]));
        assertThat(claims.get("iss").asText()).isEqualTo(iss);
        assertThat(claims.get("aud").asText()).isEqualTo(aud);
        assertThat(claims.get("lxm").asText()).isEqualTo(lxm);
        long now = System.currentTimeMillis() / 1000;
        assertThat(claims.get("exp").asLong()).isBetween(now + 1, now + 61);
        return claims;
    }

    /** The key our DID document publishes (#atproto). */
    static PublicKey publishedKey(TestServer server) {
        var doc = server.alteran.didDocuments().build("http://localhost").toJson();
        return DidKeys.parseMultikey(doc.path("verificationMethod").get(0).path("publicKeyMultibase").asText());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
