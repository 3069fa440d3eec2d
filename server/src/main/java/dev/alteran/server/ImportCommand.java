package dev.alteran.server;

import dev.alteran.pds.Databases;
import dev.alteran.atproto.data.Cid;
import dev.alteran.pds.blob.BlobStore;
import dev.alteran.pds.blob.BlobReferences;
import dev.alteran.pds.blob.Blobs;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.store.AccountStatus;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.RecordIndex;
import dev.alteran.pds.store.RepoImport;
import dev.alteran.pds.store.SequenceLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code alteran import}: a repository CAR (and optionally its blobs) into an empty PDS. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Import a repository CAR (an `alteran export`, or another PDS's com.atproto.sync.getRepo) into this PDS,",
                "whose repository must have no records yet. Stop the server first.",
                "Every block is checked against its CID, the commit must be for PDS_DID and signed by REPO_SIGNING_KEY,",
                "the MST must be well-formed: all or nothing, in one transaction. Blobs the records use can then be",
                "stored from a directory (--blobs); `com.atproto.repo.listMissingBlobs` lists those still missing."})
final class ImportCommand implements Callable<Integer> {
    @Mixin
    DataOptions data;

    @Parameters(index = "0", paramLabel = "FILE", description = "The repository CAR file.")
    Path car;

    @Option(names = "--blobs", paramLabel = "DIR", description = "Store the missing blobs found in DIR (files named by CID, as `export --blobs` writes).")
    Path blobsDir;

    @Option(names = "--resign", description = {"Accept a commit signed by another key (moving from a PDS that held the account's key):",
            "everything else is checked, and the imported tree gets a new commit signed by REPO_SIGNING_KEY."})
    boolean resign;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(car)) throw new IllegalArgumentException("no such file: " + car);
        var config = data.repoConfig();
        if (blobsDir != null) {
            DataOptions.requireBlobStorage(config);
        }
        var out = spec.commandLine().getOut();
        try (var lock = Databases.lock(config, "alteran import"); var db = Databases.open(config)) {
            var sequence = new SequenceLog(db);
            var account = new AccountStatus(db, config.did(), sequence, () -> null);
            boolean movingIn = account.startIfMovingIn();
            long start = System.nanoTime();
            RepoImport.Result result;
            try (var progress = ConsoleProgress.on(spec.commandLine().getErr())) {
                result = resign
                        ? RepoImport.resignedInto(db, config.did(), config.signingKey(), sequence, account.isActive(), car, progress)
                        : RepoImport.into(db, config.did(), config.signingKey().publicKey(), sequence, account.isActive(), car, progress);
            }
            out.printf(Locale.ROOT, "imported %s (rev %s): %,d records, %,d blocks, %,d blob references in %.1f s%n", result.commit(),
                    result.rev(), result.records(), result.blocks(), result.blobRefs(), (System.nanoTime() - start) / 1e9);
            if (movingIn) {
                out.println("the account is deactivated, as an account moving in starts: activate it (com.atproto.server.activateAccount,"
                        + " docs/migration.md) once its DID document names this server and REPO_SIGNING_KEY");
            }
            out.flush();
            int status = 0;
            if (blobsDir != null) status = importBlobs(config, db, out);
            try (var store = BlobStore.open(config)) {
                var blobs = new Blobs(db, store, config.allowedMime(), config.maxBlobSize(), config.blobQuotaBytes(), Clock.systemUTC());
                var missing = blobs.listMissing(null, 1).size();
                if (missing > 0) out.println("some blobs the records use are not stored yet: upload them (com.atproto.repo.listMissingBlobs lists them)");
            }
            out.flush();
            return status;
        }
    }

    /** Stores each missing blob found in the directory, with the type its record declares. */
    private int importBlobs(Config config, Database db, PrintWriter out) throws IOException {
        var err = spec.commandLine().getErr();
        long stored = 0, absent = 0, refused = 0;
        var records = new RecordIndex(db, config.did());
        try (var store = BlobStore.open(config); var progress = ConsoleProgress.on(err)) {
            var blobs = new Blobs(db, store, config.allowedMime(), config.maxBlobSize(), config.blobQuotaBytes(), Clock.systemUTC());
            String cursor = null;
            while (true) {
                var page = blobs.listMissing(cursor, 500);
                if (page.isEmpty()) break;
                for (var missing : page) {
                    var file = blobsDir.resolve(missing.cid());
                    if (!Files.isRegularFile(file)) {
                        absent++;
                        continue;
                    }
                    var path = missing.recordUri().substring("at://".length()).split("/");
                    var record = records.get(path[1], path[2], null);
                    var cid = Cid.parse(missing.cid());
                    var ref = record == null ? null
                            : BlobReferences.findBlobRefs(record.value()).stream().filter(r -> r.ref().equals(cid)).findFirst().orElse(null);
                    try (var in = Files.newInputStream(file)) {
                        var uploaded = blobs.upload(in, ref == null ? null : ref.mimeType(), Files.size(file));
                        if (!uploaded.ref().equals(cid)) {
                            err.println("blob file " + file + " does not hold " + cid + " (it hashes to " + uploaded.ref() + ")");
                            refused++;
                            continue;
                        }
                    } catch (RuntimeException e) {
                        err.println("blob " + cid + " refused: " + e.getMessage());
                        refused++;
                        continue;
                    }
                    progress.update("blobs", ++stored, 0);
                }
                cursor = page.getLast().cid();
            }
        }
        out.printf(Locale.ROOT, "stored %,d blobs from %s; %,d not found there, %,d refused%n", stored, blobsDir, absent, refused);
        return refused == 0 ? 0 : 1;
    }
}
