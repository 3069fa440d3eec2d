package dev.alteran.server;

import dev.alteran.pds.Databases;
import dev.alteran.atproto.data.Cid;
import dev.alteran.pds.blob.BlobStore;
import dev.alteran.pds.blob.FileBlobStore;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.store.Progress;
import dev.alteran.pds.store.SqliteBackup;
import dev.alteran.pds.wire.Json;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;

/**
 * One backup of a data directory, taken while the server runs: {@code alteran backup} and the
 * server's own schedule both come here. A backup is a directory:
 * <pre>
 *   manifest.json     what the backup holds (the {@link Manifest})
 *   alteran.sqlite    the database as of one commit (SQLite's VACUUM INTO, see {@link SqliteBackup})
 *   blobs/            the blob files the database names, in the blob store's own layout
 * </pre>
 * It is built in a hidden directory beside the target and renamed into place at the end, so a
 * directory named like a backup is always a whole one.
 *
 * <p>The database copy comes first, then the blobs its {@code blob} table names. Blobs never change
 * (a CID names their bytes), so copying them later is consistent, with one race: garbage collection
 * may delete a blob after the copy of the database was taken. It only deletes blobs that no record
 * has used for its grace period (an hour), so a blob a record used at snapshot time survives any
 * backup shorter than that; an unused blob whose bytes are gone is dropped from the backup's
 * database, which then reads as if the collection had run first. A used blob that cannot be found is
 * reported (the backup still completes; {@code alteran verify} on the restore names it too).
 */
final class Backup {
    static final String MANIFEST = "manifest.json";
    static final String FORMAT = "alteran-backup";
    static final int VERSION = 1;
    static final String BLOBS = "blobs";

    private Backup() {}

    /** An object of the S3 listing. */
    record StoredObject(String key, long size) {}

    /**
     * What a backup holds.
     *
     * @param database      {@code sqlite}, or {@code postgres} (then no database is in the backup: pg_dump's job)
     * @param blobStorage   {@code files} (the blobs are in {@code blobs/}) or {@code s3} (they stay in the bucket; {@code s3Objects} lists them)
     * @param schemaVersion the Flyway version of the database's schema
     * @param missingBlobs  blobs a record uses that the store did not have when the backup was taken
     */
    record Manifest(String format, int version, String createdAt, String did, String rootCid, String rev, Long lastSeq,
                    String schemaVersion, String database, String databaseFile, Long databaseBytes, String blobStorage,
                    long blobCount, long blobBytes, List<StoredObject> s3Objects, List<String> missingBlobs) {
        static Manifest read(Path dir) throws IOException {
            var file = dir.resolve(MANIFEST);
            if (!Files.isRegularFile(file)) throw new IllegalArgumentException(dir + " is not an Alteran backup (no " + MANIFEST + ")");
            Manifest m;
            try {
                m = Json.READER.forType(Manifest.class).readValue(file.toFile());
            } catch (IOException e) {
                throw new IllegalArgumentException(file + " is not a backup manifest: " + e.getMessage());
            }
            if (!FORMAT.equals(m.format()) || m.version() != VERSION) {
                throw new IllegalArgumentException(file + " is not an " + FORMAT + " version " + VERSION + " manifest");
            }
            return m;
        }
    }

    record Result(Path dir, Manifest manifest) {}

    /**
     * Backs up the data directory of {@code config} into {@code out} (absent or empty). With PostgreSQL
     * ({@code postgres}) the database is left to pg_dump and only the blobs are copied or listed.
     */
    static Result take(Config config, Path out, Progress progress) throws IOException {
        boolean postgres = config.postgres() != null;
        out = out.toAbsolutePath().normalize();
        if (!postgres) Databases.requireExisting(config); // before anything is created
        if (Files.exists(out) && !isEmptyDirectory(out)) {
            throw new IllegalArgumentException(out + " is not empty: a backup goes into a new (or empty) directory");
        }
        Files.createDirectories(out.getParent());
        var work = Files.createTempDirectory(out.getParent(), "." + out.getFileName() + ".partial-");
        try {
            var manifest = postgres ? blobsOnly(config, work, progress) : sqlite(config, work, progress);
            Files.write(work.resolve(MANIFEST), Json.WRITER.withDefaultPrettyPrinter().writeValueAsBytes(manifest));
            if (Files.exists(out)) Files.delete(out); // empty, checked above
            try {
                Files.move(work, out, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(work, out);
            }
            return new Result(out, manifest);
        } finally {
            if (Files.exists(work)) deleteTree(work);
        }
    }

    private static Manifest sqlite(Config config, Path work, Progress progress) throws IOException {
        var dbCopy = work.resolve(Databases.SQLITE_FILE);
        progress.update("database", 0, 0);
        SqliteBackup.snapshot(Databases.sqliteFile(config), dbCopy);
        var snapshot = SqliteBackup.describe(dbCopy);
        var gone = new ArrayList<String>();
        var missing = new ArrayList<String>();
        long count = 0, bytes = 0;
        List<StoredObject> listing = null;
        try (var store = BlobStore.open(config)) {
            if (config.blobStorage().isS3()) {
                var objects = new HashMap<String, Long>();
                store.list(e -> objects.put(e.key(), e.size()));
                listing = new ArrayList<>();
                for (var row : snapshot.blobs()) {
                    var size = objects.get(row.cid());
                    if (size == null) {
                        (row.referenced() ? missing : gone).add(row.cid());
                    } else {
                        listing.add(new StoredObject(row.cid(), size));
                        count++;
                        bytes += size;
                    }
                }
            } else {
                var target = new FileBlobStore(work.resolve(BLOBS));
                long done = 0;
                for (var row : snapshot.blobs()) {
                    progress.update("blobs", ++done, snapshot.blobs().size());
                    var content = store.get(row.cid());
                    if (content.isEmpty()) {
                        (row.referenced() ? missing : gone).add(row.cid());
                        continue;
                    }
                    try (var in = new Hashing(content.get())) {
                        target.put(row.cid(), in);
                        if (!in.matches(row.cid())) {
                            // Damaged bytes are no backup of the blob: left out, and reported like a missing one.
                            target.delete(row.cid());
                            missing.add(row.cid());
                            continue;
                        }
                        count++;
                        bytes += in.count;
                    }
                }
            }
        }
        SqliteBackup.forgetBlobs(dbCopy, gone);
        return new Manifest(FORMAT, VERSION, Instant.now().toString(), snapshot.did(),
                snapshot.root() == null ? null : snapshot.root().toString(), snapshot.rev(), snapshot.lastSeq(), snapshot.schemaVersion(),
                "sqlite", Databases.SQLITE_FILE, Files.size(dbCopy), config.blobStorage().isS3() ? "s3" : "files", count, bytes, listing,
                missing.isEmpty() ? null : missing);
    }

    /** PostgreSQL: no database copy here; every blob the store holds is copied (files) or listed (S3). */
    private static Manifest blobsOnly(Config config, Path work, Progress progress) throws IOException {
        var entries = new ArrayList<BlobStore.Entry>();
        long count = 0, bytes = 0;
        List<StoredObject> listing = null;
        try (var store = BlobStore.open(config)) {
            store.list(entries::add);
            if (config.blobStorage().isS3()) {
                listing = entries.stream().sorted(Comparator.comparing(BlobStore.Entry::key)).map(e -> new StoredObject(e.key(), e.size())).toList();
                count = listing.size();
                bytes = listing.stream().mapToLong(StoredObject::size).sum();
            } else {
                var target = new FileBlobStore(work.resolve(BLOBS));
                for (var e : entries) {
                    progress.update("blobs", count + 1, entries.size());
                    var content = store.get(e.key());
                    if (content.isEmpty()) continue; // deleted since the listing
                    try (var in = content.get()) {
                        target.put(e.key(), in);
                    }
                    count++;
                    bytes += e.size();
                }
            }
        }
        return new Manifest(FORMAT, VERSION, Instant.now().toString(), config.did(), null, null, null, null, "postgres", null, null,
                config.blobStorage().isS3() ? "s3" : "files", count, bytes, listing, null);
    }

    /**
     * Deletes all but the newest {@code keep} backups among {@code dir}'s subdirectories named
     * {@code prefix...} (the schedule names them by time, so their names sort by age); returns those deleted.
     */
    static List<Path> rotate(Path dir, String prefix, int keep) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        List<Path> backups;
        try (var list = Files.list(dir)) {
            backups = list.filter(p -> p.getFileName().toString().startsWith(prefix) && Files.isRegularFile(p.resolve(MANIFEST)))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed())
                    .toList();
        }
        var deleted = new ArrayList<Path>();
        for (var old : backups.subList(Math.min(keep, backups.size()), backups.size())) {
            deleteTree(old);
            deleted.add(old);
        }
        return deleted;
    }

    static boolean isEmptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return false;
        try (var entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }

    static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (var p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** A stream that hashes and counts what is read through it, to check the bytes against their CID. */
    static final class Hashing extends FilterInputStream {
        private final MessageDigest digest;
        long count;

        Hashing(InputStream in) {
            super(in);
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                digest.update((byte) b);
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                digest.update(b, off, n);
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) {
            return 0; // every byte must pass through the digest
        }

        /** Whether what was read is the content {@code cid} names (call once, after reading it all). */
        boolean matches(String cid) {
            var parsed = Cid.parse(cid);
            return parsed.multihashCode() == Cid.SHA2_256 && Arrays.equals(parsed.digest(), digest.digest());
        }
    }
}
