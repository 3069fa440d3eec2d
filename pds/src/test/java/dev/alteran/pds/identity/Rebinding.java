package dev.alteran.pds.identity;

import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A DNS-rebinding stage on loopback. Real public addresses cannot be reached from a test, so the
 * address 127.0.0.2 stands in for "the public address that was checked": the rule is the production
 * one ({@link IdentityHttp#isPublic}) plus that one address, and 127.0.0.1 stays refused. A server
 * listens on 127.0.0.2 and a trap on 127.0.0.1, on the same port, so a client that resolved the name
 * a second time and got 127.0.0.1 would land in the trap, which counts the connections it accepts.
 */
public final class Rebinding {
    public static final InetAddress CHECKED = address(127, 0, 0, 2);
    public static final InetAddress PRIVATE = address(127, 0, 0, 1);

    private Rebinding() {}

    /** The production rule, plus {@link #CHECKED}. */
    public static final Predicate<InetAddress> RULE = a -> IdentityHttp.isPublic(a) || a.equals(CHECKED);

    public static InetAddress address(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Answers each name from its own script, one answer per lookup, the last repeating: a DNS server
     * whose answer changes between two lookups. Unknown names fail as the system resolver would.
     */
    public static final class ScriptedResolver implements HostResolver {
        private final Map<String, List<InetAddress>> scripts;
        private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        /** Every name asked, in order. */
        public final List<String> asked = new CopyOnWriteArrayList<>();

        public ScriptedResolver(Map<String, List<InetAddress>> scripts) {
            this.scripts = scripts;
        }

        @Override
        public List<InetAddress> resolve(String host) throws UnknownHostException {
            asked.add(host);
            var name = host.toLowerCase(Locale.ROOT);
            var script = scripts.get(name);
            if (script == null) throw new UnknownHostException(host);
            int i = counts.computeIfAbsent(name, k -> new AtomicInteger()).getAndIncrement();
            return List.of(script.get(Math.min(i, script.size() - 1)));
        }

        public long lookups(String host) {
            return asked.stream().filter(host::equals).count();
        }
    }

    /**
     * A minimal HTTP/1.1 server on raw sockets (TLS when given a context): counts accepted connections,
     * records each request's Host header and TLS server name, answers every request with one canned
     * response and closes the connection, so each request of a client needs a new one.
     */
    public static final class RawServer implements AutoCloseable {
        private final ServerSocket socket;
        private final String response;
        private final Thread acceptor;
        /** TCP connections accepted, whether or not a request followed. */
        public final AtomicInteger accepted = new AtomicInteger();
        /** The Host header of each request served. */
        public final List<String> hosts = new CopyOnWriteArrayList<>();
        /** The TLS server name (SNI) each request's connection asked for. */
        public final List<String> serverNames = new CopyOnWriteArrayList<>();

        private RawServer(ServerSocket socket, String response) {
            this.socket = socket;
            this.response = response;
            this.acceptor = Thread.ofVirtual().start(this::acceptLoop);
        }

        public int port() {
            return socket.getLocalPort();
        }

        private void acceptLoop() {
            while (!socket.isClosed()) {
                Socket s;
                try {
                    s = socket.accept();
                } catch (IOException closed) {
                    return;
                }
                accepted.incrementAndGet();
                Thread.ofVirtual().start(() -> serve(s));
            }
        }

        private void serve(Socket s) {
            try (s) {
                s.setSoTimeout(5_000);
                var head = readHead(s.getInputStream());
                if (head == null) return;
                for (var line : head.split("\r\n")) {
                    if (line.regionMatches(true, 0, "host:", 0, 5)) hosts.add(line.substring(5).strip());
                }
                if (s instanceof SSLSocket tls && tls.getSession() instanceof ExtendedSSLSession session) {
                    for (var name : session.getRequestedServerNames()) {
                        if (name instanceof SNIHostName host) serverNames.add(host.getAsciiName());
                    }
                }
                s.getOutputStream().write(response.getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().flush();
            } catch (IOException e) {
                // a client that gave up (e.g. refused our certificate): nothing was served
            }
        }

        private static String readHead(InputStream in) throws IOException {
            var head = new StringBuilder();
            for (int c; (c = in.read()) >= 0; ) {
                head.append((char) c);
                if (head.length() > 16_384) return null;
                if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) return head.toString();
            }
            return null;
        }

        @Override
        public void close() throws IOException {
            socket.close();
            try {
                acceptor.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A 200 with {@code body}, closing the connection. */
    public static String ok(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length()
                + "\r\nConnection: close\r\n\r\n" + body;
    }

    /** A 302 to {@code location}, closing the connection. */
    public static String redirect(String location) {
        return "HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    }

    /** The server on {@link #CHECKED} and the trap on {@link #PRIVATE}, on one port. */
    public record Stage(RawServer server, RawServer trap) implements AutoCloseable {
        public int port() {
            return server.port();
        }

        @Override
        public void close() throws IOException {
            try (trap) {
                server.close();
            }
        }
    }

    /** Starts a {@link Stage} whose server answers {@code response(port)}; with {@code tls}, the server (not the trap) speaks TLS. */
    public static Stage stage(IntFunction<String> response, SSLContext tls) throws IOException {
        for (int attempt = 0; ; attempt++) {
            var trapSocket = new ServerSocket();
            trapSocket.bind(new InetSocketAddress(PRIVATE, 0));
            var serverSocket = tls == null ? new ServerSocket() : tls.getServerSocketFactory().createServerSocket();
            try {
                serverSocket.bind(new InetSocketAddress(CHECKED, trapSocket.getLocalPort()));
            } catch (BindException taken) { // that port is in use on 127.0.0.2: take another
                trapSocket.close();
                serverSocket.close();
                if (attempt < 20) continue;
                throw taken;
            }
            return new Stage(new RawServer(serverSocket, response.apply(trapSocket.getLocalPort())), new RawServer(trapSocket, ok("trap")));
        }
    }

    /**
     * A self-signed certificate for {@code dnsName} only (no IP address in it), made by the JDK's
     * keytool: the server's key and, as the client's only trust anchor, its certificate.
     */
    public record Tls(SSLContext server, SSLContext client) {
        public static Tls forName(String dnsName, Path dir) throws Exception {
            var store = dir.resolve(dnsName + ".p12");
            var password = "changeit";
            var keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            var process = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=" + dnsName, "-ext", "SAN=dns:" + dnsName, "-validity", "2",
                    "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", password, "-keypass", password)
                    .redirectErrorStream(true).start();
            var output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0 || !Files.exists(store)) throw new IllegalStateException("keytool failed: " + output);
            var keys = KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(store)) {
                keys.load(in, password.toCharArray());
            }
            var kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, password.toCharArray());
            var server = SSLContext.getInstance("TLS");
            server.init(kmf.getKeyManagers(), null, null);
            var anchors = KeyStore.getInstance("PKCS12");
            anchors.load(null, null);
            anchors.setCertificateEntry("server", keys.getCertificate("server"));
            var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(anchors);
            var client = SSLContext.getInstance("TLS");
            client.init(null, tmf.getTrustManagers(), null);
            return new Tls(server, client);
        }
    }
}
