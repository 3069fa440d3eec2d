package dev.alteran.server;

import dev.alteran.pds.Databases;
import dev.alteran.pds.blob.BlobCollector;
import dev.alteran.pds.blob.BlobStore;
import dev.alteran.pds.blob.Blobs;
import dev.alteran.pds.store.RepoGc;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code alteran gc}: orphaned repository blocks, then orphaned blobs. */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = {"Remove repository blocks the head commit no longer reaches (commits already drop what they replace;",
                "this removes any leftovers), then blobs no record has used for longer than the grace period",
                "(as `alteran blobs gc`). Safe while the server runs; a damaged repository stops it before anything is deleted."})
final class GcCommand implements Callable<Integer> {
    @Mixin
    DataOptions data;

    @Option(names = "--dry-run", description = "Count the unreachable blocks without deleting them; blobs are left alone.")
    boolean dryRun;

    @Option(names = "--grace", defaultValue = "1h", converter = BlobsCommand.DurationConverter.class,
            description = "Keep blobs unreferenced for less than this: 90s, 30m, 1h, 2d or 0 (default: ${DEFAULT-VALUE}).")
    Duration grace;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var config = data.config();
        DataOptions.requireBlobStorage(config);
        var out = spec.commandLine().getOut();
        try (var db = Databases.openExisting(config)) {
            RepoGc.Result blocks;
            try (var progress = ConsoleProgress.on(spec.commandLine().getErr())) {
                blocks = RepoGc.collect(db, dryRun, progress);
            }
            out.printf(Locale.ROOT, "blocks: %s %,d unreachable (%,d bytes), %,d reachable kept%n",
                    dryRun ? "would remove" : "removed", blocks.deletedBlocks(), blocks.deletedBytes(), blocks.keptBlocks());
            if (!dryRun) {
                try (var store = BlobStore.open(config)) {
                    var blobs = new Blobs(db, store, config.allowedMime(), config.maxBlobSize(), config.blobQuotaBytes(), Clock.systemUTC());
                    var result = new BlobCollector(db, blobs, Clock.systemUTC()).collectGarbage(grace);
                    out.printf(Locale.ROOT, "blobs: removed %,d (%,d bytes), %,d abandoned uploads%n",
                            result.deletedBlobs(), result.deletedBytes(), result.abandonedUploads());
                }
            }
        }
        out.flush();
        return 0;
    }
}
