package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Flyway runs at an open only when this build's scripts differ from those the SQLite file last saw. */
class MigrationsTest {
    @Test
    void theListedScriptsAreTheFoldersOfBothDialects() throws Exception {
        for (var folder : List.of("db/migration/sqlite", "db/migration/postgres")) {
            var dir = Path.of(Migrations.class.getClassLoader().getResource(folder).toURI());
            try (var files = Files.list(dir)) {
                assertThat(files.map(f -> f.getFileName().toString())).as(folder).containsExactlyInAnyOrderElementsOf(Migrations.SCRIPTS);
            }
        }
        assertThat(Migrations.all().stream().map(Migrations.Migration::script)).containsExactlyElementsOf(Migrations.SCRIPTS);
    }

    @Test
    void aRestartWithTheSameScriptsSkipsFlywayAndAnyOtherFingerprintRunsIt(@TempDir Path dir) throws Exception {
        var file = dir.resolve("a.sqlite");
        try (var db = Database.openSqlite(file)) {
            assertThat(db.appliedAtOpen()).hasSameSizeAs(Migrations.SCRIPTS);
        }
        int fingerprint = Migrations.fingerprint(Dialect.SQLITE);
        assertThat(userVersion(file)).isEqualTo(fingerprint);

        // The newest migrations undone behind Flyway's back: with the same fingerprint the open does not look.
        undoNewest(file);
        try (var db = Database.openSqlite(file)) {
            assertThat(db.appliedAtOpen()).isEmpty();
        }
        assertThat(tableExists(file, "job_lease")).isFalse();

        // Scripts that differ from the file's (a new, changed or removed one): Flyway runs and applies what is missing.
        exec(file, "PRAGMA user_version = " + (fingerprint + 1));
        try (var db = Database.openSqlite(file)) {
            assertThat(db.appliedAtOpen()).extracting(Migrations.Migration::script)
                    .containsExactlyElementsOf(Migrations.SCRIPTS.subList(Migrations.SCRIPTS.size() - 2, Migrations.SCRIPTS.size()));
        }
        assertThat(tableExists(file, "job_lease")).isTrue();
        assertThat(userVersion(file)).isEqualTo(fingerprint);
    }

    @Test
    void aChangedScriptIsStillRefusedByFlyway(@TempDir Path dir) throws Exception {
        var file = dir.resolve("b.sqlite");
        try (var db = Database.openSqlite(file)) {
            assertThat(db.isHealthy()).isTrue();
        }
        // As if the build's V1 differed from the one applied: the fingerprint differs, and Flyway's validation refuses.
        exec(file, "UPDATE flyway_schema_history SET checksum = checksum + 1 WHERE version = '1'");
        exec(file, "PRAGMA user_version = 7");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Database.openSqlite(file).close())
                .hasStackTraceContaining("checksum");
        assertThat(userVersion(file)).isEqualTo(7);
    }

    private static void undoNewest(Path file) throws Exception {
        exec(file, "DROP TABLE job_lease");
        exec(file, "DELETE FROM flyway_schema_history WHERE version IN ('14', '15')"); // V15 changes nothing on SQLite
    }

    private static boolean tableExists(Path file, String table) throws Exception {
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file);
             var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '" + table + "'")) {
            return rs.next() && rs.getInt(1) == 1;
        }
    }

    private static int userVersion(Path file) throws Exception {
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file); var rs = c.createStatement().executeQuery("PRAGMA user_version")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    private static void exec(Path file, String sql) throws Exception {
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file); var st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
