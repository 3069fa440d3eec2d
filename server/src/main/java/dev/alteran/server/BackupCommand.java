package dev.alteran.server;

import dev.alteran.pds.config.Config;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code alteran backup}: a whole data directory, copied while the server runs. */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = {"Back up the data directory while the server keeps running: the database as of one commit (SQLite's",
                "VACUUM INTO), the blob files it names (or, with S3, a listing of the bucket's objects) and a manifest.json",
                "(root CID, rev, last firehose seq, schema version). `alteran restore` reads it back. With PostgreSQL the",
                "database is pg_dump's to back up (and S3's bucket its versioning or replication): only the blobs are copied",
                "or listed, and the command exits 1 saying so."})
final class BackupCommand implements Callable<Integer> {
    @Mixin
    DataOptions data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Write the backup here: a new or empty directory.")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        var config = data.config();
        DataOptions.requireBlobStorage(config);
        long start = System.nanoTime();
        Backup.Result result;
        try (var progress = ConsoleProgress.on(spec.commandLine().getErr())) {
            result = Backup.take(config, out, progress);
        }
        var report = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        var m = result.manifest();
        if (config.postgres() != null) {
            report.printf(Locale.ROOT, "blobs: %,d (%,d bytes) %s in %s%n", m.blobCount(), m.blobBytes(),
                    m.s3Objects() != null ? "listed" : "copied", result.dir());
            report.flush();
            err.println("alteran: the database is PostgreSQL, which this command does not copy: back it up with pg_dump"
                    + " (e.g. pg_dump --format=custom --file=alteran.dump \"$PDS_DATABASE_URL\"), and keep it with " + result.dir());
            err.flush();
            return 1;
        }
        report.printf(Locale.ROOT, "backed up %s (rev %s, seq %d, schema %s): database %,d bytes, %,d blobs (%,d bytes%s) in %s in %.1f s%n",
                m.rootCid(), m.rev(), m.lastSeq(), m.schemaVersion(), m.databaseBytes(), m.blobCount(), m.blobBytes(),
                m.s3Objects() != null ? ", listed in the manifest; the bytes stay in the bucket" : "", result.dir(),
                (System.nanoTime() - start) / 1e9);
        report.flush();
        if (m.missingBlobs() != null) {
            for (var cid : m.missingBlobs()) err.println("missing blob " + cid + ": a record uses it but the blob store does not have it");
            err.flush();
            return 1;
        }
        return 0;
    }
}
