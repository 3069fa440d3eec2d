package dev.alteran.server;

import dev.alteran.pds.Databases;
import dev.alteran.pds.blob.BlobCollector;
import dev.alteran.pds.blob.BlobStore;
import dev.alteran.pds.blob.Blobs;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.config.ConfigSources;
import dev.alteran.pds.config.Durations;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code alteran blobs ...}: blob maintenance on the configured data directory. */
@Command(name = "blobs", mixinStandardHelpOptions = true, description = "Blob maintenance.",
        subcommands = {BlobsCommand.Gc.class})
final class BlobsCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    @Command(name = "gc", mixinStandardHelpOptions = true,
            description = {"Delete blobs no record has used for longer than the grace period, and uploads abandoned by a crash.",
                    "Safe beside a running server on the same data: blobs uploaded or released within the grace period are kept."})
    static final class Gc implements Callable<Integer> {
        @Option(names = "--env-file", description = "A KEY=VALUE file read before the environment (environment wins).")
        Path envFile;

        @Option(names = "--data", description = "The data directory (default: PDS_DATA_DIR).")
        Path data;

        @Option(names = "--grace", defaultValue = "1h", converter = DurationConverter.class,
                description = "Keep blobs unreferenced for less than this: 90s, 30m, 1h, 2d or 0 (default: ${DEFAULT-VALUE}).")
        Duration grace;

        @Override
        public Integer call() {
            var values = ConfigSources.merge(envFile, System.getenv());
            if (data != null) values.put("PDS_DATA_DIR", data.toString());
            var config = Config.from(values);
            // Only the storage options matter here: no account secrets are needed to collect garbage.
            DataOptions.requireBlobStorage(config);
            try (var db = Databases.open(config);
                 var store = BlobStore.open(config)) {
                var blobs = new Blobs(db, store, config.allowedMime(), config.maxBlobSize(), config.blobQuotaBytes(), Clock.systemUTC());
                var result = new BlobCollector(db, blobs, Clock.systemUTC()).collectGarbage(grace);
                System.out.printf("deleted %d blobs (%d bytes), %d abandoned uploads%n",
                        result.deletedBlobs(), result.deletedBytes(), result.abandonedUploads());
            }
            return 0;
        }
    }

    /** {@code 0}, {@code <n>s|m|h|d}, or an ISO-8601 duration such as {@code PT1H} (see {@link Durations}). */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Durations.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
