package dev.alteran.pds.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The schema migrations (Flyway, {@code db/migration/sqlite} and {@code db/migration/postgres} on the
 * classpath, twins with the same version numbers). {@link Database#openSqlite} and
 * {@link Database#openPostgres} apply them on every open ({@link Database#appliedAtOpen()} says which);
 * {@link #pending(Path)} lists what an open would apply without applying it.
 */
public final class Migrations {
    private Migrations() {}

    /** One migration script: its version, description and script file name. */
    public record Migration(String version, String description, String script) {
        static Migration of(MigrationInfo info) {
            return new Migration(info.getVersion().getVersion(), info.getDescription(), info.getScript());
        }
    }

    /**
     * Applies the pending migrations through {@code dataSource}; returns those applied, in order. One
     * Flyway run (it validates the applied ones first): asking {@code info()} for the pending ones
     * beforehand would scan the scripts and read the history a second time at every start.
     */
    static List<Migration> apply(DataSource dataSource, Dialect dialect) {
        var applied = new ArrayList<Migration>();
        Flyway.configure().dataSource(dataSource).locations(dialect.migrations()).callbacks(new Callback() {
            @Override
            public boolean supports(Event event, Context context) {
                return event == Event.AFTER_EACH_MIGRATE;
            }

            @Override
            public boolean canHandleInTransaction(Event event, Context context) {
                return true;
            }

            @Override
            public void handle(Event event, Context context) {
                applied.add(Migration.of(context.getMigrationInfo()));
            }

            @Override
            public String getCallbackName() {
                return "alteran-applied";
            }
        }).load().migrate();
        return List.copyOf(applied);
    }

    /**
     * The migrations the database file still lacks, in the order they would run, without changing it:
     * every migration when the file does not exist yet (it is not created).
     */
    public static List<Migration> pending(Path file) {
        var cfg = new SQLiteConfig();
        cfg.setReadOnly(true);
        var ds = new SQLiteDataSource(cfg);
        ds.setUrl(Files.exists(file) ? "jdbc:sqlite:" + file.toAbsolutePath() : "jdbc:sqlite::memory:");
        return Arrays.stream(flyway(ds, Dialect.SQLITE).info().pending()).map(Migration::of).toList();
    }

    /** The migrations the PostgreSQL database still lacks, in the order they would run, without changing it. */
    public static List<Migration> pending(PostgresUrl url) {
        var ds = url.dataSource(true, 0);
        url.probe(ds);
        return Arrays.stream(flyway(ds, Dialect.POSTGRES).info().pending()).map(Migration::of).toList();
    }

    /** Every migration this build knows, applied or not (the same versions in both dialects). */
    public static List<Migration> all() {
        var ds = new SQLiteDataSource();
        ds.setUrl("jdbc:sqlite::memory:");
        return Arrays.stream(flyway(ds, Dialect.SQLITE).info().all()).map(Migration::of).toList();
    }

    private static Flyway flyway(DataSource dataSource, Dialect dialect) {
        return Flyway.configure().dataSource(dataSource).locations(dialect.migrations()).load();
    }
}
