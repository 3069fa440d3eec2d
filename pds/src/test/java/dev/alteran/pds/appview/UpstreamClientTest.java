package dev.alteran.pds.appview;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.alteran.pds.wire.XrpcException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The destination rules: development may reach anything; otherwise https to public addresses only. */
class UpstreamClientTest {
    static XrpcException refusal(UpstreamClient client, String url) {
        var thrown = org.junit.jupiter.api.Assertions.assertThrows(XrpcException.class,
                () -> client.send("GET", URI.create(url), Map.of(), null, 0));
        assertThat(thrown.status()).isEqualTo(502);
        assertThat(thrown.error()).isEqualTo("UpstreamFailure");
        return thrown;
    }

    @Test
    void outsideDevelopmentOnlyHttpsToPublicAddresses() throws Exception {
        var hits = new AtomicInteger();
        var server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            hits.incrementAndGet();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        int port = server.getAddress().getPort();
        try (var production = new UpstreamClient(false, Duration.ofSeconds(2), Duration.ofSeconds(2), 1024);
             var development = new UpstreamClient(true, Duration.ofSeconds(2), Duration.ofSeconds(2), 1024)) {
            assertThat(refusal(production, "http://127.0.0.1:" + port + "/xrpc/x.y.z")).hasMessage("Upstream service must be reached over https");
            assertThat(refusal(production, "http://93.184.215.14/xrpc/x.y.z")).hasMessage("Upstream service must be reached over https");
            for (var host : new String[] {"127.0.0.1", "localhost", "10.1.2.3", "192.168.0.1", "169.254.169.254", "[::1]", "[fd00::1]", "100.64.0.1"}) {
                assertThat(refusal(production, "https://" + host + ":" + port + "/xrpc/x.y.z"))
                        .hasMessage("Upstream service resolves to a non-public address");
            }
            assertThat(hits).hasValue(0);
            try (var ok = development.send("GET", URI.create("http://127.0.0.1:" + port + "/xrpc/x.y.z"), Map.of(),
                    null, 0)) {
                assertThat(ok.status()).isEqualTo(200);
            }
            assertThat(hits).hasValue(1);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void unknownHostsAreUnreachable() {
        try (var production = new UpstreamClient(false, Duration.ofSeconds(2), Duration.ofSeconds(2), 1024)) {
            assertThat(refusal(production, "https://no-such-host.invalid/xrpc/x.y.z")).hasMessage("Upstream service unreachable");
        }
    }
}
