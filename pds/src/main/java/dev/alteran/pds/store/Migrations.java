package dev.alteran.pds.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
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
 *
 * <p>On SQLite a restart skips Flyway when nothing changed: loading it, finding and parsing the scripts and
 * validating the history took a fifth of a restart's main-thread time. After each Flyway run the file keeps a
 * fingerprint of this build's scripts (names and contents) in SQLite's {@code user_version} header field; an
 * open whose scripts have the same fingerprint has nothing to apply or to validate. A new, changed or removed
 * script changes the fingerprint, and Flyway runs as before (it applies, or refuses a changed checksum).
 */
public final class Migrations {
    /** The scripts of each dialect's folder, the same names in both ({@code MigrationsTest} checks them against the folders). */
    static final List<String> SCRIPTS = List.of("V1__repo.sql", "V2__auth.sql", "V3__identity.sql", "V4__blobs.sql", "V5__preferences.sql",
            "V6__rate_limit.sql", "V7__account_status.sql", "V8__plc_operation_token.sql", "V9__oauth_replay.sql", "V10__oauth.sql",
            "V13__app_password_order.sql", "V14__job_lease.sql",
            "V15__seq_event_inline.sql");

    private Migrations() {}

    /**
     * {@link #apply} for a SQLite file, skipped when the file's {@code user_version} holds the fingerprint of
     * these scripts; sets it after Flyway ran.
     */
    static List<Migration> applySqlite(DataSource dataSource) {
        int fingerprint = fingerprint(Dialect.SQLITE);
        try {
            if (userVersion(dataSource) == fingerprint) return List.of();
            var applied = apply(dataSource, Dialect.SQLITE);
            try (var c = dataSource.getConnection(); var st = c.createStatement()) {
                st.execute("PRAGMA user_version = " + fingerprint);
            }
            return applied;
        } catch (SQLException e) {
            throw new StoreException(e);
        }
    }

    /** The {@code user_version} of the SQLite file (0 for a new one). */
    static int userVersion(DataSource dataSource) throws SQLException {
        try (var c = dataSource.getConnection(); var st = c.createStatement(); var rs = st.executeQuery("PRAGMA user_version")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    /** The first four bytes of a SHA-256 over this build's scripts of {@code dialect}, never 0 (a new file's value). */
    static int fingerprint(Dialect dialect) {
        try {
            var sha = MessageDigest.getInstance("SHA-256");
            var folder = dialect.migrations().replaceFirst("^classpath:", "");
            for (var script : SCRIPTS) {
                try (var in = Migrations.class.getClassLoader().getResourceAsStream(folder + "/" + script)) {
                    if (in == null) throw new IllegalStateException("missing migration " + folder + "/" + script);
                    sha.update(script.getBytes(StandardCharsets.UTF_8));
                    sha.update((byte) 0);
                    sha.update(in.readAllBytes());
                    sha.update((byte) 0);
                }
            }
            var d = sha.digest();
            int v = (d[0] & 0xff) << 24 | (d[1] & 0xff) << 16 | (d[2] & 0xff) << 8 | (d[3] & 0xff);
            return v != 0 ? v : 1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

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
