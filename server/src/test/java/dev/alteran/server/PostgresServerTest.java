package dev.alteran.server;

import static dev.alteran.server.Ops.cli;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.atproto.car.CarReader;
import dev.alteran.atproto.repo.RepoVerifier;
import dev.alteran.pds.Alteran;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.config.ConfigException;
import dev.alteran.pds.store.TestPostgres;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server and the commands on PostgreSQL (PDS_DATABASE_URL), against the tests' real PostgreSQL server. */
class PostgresServerTest {
    @TempDir
    Path tmp;

    static String q(String value) {
        return java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void serverOnPostgresWritesAndServesRecordsAndReportsItsHealth() throws Exception {
        try (var server = TestServer.startPostgres(Map.of())) {
            assertThat(server.config.rateLimitStore()).isEqualTo(Config.RateLimitStorage.DATABASE); // the default with PostgreSQL
            var access = AuthClient.login(server).get("accessJwt").asText();
            var created = server.post("/xrpc/com.atproto.repo.createRecord", """
                    {"repo":"%s","collection":"app.bsky.feed.post","record":{"$type":"app.bsky.feed.post","text":"hello postgres","createdAt":"2024-01-01T00:00:00.000Z"}}"""
                    .formatted(server.config.did()), "authorization", "Bearer " + access);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
            var uri = TestServer.json(created).get("uri").asText();
            var rkey = uri.substring(uri.lastIndexOf('/') + 1);

            var got = server.get("/xrpc/com.atproto.repo.getRecord?repo=" + q(server.config.did()) + "&collection=app.bsky.feed.post&rkey=" + rkey);
            assertThat(got.statusCode()).as(got.body()).isEqualTo(200);
            assertThat(TestServer.json(got).at("/value/text").asText()).isEqualTo("hello postgres");

            var repo = server.http.send(HttpRequest.newBuilder(URI.create(server.url("/xrpc/com.atproto.sync.getRepo?did=" + q(server.config.did()))))
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(repo.statusCode()).isEqualTo(200);
            var verified = RepoVerifier.verifyCar(new ByteArrayInputStream(repo.body()), server.config.did(), server.config.signingKey().publicKey());
            assertThat(verified.recordCount()).isEqualTo(1);
            assertThat(CarReader.open(new ByteArrayInputStream(repo.body())).roots()).containsExactly(server.alteran.repo().head().cid());

            var health = server.get("/health");
            assertThat(health.statusCode()).isEqualTo(200);
            var body = TestServer.json(health);
            assertThat(body.get("database").asText()).isEqualTo("postgresql");
            assertThat(body.at("/checks/database").asText()).isEqualTo("ok");
        }
    }

    @Test
    void copyToPostgresAndBackKeepsTheRepositoryAndVerifies() throws Exception {
        try (var source = TestServer.start(Map.of("PDS_DATABASE_URL", ""))) { // on SQLite, whatever the suite's default
            var blobs = Ops.uploadBlobs(source, 3, 7);
            Ops.writePosts(source, 500, blobs);
            var head = source.alteran.repo().head().cid();
            var lastSeq = source.alteran.sequence().lastSeq();
            var env = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), source.config.dataDir());
            var pg = TestPostgres.settingOf(TestPostgres.emptyDatabase());

            var copied = cli("copy-to-postgres", "--env-file", env.toString(), "--to", pg);
            assertThat(copied.status()).as(copied.toString()).isZero();
            assertThat(copied.out()).contains("copied ").contains("to PostgreSQL database 'alteran_test_");

            // verify on PostgreSQL, with the blobs still in the source's blob store
            var envPg = tmp.resolve("pg.env");
            Files.writeString(envPg, Files.readString(env) + "PDS_DATABASE_URL=" + pg + "\n");
            var verify = cli("verify", "--env-file", envPg.toString());
            assertThat(verify.status()).as(verify.toString()).isZero();
            assertThat(verify.out()).contains("verified " + head).contains("500 records").contains("3 blob references")
                    .contains("0 unreachable blocks");

            // A server on the copy continues the sequence where the source left it, on the same head.
            var overrides = new HashMap<String, String>();
            overrides.put("PDS_DATABASE_URL", pg);
            overrides.put("PDS_DID", source.config.did());
            overrides.put("REPO_SIGNING_KEY", source.config.repoSigningKey());
            try (var moved = TestServer.start(overrides)) {
                assertThat(moved.alteran.repo().head().cid()).isEqualTo(head);
                var commit = new Writes(moved.alteran).createPost("after the move");
                assertThat(commit.seq()).isGreaterThan(lastSeq);
            }

            // A non-empty target is refused, naming it, and nothing changes.
            var again = cli("copy-to-postgres", "--env-file", env.toString(), "--to", pg);
            assertThat(again.status()).isEqualTo(1);
            assertThat(again.err()).contains("is not empty").contains("copy only into a new, empty database");

            // And back into a new SQLite data directory.
            var back = tmp.resolve("back");
            var envBack = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), back);
            var toSqlite = cli("copy-to-sqlite", "--env-file", envBack.toString(), "--from", pg);
            assertThat(toSqlite.status()).as(toSqlite.toString()).isZero();
            var verifyBack = cli("verify", "--env-file", envBack.toString(), "--skip-blob-store");
            assertThat(verifyBack.status()).as(verifyBack.toString()).isZero();
            assertThat(verifyBack.out()).contains("501 records").contains("0 unreachable blocks");
            assertThat(Ops.head(back)).isNotEqualTo(head); // the post written on PostgreSQL came back too
        }
    }

    @Test
    void migrateAppliesThePostgresSchemaAndDryRunListsIt() throws Exception {
        var env = tmp.resolve("m.env");
        Files.writeString(env, "PDS_DATABASE_URL=" + TestPostgres.settingOf(TestPostgres.emptyDatabase()) + "\n");
        var dry = cli("migrate", "--env-file", env.toString(), "--dry-run");
        assertThat(dry.status()).as(dry.toString()).isZero();
        assertThat(dry.out()).contains("pending V1 repo").contains("pending V10 oauth").contains("nothing applied");
        var applied = cli("migrate", "--env-file", env.toString());
        assertThat(applied.status()).as(applied.toString()).isZero();
        assertThat(applied.out()).contains("applied V1 repo").contains("PostgreSQL database 'alteran_test_");
        var current = cli("migrate", "--env-file", env.toString(), "--dry-run");
        assertThat(current.out()).contains("the schema is current");
    }

    @Test
    void aBadDatabaseUrlIsOneClearErrorWithoutThePassword() throws Exception {
        int closedPort;
        try (var s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        var env = tmp.resolve("bad.env");
        Files.writeString(env, "PDS_DATABASE_URL=postgres://alice:hunter2secret@127.0.0.1:" + closedPort + "/pds\n");
        var run = cli("migrate", "--env-file", env.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err().strip().lines().toList()).hasSize(1);
        assertThat(run.err()).contains("cannot connect to PostgreSQL database 'pds' on 127.0.0.1:" + closedPort + " as user 'alice'")
                .doesNotContain("hunter2secret");

        // A URL that cannot be read is a configuration problem at start-up, also without the password.
        var values = new HashMap<String, String>(Secrets.generate(TestServer.PASSWORD));
        values.put("PDS_DID", "did:web:localhost");
        values.put("PDS_HANDLE", TestServer.HANDLE);
        values.put("PDS_DATA_DIR", tmp.toString());
        values.put("PDS_DATABASE_URL", "mysql://alice:hunter2secret@localhost/pds");
        var config = Config.from(values);
        assertThatThrownBy(() -> Alteran.builder().config(config).build()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("PDS_DATABASE_URL: not a PostgreSQL URL").message().doesNotContain("hunter2secret");
        assertThat(config.toString()).doesNotContain("hunter2secret");
        assertThat(List.of(run.out(), run.err())).noneMatch(s -> s.contains("hunter2secret"));
    }

    /**
     * Two servers on one PostgreSQL database (the start of several instances serving one account): a
     * commit on one becomes the other's head without a write there, the other's next commit builds on
     * it, and both serve the same verifiable repository.
     */
    @Test
    void twoServersOnOneDatabaseSeeAndBuildOnEachOthersCommits() throws Exception {
        try (var a = TestServer.startPostgres(Map.of())) {
            var shared = new HashMap<String, String>();
            shared.put("PDS_DATABASE_URL", a.settings.get("PDS_DATABASE_URL"));
            shared.put("PDS_DID", a.config.did());
            shared.put("REPO_SIGNING_KEY", a.config.repoSigningKey());
            try (var b = TestServer.start(shared)) {
                var first = new Writes(a.alteran).createPost("written on A");
                var latest = "/xrpc/com.atproto.sync.getLatestCommit?did=" + q(a.config.did());
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (!TestServer.json(b.get(latest)).get("cid").asText().equals(first.cid().toString())) {
                    assertThat(System.nanoTime()).as("B's head catches up with A's commit").isLessThan(deadline);
                    Thread.onSpinWait();
                }
                var second = new Writes(b.alteran).createPost("written on B");
                assertThat(second.seq()).isEqualTo(first.seq() + 1);
                for (var server : List.of(a, b)) {
                    long until = System.nanoTime() + 10_000_000_000L;
                    while (!TestServer.json(server.get(latest)).get("cid").asText().equals(second.cid().toString())) {
                        assertThat(System.nanoTime()).isLessThan(until);
                        Thread.onSpinWait();
                    }
                    var repo = server.http.send(HttpRequest.newBuilder(URI.create(server.url("/xrpc/com.atproto.sync.getRepo?did=" + q(a.config.did()))))
                            .build(), HttpResponse.BodyHandlers.ofByteArray());
                    var verified = RepoVerifier.verifyCar(new ByteArrayInputStream(repo.body()), a.config.did(), a.config.signingKey().publicKey());
                    assertThat(verified.recordCount()).as("B's commit is built on A's").isEqualTo(2);
                }
            }
        }
    }
}
