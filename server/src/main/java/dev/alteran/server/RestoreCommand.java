package dev.alteran.server;

import dev.alteran.pds.Databases;
import dev.alteran.pds.blob.BlobStore;
import dev.alteran.pds.blob.FileBlobStore;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.store.DatabaseLock;
import dev.alteran.pds.store.Migrations;
import dev.alteran.pds.store.SqliteBackup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.flywaydb.core.api.MigrationVersion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code alteran restore}: a backup made into a new data directory. */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Restore a backup made by `alteran backup` into an empty data directory (--data or PDS_DATA_DIR); a directory",
                "that holds anything is refused. Checks the manifest against the database and every blob file against its CID",
                "first. The server's next start announces the restored repository to relays with a #sync event (README:",
                "Backup and restore)."})
final class RestoreCommand implements Callable<Integer> {
    @Mixin
    DataOptions data;

    @Parameters(index = "0", paramLabel = "BACKUP", description = "The backup directory (the one holding manifest.json).")
    Path backup;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        var config = data.config();
        DataOptions.requireBlobStorage(config);
        if (config.postgres() != null) {
            throw new IllegalStateException("PDS_DATABASE_URL selects PostgreSQL: restore its database with pg_restore; this command restores SQLite backups");
        }
        var manifest = Backup.Manifest.read(backup);
        check(manifest, config);
        var target = config.dataDir().toAbsolutePath().normalize();
        if (Files.exists(target) && !Backup.isEmptyDirectory(target)) {
            throw new IllegalStateException(target + " is not empty: restore only into a new or empty data directory"
                    + " (move the old one aside first)");
        }
        boolean created = !Files.exists(target);
        Files.createDirectories(target);
        var database = Databases.sqliteFile(config);
        long start = System.nanoTime();
        long blobs;
        boolean restored = false;
        // Held while the directory fills: a server started on it meanwhile refuses.
        try (var lock = DatabaseLock.acquire(database, "alteran restore")) {
            blobs = restore(manifest, config, database);
            restored = true;
        } finally {
            if (!restored) clear(target, created);
        }
        var out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "restored %s (rev %s, seq %d) with %,d blobs into %s in %.1f s; the next `alteran serve` announces it to relays%n",
                manifest.rootCid(), manifest.rev(), manifest.lastSeq(), blobs, target, (System.nanoTime() - start) / 1e9);
        out.flush();
        return 0;
    }

    /** Refuses what this build cannot restore, before anything is written. */
    private void check(Backup.Manifest manifest, Config config) {
        if (!"sqlite".equals(manifest.database())) {
            throw new IllegalArgumentException(backup + " holds no database (the server used " + manifest.database()
                    + "): restore that with its own tools (pg_restore)");
        }
        if (config.did() != null && manifest.did() != null && !config.did().equals(manifest.did())) {
            throw new IllegalArgumentException("the backup is of " + manifest.did() + ", but PDS_DID is " + config.did());
        }
        var newest = Migrations.all().getLast().version();
        if (manifest.schemaVersion() == null
                || MigrationVersion.fromVersion(manifest.schemaVersion()).compareTo(MigrationVersion.fromVersion(newest)) > 0) {
            throw new IllegalArgumentException("the backup's schema version " + manifest.schemaVersion()
                    + " is newer than this Alteran's (" + newest + "): restore it with the version that made it");
        }
        if ("s3".equals(manifest.blobStorage()) && !config.blobStorage().isS3()) {
            throw new IllegalArgumentException("the backup's blobs are in S3 (listed in its manifest): configure the same bucket"
                    + " (PDS_BLOB_STORE=s3 and the PDS_S3_* settings) to restore it");
        }
        var db = backup.resolve(Objects.requireNonNullElse(manifest.databaseFile(), Databases.SQLITE_FILE));
        var snapshot = SqliteBackup.describe(db);
        var root = snapshot.root() == null ? null : snapshot.root().toString();
        if (!Objects.equals(root, manifest.rootCid()) || !Objects.equals(snapshot.rev(), manifest.rev())
                || !Objects.equals(snapshot.lastSeq(), manifest.lastSeq())) {
            throw new IllegalArgumentException("the backup's database (root " + root + ", rev " + snapshot.rev() + ", seq " + snapshot.lastSeq()
                    + ") is not the one its manifest describes (root " + manifest.rootCid() + ", rev " + manifest.rev()
                    + ", seq " + manifest.lastSeq() + ")");
        }
    }

    /** Copies the blobs (each checked against its CID) and then the database; returns the blob count. */
    private long restore(Backup.Manifest manifest, Config config, Path database) throws IOException {
        var snapshotFile = backup.resolve(Objects.requireNonNullElse(manifest.databaseFile(), Databases.SQLITE_FILE));
        var snapshot = SqliteBackup.describe(snapshotFile);
        long count = 0, bytes = 0;
        var problems = new ArrayList<String>();
        try (var store = BlobStore.open(config); var progress = ConsoleProgress.on(spec.commandLine().getErr())) {
            if ("s3".equals(manifest.blobStorage())) {
                // The bytes stayed in the bucket: check the objects the manifest lists are still there.
                long done = 0;
                for (var object : manifest.s3Objects()) {
                    progress.update("blobs", ++done, manifest.s3Objects().size());
                    if (!store.exists(object.key())) problems.add("blob " + object.key() + " is no longer in the bucket");
                    count++;
                    bytes += object.size();
                }
            } else {
                var source = new FileBlobStore(backup.resolve(Backup.BLOBS));
                long done = 0;
                for (var row : snapshot.blobs()) {
                    progress.update("blobs", ++done, snapshot.blobs().size());
                    var content = source.get(row.cid());
                    if (content.isEmpty()) {
                        if (manifest.missingBlobs() == null || !manifest.missingBlobs().contains(row.cid())) {
                            problems.add("blob " + row.cid() + " is missing from the backup");
                        }
                        continue;
                    }
                    var hashing = new Backup.Hashing(content.get());
                    String temp;
                    try (hashing) {
                        temp = store.putTemp(hashing);
                    }
                    try {
                        if (!hashing.matches(row.cid())) {
                            problems.add("blob " + row.cid() + " does not hash to its CID: the backup is damaged");
                            continue;
                        }
                        store.promote(temp, row.cid());
                        count++;
                        bytes += hashing.count;
                    } finally {
                        store.deleteTemp(temp);
                    }
                }
            }
        }
        if (count != manifest.blobCount() || bytes != manifest.blobBytes()) {
            problems.add(String.format(Locale.ROOT, "the manifest lists %,d blobs (%,d bytes); the backup has %,d (%,d bytes)",
                    manifest.blobCount(), manifest.blobBytes(), count, bytes));
        }
        if (!problems.isEmpty()) throw new IllegalStateException("refusing to restore a damaged backup: " + String.join("; ", problems));
        // The database last, under a temporary name: a restore cut short leaves no database that looks whole.
        var part = database.resolveSibling(database.getFileName() + ".restoring");
        Files.copy(snapshotFile, part, StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, database, StandardCopyOption.ATOMIC_MOVE);
        Files.copy(backup.resolve(Backup.MANIFEST), database.resolveSibling(SqliteBackup.RESTORED_MARKER));
        return count;
    }

    /** Leaves the data directory as it was before the restore began: empty, or gone if the restore made it. */
    private static void clear(Path target, boolean created) throws IOException {
        if (created) {
            Backup.deleteTree(target);
            return;
        }
        try (var entries = Files.list(target)) {
            for (var p : entries.toList()) Backup.deleteTree(p);
        }
    }
}
