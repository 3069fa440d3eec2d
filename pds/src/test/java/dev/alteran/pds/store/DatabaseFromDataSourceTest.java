package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** A host's DataSource (Spring Boot's, say) names the database; its URL decides how it is opened. */
class DatabaseFromDataSourceTest {
    private static SQLiteDataSource source(String url) {
        var ds = new SQLiteDataSource();
        ds.setUrl(url);
        return ds;
    }

    @Test
    void aSqliteSourceNamesTheFileThePdsOpens(@TempDir Path dir) throws Exception {
        var file = dir.resolve("host.sqlite");
        try (var db = Database.open(source("jdbc:sqlite:" + file + "?foreign_keys=on"))) {
            assertThat(db.appliedAtOpen()).isNotEmpty();
            assertThat(db.isHealthy()).isTrue();
        }
        try (var c = source("jdbc:sqlite:" + file).getConnection(); var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM repo_root")) {
            assertThat(rs.next()).isTrue(); // the schema is in the host's file
        }
    }

    @Test
    void aPostgresHikariSourceLendsItsUrlAndLogin() throws Exception {
        var url = TestPostgres.emptyDatabase();
        var host = new com.zaxxer.hikari.HikariConfig();
        host.setJdbcUrl(url.jdbcUrl());
        host.setUsername(url.user());
        host.setPassword(url.password());
        try (var hostPool = new com.zaxxer.hikari.HikariDataSource(host)) {
            try (var db = Database.open(hostPool)) {
                assertThat(db.dialect()).isEqualTo(Dialect.POSTGRES);
                assertThat(db.appliedAtOpen()).isNotEmpty();
                assertThat(db.isHealthy()).isTrue();
            }
            try (var c = hostPool.getConnection(); var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM repo_root")) {
                assertThat(rs.next()).isTrue(); // the schema is in the host's database, and its pool still works
            }
        }
    }

    @Test
    void anInMemorySqliteSourceIsRefused() {
        assertThatThrownBy(() -> Database.open(source("jdbc:sqlite::memory:")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("in-memory");
    }
}
