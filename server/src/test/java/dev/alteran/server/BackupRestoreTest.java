package dev.alteran.server;

import dev.alteran.pds.Databases;
import static dev.alteran.server.Ops.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.config.BackupSchedule;
import dev.alteran.pds.store.SqliteBackup;
import dev.alteran.pds.wire.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code alteran backup} beside a running server under a write burst, {@code restore}, and the schedule's rotation. */
class BackupRestoreTest {
    @TempDir
    Path tmp;

    @Test
    void aBackupTakenDuringAWriteBurstRestoresEveryAcknowledgedWriteAndTheFirehoseGoesOnPastIt() throws Exception {
        var acked = new ConcurrentLinkedQueue<String>();
        var stop = new AtomicBoolean();
        Path backup = tmp.resolve("backup");
        Path restoredData = tmp.resolve("restored");
        List<String> before;
        long oldLastSeq;
        Backup.Manifest manifest;
        String unusedBlob;
        TestServer source = TestServer.start();
        try (source) {
            var blobs = Ops.uploadBlobs(source, 4, 7);
            Ops.writePosts(source, 20, blobs.subList(0, 3)); // the fourth blob stays unused
            unusedBlob = blobs.get(3).ref().toString();
            String jwt = AuthClient.login(source).get("accessJwt").asText();

            ExecutorService writers = Executors.newFixedThreadPool(3);
            var running = new ArrayList<Future<?>>();
            for (int w = 0; w < 3; w++) {
                int writer = w;
                running.add(writers.submit(() -> {
                    for (int i = 0; !stop.get(); i++) acked.add(createPost(source, jwt, "writer " + writer + " post " + i));
                    return null;
                }));
            }
            try {
                await(() -> acked.size() >= 60, "writes acknowledged before the backup");
                before = List.copyOf(acked); // every write acknowledged before the backup began
                var env = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), source.config.dataDir());
                var run = cli("backup", "--env-file", env.toString(), "--out", backup.toString());
                assertThat(run.status()).as(run.toString()).isZero();
                assertThat(run.out()).contains("backed up ");
                int afterBackup = acked.size();
                await(() -> acked.size() > afterBackup + 20, "writes going on after the backup");
            } finally {
                stop.set(true);
                for (var f : running) f.get(30, TimeUnit.SECONDS);
                writers.shutdown();
            }
            oldLastSeq = source.alteran.sequence().lastSeq();

            manifest = Backup.Manifest.read(backup);
            assertThat(manifest.database()).isEqualTo("sqlite");
            assertThat(manifest.blobStorage()).isEqualTo("files");
            assertThat(manifest.did()).isEqualTo(source.config.did());
            assertThat(manifest.blobCount()).isEqualTo(4);
            assertThat(manifest.missingBlobs()).isNull();
            assertThat(manifest.schemaVersion()).isEqualTo(dev.alteran.pds.store.Migrations.all().getLast().version());
            assertThat(manifest.lastSeq()).isGreaterThan(0).isLessThan(oldLastSeq);
            assertThat(manifest.rootCid()).isNotNull();
        }

        // Into an empty directory; the restored repository verifies and holds every write acknowledged before the backup.
        var restoredEnv = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), restoredData);
        var restored = cli("restore", backup.toString(), "--env-file", restoredEnv.toString());
        assertThat(restored.status()).as(restored.toString()).isZero();
        assertThat(restored.out()).contains("restored " + manifest.rootCid()).contains("4 blobs");
        var verify = cli("verify", "--env-file", restoredEnv.toString());
        assertThat(verify.status()).as(verify.toString()).isZero();
        assertThat(verify.out()).contains("verified " + manifest.rootCid());
        assertThat(Files.exists(restoredData.resolve(SqliteBackup.RESTORED_MARKER))).isTrue();
        assertThat(Ops.head(restoredData).toString()).isEqualTo(manifest.rootCid());

        var overrides = new HashMap<>(Ops.sameAccount(source));
        overrides.put("PDS_DATA_DIR", restoredData.toString());
        try (var target = TestServer.start(overrides)) {
            var uris = new HashSet<String>();
            target.alteran.database().read(c -> {
                try (var st = c.createStatement(); var rs = st.executeQuery("SELECT uri FROM record")) {
                    while (rs.next()) uris.add(rs.getString(1));
                }
                return null;
            });
            assertThat(uris).containsAll(before);
            // The unused blob came along too (it was in the blob table at snapshot time).
            assertThat(target.alteran.blobStore().exists(unusedBlob)).isTrue();
            assertThat(target.alteran.blobs().listMissing(null, 10)).isEmpty();

            // The first start announced the restore (#identity, #sync of a fresh commit) past every seq the old server gave out.
            assertThat(Files.exists(restoredData.resolve(SqliteBackup.RESTORED_MARKER))).isFalse();
            assertThat(target.alteran.repo().head().cid().toString()).isNotEqualTo(manifest.rootCid());
            try (var firehose = FirehoseClient.connect(target.http, FirehoseClient.url(target, "cursor=" + manifest.lastSeq()), true)) {
                var announced = firehose.take(2, 10_000);
                assertThat(announced.get(0).type()).isEqualTo("#identity");
                assertThat(announced.get(1).type()).isEqualTo("#sync");
                assertThat(announced.get(0).seq()).isGreaterThan(oldLastSeq);
                assertThat(announced.get(1).seq()).isGreaterThan(announced.get(0).seq());
                assertThat(announced.get(1).body().get("rev")).isEqualTo(target.alteran.repo().head().rev());
                assertThat(target.alteran.repo().head().rev()).isGreaterThan(manifest.rev());

                // Writes go on from there.
                String jwt = AuthClient.login(target).get("accessJwt").asText();
                createPost(target, jwt, "after the restore");
                var commit = firehose.take(1, 10_000).getFirst();
                assertThat(commit.type()).isEqualTo("#commit");
                assertThat(commit.seq()).isEqualTo(announced.get(1).seq() + 1);
            }
        }
        assertThat(cli("verify", "--env-file", restoredEnv.toString()).status()).isZero();
    }

    @Test
    void restoreRefusesADirectoryThatHoldsAnythingAndADamagedBackup() throws Exception {
        Path backup = tmp.resolve("backup");
        try (var source = TestServer.start()) {
            var blobs = Ops.uploadBlobs(source, 2, 3);
            Ops.writePosts(source, 5, blobs);
            var env = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), source.config.dataDir());
            assertThat(cli("backup", "--env-file", env.toString(), "--out", backup.toString()).status()).isZero();
            // A second backup into the same (now full) directory is refused.
            var again = cli("backup", "--env-file", env.toString(), "--out", backup.toString());
            assertThat(again.status()).isEqualTo(1);
            assertThat(again.err()).contains("is not empty");

            var occupied = tmp.resolve("occupied");
            Files.createDirectories(occupied);
            Files.writeString(occupied.resolve("keep.txt"), "mine");
            var occupiedEnv = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), occupied);
            var refused = cli("restore", backup.toString(), "--env-file", occupiedEnv.toString());
            assertThat(refused.status()).isEqualTo(1);
            assertThat(refused.err()).contains("is not empty").contains("restore only into a new or empty data directory");
            try (var listing = Files.list(occupied)) {
                assertThat(listing.map(p -> p.getFileName().toString()).toList()).containsExactly("keep.txt");
            }

            // A blob whose bytes no longer hash to its CID: refused, and the new directory is left as it was (absent).
            var blobFile = findBlobFile(backup, blobs.get(0).ref().toString());
            var bytes = Files.readAllBytes(blobFile);
            bytes[bytes.length - 1] ^= 1;
            Files.write(blobFile, bytes);
            var fresh = tmp.resolve("fresh");
            var freshEnv = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), fresh);
            var damaged = cli("restore", backup.toString(), "--env-file", freshEnv.toString());
            assertThat(damaged.status()).isEqualTo(1);
            assertThat(damaged.err()).contains("does not hash to its CID");
            assertThat(Files.exists(fresh)).isFalse();

            // Not a backup at all.
            var notBackup = cli("restore", tmp.toString(), "--env-file", freshEnv.toString());
            assertThat(notBackup.status()).isEqualTo(1);
            assertThat(notBackup.err()).contains("is not an Alteran backup");
        }
    }

    @Test
    void bytesGoneBeforeTheCopyDropAnUnusedBlobAndReportAUsedOne() throws Exception {
        try (var source = TestServer.start()) {
            var blobs = Ops.uploadBlobs(source, 2, 11);
            Ops.writePosts(source, 3, blobs.subList(0, 1));
            var used = blobs.get(0).ref().toString();
            var unused = blobs.get(1).ref().toString();
            var env = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), source.config.dataDir());

            // As garbage collection would between the snapshot and the copy: the unused blob's bytes are gone.
            source.alteran.blobStore().delete(unused);
            var dir = tmp.resolve("b1");
            var run = cli("backup", "--env-file", env.toString(), "--out", dir.toString());
            assertThat(run.status()).as(run.toString()).isZero();
            var snapshot = SqliteBackup.describe(dir.resolve(Databases.SQLITE_FILE));
            assertThat(snapshot.blobs()).extracting(SqliteBackup.BlobRow::cid).containsExactly(used);

            // A used blob without bytes is a damaged repository: the backup is written, and says so.
            source.alteran.blobStore().delete(used);
            var dir2 = tmp.resolve("b2");
            var damaged = cli("backup", "--env-file", env.toString(), "--out", dir2.toString());
            assertThat(damaged.status()).isEqualTo(1);
            assertThat(damaged.err()).contains("missing blob " + used);
            assertThat(Backup.Manifest.read(dir2).missingBlobs()).containsExactly(used);
        }
    }

    @Test
    void theScheduleBacksUpOnItsTimerAndKeepsTheNewestN() throws Exception {
        var dir = tmp.resolve("scheduled");
        try (var source = TestServer.start(java.util.Map.of("PDS_BACKUP_DIR", dir.toString(), "PDS_BACKUP_EVERY", "1s",
                "PDS_BACKUP_KEEP", "2"))) {
            assertThat(source.config.backup()).isEqualTo(new BackupSchedule(dir, Duration.ofSeconds(1), 2));
            Ops.writePosts(source, 5, List.of());
            try (var scheduler = BackupScheduler.start(source.config)) {
                await(() -> scheduler.runs() >= 4, "four scheduled backups");
            }
            List<String> names;
            try (var list = Files.list(dir)) {
                names = list.map(p -> p.getFileName().toString()).sorted().toList();
            }
            assertThat(names).hasSize(2).allMatch(n -> n.startsWith(BackupScheduler.PREFIX));
            for (var name : names) assertThat(Backup.Manifest.read(dir.resolve(name)).rootCid()).isEqualTo(source.alteran.repo().head().cid().toString());
            // Rotation by hand: the newest stay.
            Files.createDirectories(dir.resolve(BackupScheduler.PREFIX + "00000000T000000.000Z"));
            Files.writeString(dir.resolve(BackupScheduler.PREFIX + "00000000T000000.000Z").resolve(Backup.MANIFEST), "{}");
            assertThat(Backup.rotate(dir, BackupScheduler.PREFIX, 2)).extracting(p -> p.getFileName().toString())
                    .containsExactly(BackupScheduler.PREFIX + "00000000T000000.000Z");
        }
    }

    private static int freePort() throws java.io.IOException {
        try (var socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void withPostgresScheduledBackupsAreRefusedAtStartUp() throws Exception {
        // A real database the server could serve: it is the backup setting that stops it, before anything starts.
        var database = dev.alteran.pds.store.TestPostgres.settingOf(dev.alteran.pds.store.TestPostgres.freshDatabase());
        var env = tmp.resolve("pg-serve.env");
        var lines = new StringBuilder();
        Secrets.generate(TestServer.PASSWORD).forEach((k, v) -> lines.append(k).append('=').append(v).append('\n'));
        lines.append("PDS_DID=did:web:localhost\nPDS_HANDLE=").append(TestServer.HANDLE).append("\nALTERAN_ENV=dev\nPDS_PORT=").append(freePort()).append('\n')
                .append("PDS_DATA_DIR=").append(tmp.resolve("pg-serve")).append("\nPDS_DATABASE_URL=").append(database).append('\n');
        Files.writeString(env, lines);
        // Bounded: a server that started instead would serve until stopped.
        var run = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60),
                () -> cli("serve", "--env-file", env.toString(), "--backup-dir", tmp.resolve("pg-backups").toString()));
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).contains("PDS_BACKUP_DIR (--backup-dir): scheduled backups are of a SQLite install")
                .contains("pg_dump").doesNotContain("password=");
        assertThat(Files.exists(tmp.resolve("pg-backups"))).isFalse();
        var help = cli("serve", "--help");
        assertThat(help.out().replaceAll("\\s+", " ")).contains("with PostgreSQL (PDS_DATABASE_URL) the server refuses to start with it");
    }

    @Test
    void withPostgresTheDatabaseIsLeftToPgDumpButTheBlobsAreCopied() throws Exception {
        try (var source = TestServer.start()) {
            var blobs = Ops.uploadBlobs(source, 3, 5);
            Ops.writePosts(source, 2, blobs);
            var env = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), source.config.dataDir());
            Files.writeString(env, "PDS_DATABASE_URL=postgres://alteran@db.example:5432/alteran\n", java.nio.file.StandardOpenOption.APPEND);
            var dir = tmp.resolve("pg");
            var run = cli("backup", "--env-file", env.toString(), "--out", dir.toString());
            assertThat(run.status()).isEqualTo(1);
            assertThat(run.err()).contains("PostgreSQL").contains("pg_dump");
            assertThat(run.out()).contains("blobs: 3");
            var manifest = Backup.Manifest.read(dir);
            assertThat(manifest.database()).isEqualTo("postgres");
            assertThat(manifest.rootCid()).isNull();
            assertThat(manifest.blobCount()).isEqualTo(3);
            assertThat(Files.exists(dir.resolve(Databases.SQLITE_FILE))).isFalse();
            for (var ref : blobs) assertThat(findBlobFile(dir, ref.ref().toString())).exists();

            var restoreEnv = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), tmp.resolve("pg-restored"));
            var restore = cli("restore", dir.toString(), "--env-file", restoreEnv.toString());
            assertThat(restore.status()).isEqualTo(1);
            assertThat(restore.err()).contains("pg_restore");
            assertThat(Files.exists(tmp.resolve("pg-restored"))).isFalse();
        }
    }

    @Test
    void configurationRefusesAScheduleThatCannotWork() {
        var problems = dev.alteran.pds.config.Config.from(java.util.Map.of("PDS_BACKUP_DIR", "/x", "PDS_BACKUP_EVERY", "often",
                "PDS_BACKUP_KEEP", "0")).problems();
        assertThat(problems).anyMatch(p -> p.startsWith("PDS_BACKUP_EVERY: 'often' is not a duration"))
                .anyMatch(p -> p.startsWith("PDS_BACKUP_KEEP: must be at least 1"));
    }

    private static Path findBlobFile(Path backup, String cid) throws Exception {
        try (var files = Files.walk(backup.resolve(Backup.BLOBS))) {
            return files.filter(p -> p.getFileName().toString().equals(cid)).findFirst().orElseThrow();
        }
    }

    static String createPost(TestServer server, String jwt, String text) throws Exception {
        var body = Json.object().put("repo", server.config.did()).put("collection", "app.bsky.feed.post");
        body.putObject("record").put("$type", "app.bsky.feed.post").put("text", text).put("createdAt", "2024-01-01T00:00:00.000Z");
        var response = server.post("/xrpc/com.atproto.repo.createRecord", body.toString(), "authorization", "Bearer " + jwt);
        if (response.statusCode() != 200) throw new AssertionError("createRecord: " + response.statusCode() + " " + response.body());
        JsonNode json = TestServer.json(response);
        return json.get("uri").asText();
    }

    /** Waits for {@code condition} (checked every few milliseconds), failing after a minute. */
    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(5);
        }
    }
}
