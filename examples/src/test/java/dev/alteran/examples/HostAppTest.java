package dev.alteran.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.pds.config.Config;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostAppTest {
    @Test
    void hostRoutesAndPdsRoutesAnswerFromOneServer(@TempDir Path data) throws Exception {
        var config = Config.builder()
                .did("did:web:example.com")
                .handle("me.example.com")
                .userPassword("host app password")
                .accessTokenSecret("access-key-for-the-host-app-test-0123456789")
                .refreshTokenSecret("refresh-key-for-the-host-app-test-0123456789")
                .repoSigningKey(HexFormat.of().formatHex(Keypair.generate(Curve.K256).privateKeyBytes()))
                .dataDir(data)
                .build()
                .validateOrThrow();
        try (var app = new HostApp(config, "127.0.0.1", 0)) {
            var http = HttpClient.newHttpClient();
            var base = "http://127.0.0.1:" + app.port();

            var hello = http.send(HttpRequest.newBuilder(URI.create(base + "/hello")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(hello.statusCode()).isEqualTo(200);
            assertThat(hello.body()).isEqualTo("hello from the host app");

            var home = http.send(HttpRequest.newBuilder(URI.create(base + "/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(home.body()).contains("My site");

            var describe = http.send(HttpRequest.newBuilder(URI.create(base + "/xrpc/com.atproto.server.describeServer")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(describe.statusCode()).isEqualTo(200);
            assertThat(describe.body()).contains("\"did\":\"did:web:example.com\"");
            assertThat(describe.headers().firstValue("x-request-id")).isPresent();

            var health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            // the PDS filters stay on the PDS paths: the host's own route is untouched
            assertThat(hello.headers().firstValue("x-request-id")).isEmpty();
        }
    }
}
