package dev.alteran.pds.store;

import java.nio.file.Path;

/**
 * A test's own database in either dialect: a SQLite file under a test directory, or a fresh database on
 * the tests' PostgreSQL server ({@link TestPostgres}). {@link #open()} again reopens the same one.
 * The store suites run once per dialect with {@code @ParameterizedClass @EnumSource(Dialect.class)}.
 */
public record TestDatabase(Dialect dialect, Path file, PostgresUrl url) {
    public static TestDatabase create(Dialect dialect, Path dir) {
        return dialect == Dialect.SQLITE
                ? new TestDatabase(dialect, dir.resolve("test.sqlite"), null)
                : new TestDatabase(dialect, null, TestPostgres.freshDatabase());
    }

    public Database open() {
        return dialect == Dialect.SQLITE ? Database.openSqlite(file) : Database.openPostgres(url);
    }
}
