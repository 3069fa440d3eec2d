package dev.alteran.server;

import static dev.alteran.server.Ops.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.store.PostgresUrl;
import dev.alteran.pds.store.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL's disk fills up under a write burst: the database lives in a tablespace on a small tmpfs
 * the test mounts (as FullDiskTest does for SQLite), in the tests' embedded PostgreSQL server, which runs
 * as this process's user and so can use a directory made here. Where the tests use a server elsewhere
 * (ALTERAN_TEST_POSTGRES_URL) or mounting is refused, the test is skipped, saying why.
 */
class PostgresFullDiskTest {
    /** Room for a fresh database's catalog and our schema (about 8 MB), and what the filler takes. */
    static final String SIZE = "32m";
    /** What the filler leaves free: a few dozen commits' worth. */
    static final long LEFT_FREE = 1536 * 1024;

    @TempDir
    Path tmp;

    @Test
    void aFullDatabaseDiskGives507ReportsFullAndTakesWritesAgainOnceThereIsRoom() throws Exception {
        Assumptions.assumeTrue(TestPostgres.isEmbedded(),
                "the tests' PostgreSQL server is not the embedded one (" + TestPostgres.ENV + "): a tablespace on a tmpfs mounted here needs a server on this machine");
        var disk = tmp.resolve("disk");
        Files.createDirectories(disk);
        Assumptions.assumeTrue(FullDiskTest.mount(disk, SIZE), "cannot mount a tmpfs here (see the mount output above)");
        PostgresUrl database = null;
        try {
            var location = disk.resolve("tablespace");
            Files.createDirectories(location); // this process's user's: the embedded server's
            database = TestPostgres.freshDatabaseIn(location);
            // Room to free later: the owner deletes this once the disk is full.
            var filler = disk.resolve("filler");
            long room = Files.getFileStore(disk).getUsableSpace() - LEFT_FREE;
            assertThat(room).as("the tmpfs holds the database with room to spare").isPositive();
            Files.write(filler, new byte[(int) room]);

            try (var server = TestServer.start(Map.of("PDS_DATABASE_URL", TestPostgres.settingOf(database)))) {
                String jwt = AuthClient.login(server).get("accessJwt").asText();
                assertThat(FullDiskTest.health(server).path("checks").path("storage").asText()).isEqualTo("ok");

                // The burst: posts of incompressible text (PostgreSQL compresses large values) until the database refuses one.
                var random = new Random(42);
                var acked = new ArrayList<String>();
                var statuses = new TreeMap<Integer, Integer>();
                JsonNode refusal = null;
                for (int i = 0; i < 2_000 && refusal == null; i++) {
                    var r = FullDiskTest.createRecord(server, jwt, FullDiskTest.post(server, randomText(random, 4_000) + i, null));
                    statuses.merge(r.statusCode(), 1, Integer::sum);
                    if (r.statusCode() == 200) {
                        acked.add(TestServer.json(r).get("uri").asText());
                    } else {
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(507);
                        refusal = TestServer.json(r);
                    }
                }
                System.out.println("PostgresFullDiskTest (tmpfs " + SIZE + "): statuses " + statuses + ", " + acked.size() + " writes acknowledged");
                assertThat(refusal).as("the database ran out of room").isNotNull();
                assertThat(refusal.get("error").asText()).isEqualTo("InsufficientStorage");
                assertThat(refusal.get("message").asText()).contains("storage is full");
                assertThat(acked).isNotEmpty();
                // Another write while full is refused the same way, not with a 500.
                var again = FullDiskTest.createRecord(server, jwt, FullDiskTest.post(server, randomText(random, 4_000), null));
                assertThat(again.statusCode()).as(again.body()).isEqualTo(507);

                // /health says what is wrong while it lasts (the data directory, elsewhere, has room: the database has not).
                var unhealthy = server.get("/health");
                assertThat(unhealthy.statusCode()).as(unhealthy.body()).isEqualTo(503);
                assertThat(TestServer.json(unhealthy).path("checks").path("storage").asText()).isEqualTo("full");
                assertThat(TestServer.json(unhealthy).path("checks").path("database").asText()).isEqualTo("ok");

                // Nothing half-done: the repository verifies and every acknowledged write is there.
                assertVerifies(server);
                for (var uri : acked) assertThat(FullDiskTest.getRecord(server, uri).statusCode()).as(uri).isEqualTo(200);

                // The owner frees space; no restart.
                Files.delete(filler);
                var healthy = server.get("/health");
                assertThat(healthy.statusCode()).as(healthy.body()).isEqualTo(200);
                assertThat(TestServer.json(healthy).path("checks").path("storage").asText()).isEqualTo("ok");
                var after = FullDiskTest.createRecord(server, jwt, FullDiskTest.post(server, "room again", null));
                assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
                assertThat(FullDiskTest.getRecord(server, TestServer.json(after).get("uri").asText()).statusCode()).isEqualTo(200);
                assertVerifies(server);
            }
        } finally {
            if (database != null) TestPostgres.drop(database); // its files leave the tmpfs before it goes
            FullDiskTest.umount(disk);
        }
    }

    private void assertVerifies(TestServer server) throws Exception {
        var env = Ops.envFile(tmp, server.config.did(), server.config.repoSigningKey(), server.config.dataDir());
        var verify = cli("verify", "--env-file", env.toString());
        assertThat(verify.status()).as(verify.toString()).isZero();
    }

    private static String randomText(Random random, int length) {
        var alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        var b = new StringBuilder(length);
        for (int i = 0; i < length; i++) b.append(alphabet.charAt(random.nextInt(alphabet.length())));
        return b.toString();
    }
}
