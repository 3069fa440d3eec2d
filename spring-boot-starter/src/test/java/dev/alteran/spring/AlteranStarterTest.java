package dev.alteran.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.Alteran;
import dev.alteran.pds.config.ConfigException;
import dev.alteran.pds.wire.Json;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AlteranStarterTest {
    private static JsonNode json(String body) throws java.io.IOException {
        return Json.READER.readTree(body);
    }

    /** The PDS and the application share one embedded server, each on its own paths, under either container. */
    @ParameterizedTest
    @EnumSource(BootApp.Container.class)
    void pdsMountsBesideTheAppsControllers(BootApp.Container container) throws Exception {
        try (var app = BootApp.start(container, Map.of("spring.jackson.property-naming-strategy", "SNAKE_CASE"),
                BootApp.HelloController.class)) {
            var server = ((org.springframework.boot.web.server.context.WebServerApplicationContext) app.context).getWebServer();
            assertThat(server.getClass().getSimpleName()).startsWithIgnoringCase(container.name());
            // The app's own route, through the app's own (unchanged) JSON mapper.
            var hello = app.get("/hello");
            assertThat(hello.statusCode()).isEqualTo(200);
            assertThat(hello.body()).isEqualTo("{\"greeting_text\":\"hello from the app\"}");
            assertThat(hello.headers().firstValue("x-request-id")).isEmpty();

            // The PDS's routes, through Alteran's own mapper (camel case, as the Lexicons say).
            var describe = app.get("/xrpc/com.atproto.server.describeServer");
            assertThat(describe.statusCode()).isEqualTo(200);
            assertThat(describe.body()).contains("\"did\":\"did:web:localhost%3A" + app.port + "\"").contains("\"availableUserDomains\"");
            assertThat(describe.headers().firstValue("x-request-id")).isPresent();
            assertThat(app.get("/.well-known/atproto-did").body()).isEqualTo("did:web:localhost%3A" + app.port);
            // did.json answers only for the host the did:web names.
            var didJson = app.http.send(java.net.http.HttpRequest.newBuilder(URI.create("http://localhost:" + app.port + "/.well-known/did.json")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(didJson.statusCode()).isEqualTo(200);
            assertThat(json(didJson.body()).path("id").asText()).isEqualTo("did:web:localhost%3A" + app.port);
            assertThat(app.get("/health").statusCode()).isEqualTo(200);
            // No controller of the app answers /, so the PDS does.
            var root = app.get("/");
            assertThat(root.statusCode()).isEqualTo(200);
            assertThat(root.body()).contains("AT Protocol");
            // A hostile request gets the XRPC error, not the app's error page.
            var bad = app.get("/xrpc/com.atproto.repo.getRecord?repo=nope");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(json(bad.body()).path("error").asText()).isEqualTo("InvalidRequest");

            // Actuator: the alteran health component has /health's checks; the PDS's meters are Boot's.
            var health = json(app.get("/actuator/health").body());
            assertThat(health.at("/components/alteran/status").asText()).isEqualTo("UP");
            assertThat(health.at("/components/alteran/details/database").asText()).isEqualTo("ok");
            assertThat(health.at("/components/alteran/details/storage").asText()).isEqualTo("ok");
            var metrics = json(app.get("/actuator/metrics").body()).path("names");
            assertThat(metrics.toString()).contains("\"alteran.xrpc.requests\"");
            var requests = json(app.get("/actuator/metrics/alteran.xrpc.requests").body());
            assertThat(requests.at("/measurements/0/value").asDouble()).isGreaterThanOrEqualTo(1);

            // The firehose WebSocket under this container: a record written arrives as a frame. From cursor 0,
            // so the event is replayed if the container opens the subscription only after the write (the
            // handshake's answer can reach the client before the endpoint's onOpen has run).
            var frames = new Frames(null);
            var ws = app.http.newWebSocketBuilder().buildAsync(
                    URI.create("ws://127.0.0.1:" + app.port + "/xrpc/com.atproto.sync.subscribeRepos?cursor=0"), frames).get(10, TimeUnit.SECONDS);
            var session = json(app.post("/xrpc/com.atproto.server.createSession",
                    "{\"identifier\":\"" + BootApp.HANDLE + "\",\"password\":\"" + BootApp.PASSWORD + "\"}", null).body());
            var jwt = session.path("accessJwt").asText();
            var did = session.path("did").asText();
            var created = app.post("/xrpc/com.atproto.repo.createRecord", "{\"repo\":\"" + did
                    + "\",\"collection\":\"app.bsky.feed.post\",\"record\":{\"$type\":\"app.bsky.feed.post\",\"text\":\"from Boot\",\"createdAt\":\"2024-01-01T00:00:00.000Z\"}}", jwt);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
            var uri = json(created.body()).path("uri").asText();
            var rkey = uri.substring(uri.lastIndexOf('/') + 1);
            String frame;
            boolean seen = false;
            while (!seen && (frame = frames.frames.poll(10, TimeUnit.SECONDS)) != null) seen = frame.contains(rkey);
            assertThat(seen).as("a firehose frame naming the new record").isTrue();
            ws.abort();
        }
    }

    /**
     * A subscriber that stops reading for a while stalls the firehose's writes to it, and the watchdog
     * gives it a thread of its own. Under either container it must stay connected and then receive
     * every event (#22: Tomcat closes a session whose blocking send is interrupted, so the stalled
     * write must not be).
     */
    @ParameterizedTest
    @EnumSource(BootApp.Container.class)
    void aSubscriberThatPausesStaysConnected(BootApp.Container container) throws Exception {
        try (var app = BootApp.start(container, Map.of("alteran.firehose-buffer", "100000", "alteran.rate-limit-per-min", "100000", "logging.level.dev.alteran.pds.firehose", "DEBUG", "logging.level.alteran.request", "WARN"), BootApp.HelloController.class)) {
            var paused = new java.util.concurrent.CountDownLatch(1);
            var frames = new Frames(paused); // reads nothing more until released: the server's writes back up behind it
            var ws = app.http.newWebSocketBuilder().buildAsync(
                    URI.create("ws://127.0.0.1:" + app.port + "/xrpc/com.atproto.sync.subscribeRepos"), frames).get(10, TimeUnit.SECONDS);
            var session = json(app.post("/xrpc/com.atproto.server.createSession",
                    "{\"identifier\":\"" + BootApp.HANDLE + "\",\"password\":\"" + BootApp.PASSWORD + "\"}", null).body());
            var jwt = session.path("accessJwt").asText();
            var did = session.path("did").asText();
            var filler = "x".repeat(60_000);
            String lastRkey = null;
            for (int i = 0; i < 150; i++) { // about 9 MB of frames, more than the sockets' buffers hold
                var created = app.post("/xrpc/com.atproto.repo.createRecord", "{\"repo\":\"" + did
                        + "\",\"collection\":\"com.example.filler\",\"record\":{\"$type\":\"com.example.filler\",\"data\":\"" + filler + "\"}}", jwt);
                assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
                var uri = json(created.body()).path("uri").asText();
                lastRkey = uri.substring(uri.lastIndexOf('/') + 1);
            }
            paused.countDown();
            boolean seen = false;
            String frame;
            while (!seen && (frame = frames.frames.poll(30, TimeUnit.SECONDS)) != null) seen = frame.contains(lastRkey);
            assertThat(frames.closed.get()).as("closed by the server").isNull();
            assertThat(seen).as("the last record's event arrived").isTrue();
            ws.abort();
        }
    }

    @Test
    void appsOwnHomePageKeepsTheRoot() throws Exception {
        try (var app = BootApp.start(BootApp.Container.TOMCAT, Map.of(), BootApp.HelloController.class, BootApp.HomeController.class)) {
            var root = app.get("/");
            assertThat(root.statusCode()).isEqualTo(200);
            assertThat(root.body()).isEqualTo("the app's own home page");
            assertThat(app.get("/xrpc/com.atproto.server.describeServer").statusCode()).isEqualTo(200);
        }
    }

    /** The properties go through the environment names' parser: the same problems, in the same words. */
    @Test
    void badPropertiesFailStartupWithTheEnvironmentNamesMessages() {
        assertThatThrownBy(() -> BootApp.start(BootApp.Container.TOMCAT,
                        Map.of("alteran.max-blob-size", "lots", "alteran.rateLimitStore", "disk"), BootApp.HelloController.class).close())
                .hasRootCauseInstanceOf(ConfigException.class)
                .rootCause()
                .hasMessageContaining("PDS_MAX_BLOB_SIZE: 'lots' is not a whole number")
                .hasMessageContaining("PDS_RATE_LIMIT_STORE: 'disk' is not memory or database");
    }

    /** Boot's start-up failure report names the property of each setting the problems name. */
    @Test
    void failureAnalysisNamesTheProperties() {
        var problem = new ConfigException(java.util.List.of("PDS_MAX_BLOB_SIZE: 'lots' is not a whole number",
                "PDS_HANDLE is required"));
        var analysis = new AlteranConfigFailureAnalyzer().analyze(new IllegalStateException("context failed", problem));
        assertThat(analysis.getDescription()).contains("PDS_MAX_BLOB_SIZE: 'lots' is not a whole number", "PDS_HANDLE is required");
        assertThat(analysis.getAction()).contains("PDS_MAX_BLOB_SIZE is alteran.max-blob-size", "PDS_HANDLE is alteran.handle")
                .doesNotContain("alteran.max-json-bytes");
    }

    /** alteran.datasource names the application's DataSource bean: the PDS's tables are in that database. */
    @Test
    void namedDataSourceHoldsThePds() throws Exception {
        var dir = java.nio.file.Files.createTempDirectory("alteran-boot-db-");
        var file = dir.resolve("app.sqlite");
        try (var app = BootApp.start(BootApp.Container.TOMCAT, Map.of(
                "spring.datasource.url", "jdbc:sqlite:" + file, "alteran.datasource", "dataSource"), BootApp.HelloController.class)) {
            assertThat(app.get("/xrpc/com.atproto.server.describeServer").statusCode()).isEqualTo(200);
            var boots = app.context.getBean("dataSource", javax.sql.DataSource.class);
            try (var c = boots.getConnection(); var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM repo_root")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
            assertThat(app.dataDir.resolve("alteran.sqlite")).doesNotExist();
        }
    }

    @Test
    void actuatorHealthIsDownWhenTheDatabaseIs() throws Exception {
        try (var app = BootApp.start(BootApp.Container.TOMCAT, Map.of(), BootApp.HelloController.class)) {
            app.context.getBean(Alteran.class).database().close();
            var health = app.get("/actuator/health");
            assertThat(health.statusCode()).isEqualTo(503);
            JsonNode body = json(health.body());
            assertThat(body.at("/components/alteran/status").asText()).isEqualTo("DOWN");
            assertThat(body.at("/components/alteran/details/database").asText()).isEqualTo("error");
        }
    }

    /**
     * A firehose client that keeps each whole frame (as ISO-8859-1 text, to look for a record key in it)
     * and how the connection ended; with {@code release}, it reads nothing after the first frame until
     * that latch opens.
     */
    static final class Frames implements WebSocket.Listener {
        final java.util.concurrent.LinkedBlockingQueue<String> frames = new java.util.concurrent.LinkedBlockingQueue<>();
        final java.util.concurrent.atomic.AtomicReference<String> closed = new java.util.concurrent.atomic.AtomicReference<>();
        private final java.util.concurrent.CountDownLatch release;
        private java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();

        Frames(java.util.concurrent.CountDownLatch release) {
            this.release = release;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            var bytes = new byte[data.remaining()];
            data.get(bytes);
            partial.writeBytes(bytes);
            if (last) {
                frames.add(partial.toString(java.nio.charset.StandardCharsets.ISO_8859_1));
                partial = new java.io.ByteArrayOutputStream();
            }
            if (release == null) {
                webSocket.request(1);
                return CompletableFuture.completedFuture(null);
            }
            return CompletableFuture.runAsync(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                webSocket.request(1);
            });
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.set(statusCode + " " + reason);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.set("error " + error);
        }
    }
}
