package dev.alteran.pds.oauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.pds.identity.Egress;
import dev.alteran.pds.identity.Rebinding;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client metadata fetched over https from a server on loopback. The name resolves to
 * {@link Rebinding#CHECKED}, the one loopback address the test's egress rule lets through (beside the
 * production rule), so the address checks are the real ones.
 */
class ClientMetadataFetcherTest {
    static final String HOST = "client.alteran-test.net";
    static Rebinding.Tls tls;
    final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));

    @BeforeAll
    static void certificate(@TempDir Path dir) throws Exception {
        tls = Rebinding.Tls.forName(HOST, dir);
    }

    ClientMetadataFetcher fetcher(InetAddress address, boolean customPorts) {
        var dns = new Rebinding.ScriptedResolver(Map.of(HOST, List.of(address)));
        return new ClientMetadataFetcher(new Egress(dns, Rebinding.RULE, tls.client()), clock, customPorts);
    }

    static String clientId(int port) {
        return "https://" + HOST + ":" + port + "/oauth/client-metadata.json";
    }

    static String json(String body) {
        var bytes = body.getBytes(StandardCharsets.UTF_8);
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                + "\r\nConnection: close\r\n\r\n" + body;
    }

    static String document(int port) {
        ObjectNode doc = ClientMetadataTest.publicClient().put("client_id", clientId(port)).put("client_uri", "https://" + HOST + ":" + port);
        return doc.toString();
    }

    static void refused(Runnable call, String description) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(OAuthException.class, e -> {
            assertThat(e.error()).isEqualTo("invalid_client_metadata");
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.description()).contains(description);
        });
    }

    @Test
    void fetchesValidatesAndCachesForTenMinutes() throws Exception {
        try (var stage = Rebinding.stage(port -> json(document(port)), tls.server()); var fetcher = fetcher(Rebinding.CHECKED, true)) {
            var id = ClientId.parse(clientId(stage.port()));
            var metadata = fetcher.get(id);
            assertThat(metadata.clientId()).isEqualTo(clientId(stage.port()));
            assertThat(metadata.redirectUris()).containsExactly("https://app.example.com/oauth/callback");
            assertThat(stage.server().hosts).containsExactly(HOST + ":" + stage.port());

            clock.advance(ClientMetadataFetcher.CACHE_TTL.minusSeconds(1));
            assertThat(fetcher.get(id)).isEqualTo(metadata);
            assertThat(stage.server().hosts).hasSize(1); // from the cache
            clock.advance(Duration.ofSeconds(1));
            fetcher.get(id);
            assertThat(stage.server().hosts).hasSize(2);
        }
    }

    @Test
    void aDocumentForAnotherClientIsRefused() throws Exception {
        try (var stage = Rebinding.stage(port -> json(document(port + 1)), tls.server()); var fetcher = fetcher(Rebinding.CHECKED, true)) {
            refused(() -> fetcher.get(ClientId.parse(clientId(stage.port()))), "client_id does not match");
        }
    }

    @Test
    void redirectsAreNotFollowed() throws Exception {
        try (var stage = Rebinding.stage(port -> Rebinding.redirect("https://" + HOST + ":" + port + "/other.json"), tls.server());
             var fetcher = fetcher(Rebinding.CHECKED, true)) {
            refused(() -> fetcher.get(ClientId.parse(clientId(stage.port()))), "HTTP 302");
            assertThat(stage.server().hosts).hasSize(1);
        }
    }

    @Test
    void errorsOversizedAndNonJsonAnswersAreRefused() throws Exception {
        IntFunction<String> notFound = port -> "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        try (var stage = Rebinding.stage(notFound, tls.server()); var fetcher = fetcher(Rebinding.CHECKED, true)) {
            refused(() -> fetcher.get(ClientId.parse(clientId(stage.port()))), "HTTP 404");
        }
        try (var stage = Rebinding.stage(port -> json("{\"x\":\"" + "a".repeat(ClientMetadataFetcher.MAX_BYTES) + "\"}"), tls.server());
             var fetcher = fetcher(Rebinding.CHECKED, true)) {
            refused(() -> fetcher.get(ClientId.parse(clientId(stage.port()))), "Unable to obtain client metadata");
        }
        try (var stage = Rebinding.stage(port -> json("<html>"), tls.server()); var fetcher = fetcher(Rebinding.CHECKED, true)) {
            refused(() -> fetcher.get(ClientId.parse(clientId(stage.port()))), "not JSON");
        }
    }

    @Test
    void privateAddressesAreRefusedBeforeAnyConnection() throws Exception {
        try (var stage = Rebinding.stage(port -> json(document(port)), tls.server()); var fetcher = fetcher(Rebinding.PRIVATE, true)) {
            refused(() -> fetcher.get(ClientId.parse(clientId(stage.port()))), "Unable to obtain client metadata");
            assertThat(stage.trap().accepted).hasValue(0);
            assertThat(stage.server().accepted).hasValue(0);
        }
    }

    @Test
    void customPortsAreRefusedInProduction() throws Exception {
        try (var stage = Rebinding.stage(port -> json(document(port)), tls.server()); var fetcher = fetcher(Rebinding.CHECKED, false)) {
            refused(() -> fetcher.get(ClientId.parse(clientId(stage.port()))), "custom ports are not allowed");
            assertThat(stage.server().accepted).hasValue(0);
        }
    }

    @Test
    void loopbackClientsAreNotFetched() {
        try (var fetcher = fetcher(Rebinding.PRIVATE, false)) {
            var metadata = fetcher.get(ClientId.parse("http://localhost?redirect_uri=http%3A%2F%2F127.0.0.1%3A4000%2Fcb"));
            assertThat(metadata.redirectUris()).containsExactly("http://127.0.0.1:4000/cb");
        }
    }
}
