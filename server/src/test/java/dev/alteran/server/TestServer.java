package dev.alteran.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.Alteran;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.store.TestPostgres;
import dev.alteran.pds.wire.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real server for integration tests: Jetty + Alteran on a free loopback port over a fresh
 * temporary data directory, with fresh secrets. Close it to stop and delete everything.
 */
public final class TestServer implements AutoCloseable {
    public static final String HANDLE = "alice.test";
    public static final String PASSWORD = "correct horse battery staple";

    public final Path dataDir;
    public final Config config;
    /** The settings the server was configured with (to write them as an env file for a CLI command). */
    public final Map<String, String> settings;
    public final Alteran alteran;
    private final JettyServer jetty;
    public final HttpClient http = HttpClient.newHttpClient();
    /** The PostgreSQL database of each running server's data directory, for the env files CLI tests write (Ops.envFile). */
    static final Map<Path, String> DATABASES = new java.util.concurrent.ConcurrentHashMap<>();

    private TestServer(Map<String, String> overrides) throws Exception {
        this(overrides, b -> { });
    }

    private TestServer(Map<String, String> overrides, java.util.function.Consumer<Alteran.Builder> options) throws Exception {
        dataDir = Files.createTempDirectory("alteran-test-");
        int port = freePort();
        var values = new HashMap<String, String>();
        values.put("ALTERAN_ENV", "dev");
        values.put("PDS_DID", "did:web:localhost%3A" + port);
        values.put("PDS_HANDLE", HANDLE);
        values.putAll(Secrets.generate(PASSWORD));
        values.put("PDS_HOSTNAME", "localhost:" + port);
        values.put("PDS_PORT", Integer.toString(port));
        values.put("PDS_DATA_DIR", dataDir.toString());
        // Tests log in and write far more often than people do; RateLimitTest sets real limits.
        values.put("PDS_RATE_LIMIT_PER_MIN", "1000000");
        values.put("PDS_RATE_LIMIT_LOGIN_PER_MIN", "1000000");
        values.put("PDS_RATE_LIMIT_BLOB_PER_MIN", "1000000");
        // -Dalteran.test.database=postgres runs a suite's servers on PostgreSQL instead of SQLite (an empty
        // PDS_DATABASE_URL override keeps one on SQLite).
        if ("postgres".equals(System.getProperty("alteran.test.database"))) {
            values.put("PDS_DATABASE_URL", TestPostgres.settingOf(TestPostgres.freshDatabase()));
        }
        values.putAll(overrides);
        settings = Map.copyOf(values);
        var database = values.get("PDS_DATABASE_URL");
        if (database != null && !database.isBlank()) DATABASES.put(dataDir, database);
        config = Config.from(values).validateOrThrow();
        var builder = Alteran.builder().config(config).debugRoutes(config.debugRoutes()).meterRegistry(MetricsEndpoint.registryFor(config.metrics()));
        options.accept(builder);
        alteran = builder.build();
        jetty = new JettyServer(alteran, "127.0.0.1", port).start();
    }

    public static TestServer start() throws Exception {
        return new TestServer(Map.of());
    }

    public static TestServer start(Map<String, String> overrides) throws Exception {
        return new TestServer(overrides);
    }

    /**
     * A server on a fresh PostgreSQL database of the tests' server (see TestPostgres) instead of SQLite.
     * ({@code -Dalteran.test.database=postgres} puts every {@link #start} server on one.)
     */
    public static TestServer startPostgres(Map<String, String> overrides) throws Exception {
        var values = new HashMap<>(overrides);
        values.put("PDS_DATABASE_URL", TestPostgres.settingOf(TestPostgres.freshDatabase()));
        return new TestServer(values);
    }

    /** A server built with extra {@link Alteran.Builder} options (stand-ins for outside services). */
    public static TestServer start(Map<String, String> overrides, java.util.function.Consumer<Alteran.Builder> options) throws Exception {
        return new TestServer(overrides, options);
    }

    JettyServer jetty() {
        return jetty;
    }

    public String url(String path) {
        return "http://127.0.0.1:" + jetty.port() + path;
    }

    public HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        var b = HttpRequest.newBuilder(URI.create(url(path))).GET();
        if (headers.length > 0) b.headers(headers);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String json, String... headers) throws IOException, InterruptedException {
        var b = HttpRequest.newBuilder(URI.create(url(path)))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (headers.length > 0) b.headers(headers);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public static JsonNode json(HttpResponse<String> response) throws IOException {
        return Json.READER.readTree(response.body());
    }

    private static int freePort() throws IOException {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        try {
            jetty.close();
        } finally {
            DATABASES.remove(dataDir);
            alteran.close();
            try (var paths = Files.walk(dataDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
    }

    /** Waits (up to 60 s) until a server started as a child process answers 200 on /health; fails with its log if it exits first. */
    static void awaitHealthy(String base, Process child, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (var http = HttpClient.newHttpClient()) {
            while (System.nanoTime() < deadline) {
                if (!child.isAlive()) throw new AssertionError("server exited: " + Files.readString(log));
                try {
                    var r = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.discarding());
                    if (r.statusCode() == 200) return;
                } catch (IOException e) {
                    // not listening yet
                }
                Thread.sleep(100);
            }
        }
        throw new AssertionError("server not healthy: " + Files.readString(log));
    }
}
