package dev.alteran.pds;

import dev.alteran.pds.config.Config;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.DatabaseLock;
import dev.alteran.pds.store.Migrations;
import dev.alteran.pds.store.PostgresUseLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The one place that turns the configuration into a database: PostgreSQL when {@code PDS_DATABASE_URL}
 * is set, else SQLite in {@code alteran.sqlite} under the data directory. The server and every command
 * open, lock and migrate through here.
 */
public final class Databases {
    /** The SQLite file's name under the data directory. */
    public static final String SQLITE_FILE = "alteran.sqlite";

    private Databases() {}

    /** Opens the configured database (creating a SQLite file, or the schema, when there is none yet). */
    public static Database open(Config config) {
        var pg = config.postgres();
        return pg != null ? Database.openPostgres(pg) : Database.openSqlite(sqliteFile(config));
    }

    /** Opens the configured database for a command that only works on existing data: a SQLite file must exist already. */
    public static Database openExisting(Config config) {
        requireExisting(config);
        return open(config);
    }

    /** Fails unless the configured database exists: a SQLite file must be there (a PostgreSQL database always is). */
    public static void requireExisting(Config config) {
        if (config.postgres() != null) return;
        var file = sqliteFile(config);
        if (!Files.exists(file)) throw new IllegalStateException("no Alteran database at " + file + " (set --data or PDS_DATA_DIR)");
    }

    /**
     * Exclusive use of the database by {@code holder}, for commands that replace the repository under
     * a server (import, the database copies): SQLite's file lock, or PostgreSQL's use lock taken
     * exclusively ({@link PostgresUseLock}), which fails while any instance serves the database, saying
     * how many do.
     */
    public static Lock lock(Config config, String holder) {
        var pg = config.postgres();
        if (pg != null) return PostgresUseLock.exclusive(pg, holder)::close;
        return DatabaseLock.acquire(sqliteFile(config), holder)::close;
    }

    /**
     * What {@code alteran serve} holds while it runs, so that {@link #lock} fails meanwhile: SQLite's file
     * lock (one server per file). On PostgreSQL, where instances share the database, nothing here: every
     * instance holds the use lock shared on its LISTEN connection from its start ({@code SeqTailer}), and
     * fails to start while a command holds it.
     */
    public static Lock lockToServe(Config config) {
        if (config.postgres() != null) return () -> {};
        return DatabaseLock.acquire(sqliteFile(config), "a running Alteran server")::close;
    }

    /** A held {@link #lock}; closing releases it. */
    @FunctionalInterface
    public interface Lock extends AutoCloseable {
        @Override
        void close();
    }

    /** The migrations the configured database still lacks, without applying them. */
    public static List<Migrations.Migration> pending(Config config) {
        var pg = config.postgres();
        return pg != null ? Migrations.pending(pg) : Migrations.pending(sqliteFile(config));
    }

    /** Applies the pending migrations to the configured database; returns those applied. */
    public static List<Migrations.Migration> migrate(Config config) {
        try (var db = open(config)) {
            return db.appliedAtOpen();
        }
    }

    /** The SQLite file, or the PostgreSQL database, server and user (never the password), for messages. */
    public static String describe(Config config) {
        var pg = config.postgres();
        return pg != null ? "PostgreSQL " + pg.describe() : sqliteFile(config).toString();
    }

    public static Path sqliteFile(Config config) {
        return config.dataDir().resolve(SQLITE_FILE);
    }
}
