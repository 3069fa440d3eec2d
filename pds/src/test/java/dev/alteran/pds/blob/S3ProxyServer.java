package dev.alteran.pds.blob;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;

/**
 * A real S3 API server for tests: S3Proxy over a temporary folder, in its own JVM (it embeds Jetty 11,
 * which cannot share a class path with Jetty 12). The build resolves its self-contained jar and passes
 * the path as the {@code s3proxy.jar} system property (in the pds and server modules).
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "alteran-test";
    public static final String SECRET_KEY = "alteran-test-secret";

    private final Process process;
    private final Path dir;
    private final Path log;
    public final String endpoint;

    private S3ProxyServer(Process process, Path dir, Path log, String endpoint) {
        this.process = process;
        this.dir = dir;
        this.log = log;
        this.endpoint = endpoint;
    }

    public static S3ProxyServer start() throws Exception {
        var jar = System.getProperty("s3proxy.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("s3proxy.jar is not set to the S3Proxy jar (run the tests through Maven): " + jar);
        }
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        var dir = Files.createTempDirectory("alteran-s3proxy-");
        Files.createDirectories(dir.resolve("data"));
        var endpoint = "http://127.0.0.1:" + port;
        var props = dir.resolve("s3proxy.properties");
        Files.writeString(props, String.join("\n",
                "s3proxy.endpoint=" + endpoint,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + dir.resolve("data"),
                ""));
        var java = ProcessHandle.current().info().command().orElse("java");
        var log = dir.resolve("s3proxy.log");
        var process = new ProcessBuilder(java, "-Xmx256m", "-jar", jar, "--properties", props.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        var server = new S3ProxyServer(process, dir, log, endpoint);
        var deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (true) {
            if (!process.isAlive()) {
                var out = Files.readString(log);
                server.close();
                throw new IllegalStateException("S3Proxy exited early:\n" + out);
            }
            try (var probe = new Socket("127.0.0.1", port)) {
                return server;
            } catch (IOException notYet) {
                if (Instant.now().isAfter(deadline)) {
                    server.close();
                    throw new IllegalStateException("S3Proxy did not listen within 60 s");
                }
                Thread.sleep(100);
            }
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        try (var paths = Files.walk(dir)) {
            for (var p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
