package dev.alteran.server;

import static dev.alteran.server.AuthClient.forge;
import static dev.alteran.server.AuthClient.nowSec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.repo.RepoException;
import dev.alteran.atproto.repo.RepoVerifier;
import dev.alteran.pds.store.Progress;
import dev.alteran.pds.wire.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The migration commands' XRPC client against a real server (session refresh, bounded downloads, redirects, errors
 * it names), and their check of a downloaded repository from its spool file.
 */
class XrpcClientTest {
    static TestServer server;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        Ops.writePosts(server, 50, List.of());
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    static XrpcClient client() {
        return new XrpcClient(server.url(""), "--to", XrpcClient.newHttpClient());
    }

    @Test
    void anExpiredAccessTokenIsRefreshedOnceAndTheCallMadeAgain() {
        var client = client();
        var session = client.login(TestServer.HANDLE, TestServer.PASSWORD);
        var did = server.config.did();
        var expired = forgeAccess(did, nowSec() - 1);
        client.useSession(Json.object().put("accessJwt", expired).put("refreshJwt", session.path("refreshJwt").asText()));
        assertThat(client.query("com.atproto.server.getSession", Map.of()).path("did").asText()).isEqualTo(did);
        // The refreshed session is kept for the next calls.
        assertThat(client.query("com.atproto.server.checkAccountStatus", Map.of()).path("activated").asBoolean()).isTrue();

        // A refresh token that does not work either: the refresh's own refusal.
        client.useSession(Json.object().put("accessJwt", expired).put("refreshJwt", "not-a-token"));
        assertThatThrownBy(() -> client.query("com.atproto.server.getSession", Map.of()))
                .isInstanceOfSatisfying(XrpcClient.Failure.class, f -> {
                    assertThat(f.status).isEqualTo(400);
                    assertThat(f.error).isEqualTo("InvalidToken");
                    assertThat(f.getMessage()).contains("refused com.atproto.server.refreshSession");
                });
    }

    @Test
    void aDownloadPastItsLimitIsRefusedAndLeavesNoFile() throws Exception {
        var client = client();
        var target = dir.resolve("repo.car");
        var params = Map.of("did", server.config.did());
        assertThatThrownBy(() -> client.download("com.atproto.sync.getRepo", params, target, 100, "download", Progress.NONE))
                .isInstanceOf(XrpcClient.Failure.class).hasMessageContaining("answered com.atproto.sync.getRepo with an answer larger than 100 bytes");
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
        var whole = client.download("com.atproto.sync.getRepo", params, target, 1 << 20, "download", Progress.NONE);
        assertThat(whole.bytes()).isEqualTo(Files.size(target)).isGreaterThan(100);
        assertThat(whole.contentType()).isEqualTo("application/vnd.ipld.car");
    }

    @Test
    void errorsNameTheHostTheMethodAndWhatItSaid() {
        var client = client();
        assertThatThrownBy(() -> client.query("com.atproto.sync.getLatestCommit", Map.of("did", "did:plc:nobodyhereatall234567abc")))
                .isInstanceOfSatisfying(XrpcClient.Failure.class, f -> {
                    assertThat(f.unreachable()).isFalse();
                    assertThat(f.status).isEqualTo(400);
                    assertThat(f.getMessage()).startsWith(server.url("") + " refused com.atproto.sync.getLatestCommit: 400 RepoNotFound: Could not find repo for DID: did:plc:nobodyhereatall234567abc");
                });
        var closed = new XrpcClient("http://127.0.0.1:1", "--from", XrpcClient.newHttpClient());
        assertThatThrownBy(() -> closed.query("com.atproto.server.describeServer", Map.of()))
                .isInstanceOfSatisfying(XrpcClient.Failure.class, f -> assertThat(f.unreachable()).isTrue())
                .hasMessageStartingWith("cannot reach http://127.0.0.1:1 (com.atproto.server.describeServer)");
        for (var bad : List.of("ftp://pds.example.com", "pds.example.com", "https://", "https://pds.example.com/?x=1", "http://a b")) {
            assertThatThrownBy(() -> new XrpcClient(bad, "--from", XrpcClient.newHttpClient()))
                    .as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("--from must be the server's http(s) URL");
        }
    }

    @Test
    void aRedirectedDownloadDoesNotCarryTheSessionToAnotherHost() throws Exception {
        try (var pds = new StandInService(); var cdn = new StandInService()) {
            pds.on("/xrpc/com.atproto.server.createSession", StandInService.json(200, "{\"accessJwt\":\"the-session\",\"refreshJwt\":\"r\"}"));
            pds.on("/xrpc/com.atproto.sync.getBlob", exchange -> {
                exchange.getResponseHeaders().set("location", cdn.url() + "/blob/1");
                StandInService.send(exchange, 302, "text/plain", "");
            });
            cdn.on("/blob/1", exchange -> StandInService.send(exchange, 200, "image/png", "not really a png"));
            var client = new XrpcClient(pds.url(), "--from", XrpcClient.newHttpClient());
            client.login("alice.test", "pw");
            var got = client.download("com.atproto.sync.getBlob", Map.of("did", "did:plc:x", "cid", "y"), dir.resolve("blob"), 1000, "blob",
                    Progress.NONE);
            assertThat(got.contentType()).isEqualTo("image/png");
            assertThat(Files.readString(got.file())).isEqualTo("not really a png");
            pds.received.poll(); // createSession
            assertThat(pds.received.poll().header("authorization")).isEqualTo("Bearer the-session");
            var atCdn = cdn.received.poll();
            assertThat(atCdn.path()).isEqualTo("/blob/1");
            assertThat(atCdn.header("authorization")).isNull();
        }
    }

    @Test
    void aDownloadedRepositoryVerifiesFromItsSpoolFileAndATamperedOneDoesNot() throws Exception {
        var car = dir.resolve("repo.car");
        client().download("com.atproto.sync.getRepo", Map.of("did", server.config.did()), car, 1 << 20, "download", Progress.NONE);
        var key = server.config.signingKey().publicKey();
        try (var blocks = new SpooledCar(car)) {
            var verified = RepoVerifier.verify(blocks, blocks.root(), server.config.did(), key, true);
            assertThat(verified.recordCount()).isEqualTo(50);
            assertThat(verified.commitCid()).isEqualTo(server.alteran.repo().head().cid());
            var other = Keypair.generate(Curve.K256).publicKey();
            assertThatThrownBy(() -> RepoVerifier.verify(blocks, blocks.root(), server.config.did(), other, true)).isInstanceOf(RepoException.class);
            assertThatThrownBy(() -> RepoVerifier.verify(blocks, blocks.root(), "did:plc:ewvi7nxzyoun6zhxrhs64oiz", key, true))
                    .isInstanceOf(RepoException.class);
        }
        try (var files = Files.list(dir)) {
            assertThat(files).as("the spool file is gone").containsExactly(car);
        }
        // One byte changed near the end (in the last block): the block no longer matches its CID.
        var bytes = Files.readAllBytes(car);
        bytes[bytes.length - 3] ^= 1;
        Files.write(car, bytes);
        assertThatThrownBy(() -> new SpooledCar(car).close()).isInstanceOf(RuntimeException.class);
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(car);
        }
    }

    static String forgeAccess(String did, long exp) {
        try {
            return forge("at+jwt", Map.of("scope", "com.atproto.access", "aud", did, "sub", did, "iat", nowSec() - 10, "exp", exp),
                    server.config.accessTokenSecret());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
