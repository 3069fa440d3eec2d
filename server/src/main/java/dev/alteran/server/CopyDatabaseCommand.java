package dev.alteran.server;

import dev.alteran.pds.Databases;
import dev.alteran.pds.config.ConfigException;
import dev.alteran.pds.store.DatabaseCopy;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code alteran copy-to-postgres} and {@code copy-to-sqlite}: an install moved between the two
 * databases whole (repository, sequencer log, sessions, OAuth state, everything), into an empty target,
 * in one transaction. Blobs stay where they are: the blob store is configured apart.
 */
abstract class CopyDatabaseCommand implements Callable<Integer> {
    @Mixin
    DataOptions data;

    @Spec
    CommandSpec spec;

    /** The URL given on the command line, else PDS_DATABASE_URL (or its _FILE). */
    abstract String url();

    abstract boolean toPostgres();

    @Override
    public Integer call() {
        var config = data.config();
        var url = url() != null ? url() : config.databaseUrl();
        if (url == null) {
            throw new ConfigException(List.of((toPostgres() ? "--to" : "--from") + ": name the PostgreSQL database (or set PDS_DATABASE_URL)"));
        }
        var sqlite = config.toBuilder().databaseUrl(null).build();
        var postgres = config.toBuilder().databaseUrl(url).build();
        var source = toPostgres() ? sqlite : postgres;
        var target = toPostgres() ? postgres : sqlite;
        if (toPostgres()) Databases.requireExisting(sqlite);
        var out = spec.commandLine().getOut();
        long start = System.nanoTime();
        // No server may run on either database meanwhile: the SQLite file's lock, and PostgreSQL's use lock (no instance serving).
        try (var lock = Databases.lock(sqlite, "alteran " + spec.name());
             var pgLock = Databases.lock(postgres, "alteran " + spec.name());
             var from = Databases.open(source);
             var to = Databases.open(target);
             var progress = ConsoleProgress.on(spec.commandLine().getErr())) {
            var result = DatabaseCopy.copy(from, to, progress);
            out.printf(Locale.ROOT, "copied %,d rows of %d tables from %s to %s in %.1f s%n", result.total(), result.rows().size(),
                    Databases.describe(source), Databases.describe(target), (System.nanoTime() - start) / 1e9);
            if (toPostgres()) out.println("set PDS_DATABASE_URL to use it; `alteran verify` checks the repository there");
            else out.println("unset PDS_DATABASE_URL to use it; `alteran verify` checks the repository there");
        }
        out.flush();
        return 0;
    }

    @Command(name = "copy-to-postgres", mixinStandardHelpOptions = true,
            description = {"Copy this install's SQLite database (under --data) into an empty PostgreSQL database, in one transaction.",
                    "Stop the server first. Blobs are not copied: they stay in the configured blob store."})
    static final class ToPostgres extends CopyDatabaseCommand {
        @Option(names = "--to", paramLabel = "URL",
                description = "postgres://USER:PASSWORD@HOST:PORT/DATABASE or jdbc:postgresql:... (default: PDS_DATABASE_URL).")
        String to;

        @Override
        String url() {
            return to;
        }

        @Override
        boolean toPostgres() {
            return true;
        }
    }

    @Command(name = "copy-to-sqlite", mixinStandardHelpOptions = true,
            description = {"Copy a PostgreSQL database into an empty SQLite database under --data, in one transaction.",
                    "Stop the servers first. Blobs are not copied: they stay in the configured blob store."})
    static final class ToSqlite extends CopyDatabaseCommand {
        @Option(names = "--from", paramLabel = "URL",
                description = "postgres://USER:PASSWORD@HOST:PORT/DATABASE or jdbc:postgresql:... (default: PDS_DATABASE_URL).")
        String from;

        @Override
        String url() {
            return from;
        }

        @Override
        boolean toPostgres() {
            return false;
        }
    }
}
