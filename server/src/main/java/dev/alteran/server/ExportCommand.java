package dev.alteran.server;

import dev.alteran.pds.Databases;
import dev.alteran.atproto.data.Cid;
import dev.alteran.pds.blob.BlobStore;
import dev.alteran.pds.blob.Blobs;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.RepoExport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code alteran export}: a backup of the repository (CAR) and of the blobs its records use. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Back up the account: the signed repository as a CAR file (--out), every blob records use (--blobs), or both.",
                "Safe while the server runs: the CAR is one consistent snapshot. `alteran import` (or another PDS's",
                "com.atproto.repo.importRepo) reads it back."})
final class ExportCommand implements Callable<Integer> {
    @Mixin
    DataOptions data;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the repository CAR here ('-': standard output).")
    Path out;

    @Option(names = "--blobs", paramLabel = "DIR", description = "Copy every blob a record uses into DIR, one file named by its CID.")
    Path blobsDir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (out == null && blobsDir == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give --out FILE, --blobs DIR, or both");
        }
        var config = data.config();
        var report = spec.commandLine().getOut();
        int status = 0;
        try (var db = Databases.openExisting(config)) {
            if (out != null) exportCar(db, report);
            if (blobsDir != null) status = exportBlobs(config, db, report);
        }
        return status;
    }

    private void exportCar(Database db, java.io.PrintWriter report) throws IOException {
        long start = System.nanoTime();
        RepoExport.Result result;
        if (out.toString().equals("-")) {
            try (var progress = ConsoleProgress.on(spec.commandLine().getErr())) {
                result = RepoExport.writeCar(db, System.out, progress);
            }
        } else {
            // Written beside the target, then moved: an interrupted export never leaves a truncated backup.
            var dir = out.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            var part = Files.createTempFile(dir, out.getFileName().toString(), ".part");
            try {
                try (var file = Files.newOutputStream(part); var progress = ConsoleProgress.on(spec.commandLine().getErr())) {
                    result = RepoExport.writeCar(db, file, progress);
                }
                Files.move(part, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(part);
            }
        }
        report.printf(Locale.ROOT, "exported %s (rev %s): %,d records, %,d blocks, %,d bytes in %.1f s%n", result.commit(), result.rev(),
                result.records(), result.blocks(), result.bytes(), (System.nanoTime() - start) / 1e9);
        report.flush();
    }

    private int exportBlobs(Config config, Database db, java.io.PrintWriter report) throws IOException {
        DataOptions.requireBlobStorage(config);
        Files.createDirectories(blobsDir);
        var err = spec.commandLine().getErr();
        long copied = 0, bytes = 0, missing = 0;
        try (var store = BlobStore.open(config); var progress = ConsoleProgress.on(err)) {
            var blobs = new Blobs(db, store, config.allowedMime(), config.maxBlobSize(), config.blobQuotaBytes(), Clock.systemUTC());
            String cursor = null;
            while (true) {
                var page = blobs.listReferenced(null, cursor, 500);
                if (page.isEmpty()) break;
                for (var cid : page) {
                    var content = blobs.open(Cid.parse(cid));
                    if (content.isEmpty()) {
                        err.println("missing blob " + cid + ": a record uses it but the blob store does not have it");
                        missing++;
                        continue;
                    }
                    var part = Files.createTempFile(blobsDir, cid, ".part");
                    try (var in = content.get()) {
                        bytes += Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
                        Files.move(part, blobsDir.resolve(cid), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    } finally {
                        Files.deleteIfExists(part);
                    }
                    progress.update("blobs", ++copied, 0);
                }
                cursor = page.getLast();
            }
        }
        report.printf(Locale.ROOT, "exported %,d blobs (%,d bytes) to %s%s%n", copied, bytes, blobsDir,
                missing == 0 ? "" : String.format(Locale.ROOT, "; %,d missing", missing));
        report.flush();
        return missing == 0 ? 0 : 1;
    }
}
