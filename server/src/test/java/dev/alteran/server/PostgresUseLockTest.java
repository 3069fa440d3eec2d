package dev.alteran.server;

import static dev.alteran.server.Ops.cli;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.pds.Databases;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.store.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands that replace the repository under a server (import, the database copies) on PostgreSQL,
 * where instances share the database: they run only when no instance serves it, say how many do, and
 * an instance does not start while one of them runs. Real servers on the tests' PostgreSQL.
 */
class PostgresUseLockTest {
    @TempDir
    Path tmp;

    @Test
    void importRefusesWhileInstancesServeTheDatabaseAndRunsOnceTheyHaveStopped() throws Exception {
        byte[] car;
        String did, key;
        try (var source = TestServer.start(Map.of("PDS_DATABASE_URL", ""))) {
            for (int i = 0; i < 5; i++) new Writes(source.alteran).createPost("moving " + i);
            did = source.config.did();
            key = source.config.repoSigningKey();
            var file = tmp.resolve("repo.car");
            var export = cli("export", "--env-file", Ops.envFile(tmp, did, key, source.config.dataDir()).toString(), "--out", file.toString());
            assertThat(export.status()).as(export.toString()).isZero();
            car = Files.readAllBytes(file);
        }
        var file = tmp.resolve("repo.car");
        Files.write(file, car);
        var database = TestPostgres.settingOf(TestPostgres.freshDatabase());
        var env = tmp.resolve("pg.env");
        Files.writeString(env, "PDS_DID=" + did + "\nREPO_SIGNING_KEY=" + key + "\nPDS_DATA_DIR=" + tmp.resolve("data")
                + "\nPDS_DATABASE_URL=" + database + "\n");
        var shared = new HashMap<String, String>();
        shared.put("PDS_DATABASE_URL", database);
        shared.put("PDS_DID", did);
        shared.put("REPO_SIGNING_KEY", key);

        try (var a = TestServer.start(shared)) {
            try (var b = TestServer.start(shared)) {
                var refused = cli("import", file.toString(), "--env-file", env.toString());
                assertThat(refused.status()).isEqualTo(1);
                assertThat(refused.err()).contains("is in use: 2 instance(s) are serving this database; stop them first");
                // The copies take the same lock: nothing is copied out from under them either.
                var copy = cli("copy-to-sqlite", "--env-file", env.toString(), "--data", tmp.resolve("copy").toString());
                assertThat(copy.status()).isEqualTo(1);
                assertThat(copy.err()).contains("2 instance(s) are serving this database");
            }
            var refused = cli("import", file.toString(), "--env-file", env.toString());
            assertThat(refused.status()).isEqualTo(1);
            assertThat(refused.err()).contains("1 instance(s) are serving this database; stop them first");
            assertThat(a.alteran.repo().head()).isNotNull(); // and the instance serves on
            assertThat(a.get("/health").statusCode()).isEqualTo(200);
        }

        var imported = cli("import", file.toString(), "--env-file", env.toString());
        assertThat(imported.status()).as(imported.toString()).isZero();
        var verify = cli("verify", "--env-file", env.toString());
        assertThat(verify.status()).as(verify.toString()).isZero();
        assertThat(verify.out()).contains("5 records");
    }

    @Test
    void anInstanceDoesNotStartWhileACommandHoldsTheDatabase() throws Exception {
        var database = TestPostgres.settingOf(TestPostgres.freshDatabase());
        var values = new HashMap<String, String>(Secrets.generate(TestServer.PASSWORD));
        values.put("PDS_DID", "did:web:localhost");
        values.put("PDS_HANDLE", TestServer.HANDLE);
        values.put("PDS_DATA_DIR", tmp.toString());
        values.put("PDS_DATABASE_URL", database);
        var config = Config.from(values);
        try (var held = Databases.lock(config, "alteran import")) {
            assertThatThrownBy(() -> TestServer.start(Map.of("PDS_DATABASE_URL", database)).close())
                    .hasStackTraceContaining("is in use by alteran import (pid " + ProcessHandle.current().pid() + "); let it finish first");
            // A second command is told which one holds it.
            var env = tmp.resolve("second.env");
            Files.writeString(env, "PDS_DATA_DIR=" + tmp.resolve("data") + "\nPDS_DATABASE_URL=" + database + "\n");
            var copy = cli("copy-to-sqlite", "--env-file", env.toString());
            assertThat(copy.status()).isEqualTo(1);
            assertThat(copy.err()).contains("is in use: by alteran import (pid " + ProcessHandle.current().pid() + "); let it finish first");
        }
        // Released with the command: an instance starts and serves.
        try (var server = TestServer.start(Map.of("PDS_DATABASE_URL", database))) {
            assertThat(server.get("/health").statusCode()).isEqualTo(200);
        }
    }
}
