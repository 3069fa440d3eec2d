package dev.alteran.spring;

import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** A real Spring Boot application on a loopback port, with the starter on its classpath and its own controllers. */
final class BootApp implements AutoCloseable {
    static final String HANDLE = "alice.test";
    static final String PASSWORD = "correct horse battery staple";

    enum Container {
        TOMCAT("org.springframework.boot.jetty.autoconfigure.servlet.JettyServletWebServerAutoConfiguration"),
        JETTY("org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration");

        /** Both containers are on the test classpath; the other one's auto-configuration is left out. */
        final String exclude;

        Container(String exclude) {
            this.exclude = exclude;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class App {}

    @RestController
    static class HelloController {
        record Greeting(String greetingText) {}

        @GetMapping("/hello")
        Greeting hello() {
            return new Greeting("hello from the app");
        }
    }

    @RestController
    static class HomeController {
        @GetMapping("/")
        String home() {
            return "the app's own home page";
        }
    }

    final Path dataDir;
    final int port;
    final String base;
    final ConfigurableApplicationContext context;
    final HttpClient http = HttpClient.newHttpClient();

    private BootApp(Path dataDir, int port, ConfigurableApplicationContext context) {
        this.dataDir = dataDir;
        this.port = port;
        this.base = "http://127.0.0.1:" + port;
        this.context = context;
    }

    /** The settings a fresh PDS needs, as {@code alteran.*} properties. */
    static Map<String, Object> pdsProperties(Path dataDir, int port) {
        var random = new SecureRandom();
        var props = new LinkedHashMap<String, Object>();
        props.put("alteran.env", "dev");
        props.put("alteran.did", "did:web:localhost%3A" + port);
        props.put("alteran.handle", HANDLE);
        props.put("alteran.user-password", PASSWORD);
        props.put("alteran.access-token", hex(random, 32));
        props.put("alteran.refresh-token", hex(random, 32));
        props.put("alteran.repo-signing-key", HexFormat.of().formatHex(Keypair.generate(Curve.K256).privateKeyBytes()));
        props.put("alteran.hostname", "localhost:" + port);
        props.put("alteran.data-dir", dataDir.toString());
        props.put("alteran.relay-hosts", "");
        return props;
    }

    static BootApp start(Container container, Map<String, Object> overrides, Class<?>... controllers) throws IOException {
        var dataDir = Files.createTempDirectory("alteran-boot-");
        int port = freePort();
        var props = pdsProperties(dataDir, port);
        props.put("server.port", port);
        props.put("server.address", "127.0.0.1");
        props.put("spring.autoconfigure.exclude", container.exclude);
        props.put("spring.datasource.url", "jdbc:sqlite:" + dataDir.resolve("app.sqlite")); // the app's own database
        props.put("management.endpoints.web.exposure.include", "health,metrics");
        props.put("management.endpoint.health.show-components", "always");
        props.put("management.endpoint.health.show-details", "always");
        props.putAll(overrides);
        var sources = new Class<?>[controllers.length + 1];
        sources[0] = App.class;
        System.arraycopy(controllers, 0, sources, 1, controllers.length);
        var context = new SpringApplicationBuilder(sources).properties(props).run();
        int actual = ((WebServerApplicationContext) context).getWebServer().getPort();
        return new BootApp(dataDir, actual, context);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String json, String bearer) throws IOException, InterruptedException {
        var req = HttpRequest.newBuilder(URI.create(base + path)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (bearer != null) req.header("authorization", "Bearer " + bearer);
        return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    }

    static int freePort() throws IOException {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String hex(SecureRandom random, int bytes) {
        var b = new byte[bytes];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    @Override
    public void close() throws IOException {
        context.close();
        try (var files = Files.walk(dataDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
