package dev.alteran.server;

import dev.alteran.pds.Databases;
import dev.alteran.pds.store.SequenceLog;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code alteran prune}: the firehose event log beyond its retention. */
@Command(name = "prune", mixinStandardHelpOptions = true,
        description = {"Delete firehose events (the sequencer log) older than the newest --keep. The server also trims the log",
                "to PDS_SEQ_RETENTION as it writes; this does it at once, or to another size. A subscriber whose cursor is older",
                "than what is kept is told so (OutdatedCursor) and resynchronizes. Safe while the server runs."})
final class PruneCommand implements Callable<Integer> {
    @Mixin
    DataOptions data;

    @Option(names = "--keep", paramLabel = "N", description = "Events to keep (default: PDS_SEQ_RETENTION, itself 10,000 by default).")
    Long keep;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var config = data.config();
        long n = keep != null ? keep : config.seqRetention();
        if (n < 1) throw new IllegalArgumentException("--keep must be at least 1");
        var out = spec.commandLine().getOut();
        try (var db = Databases.openExisting(config)) {
            var log = new SequenceLog(db);
            long deleted = log.prune(n);
            long first = log.firstSeq(), last = log.lastSeq();
            out.printf(Locale.ROOT, "deleted %,d events; kept %,d (seq %d to %d)%n", deleted, last == 0 ? 0 : last - first + 1, first, last);
        }
        out.flush();
        return 0;
    }
}
