package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite database: all-or-nothing writes, and checkpoints that happen off the writer. */
class DatabaseTest {
    @TempDir
    Path dir;

    @Test
    void openingLeavesTheJvmsSqlitePropertiesAndTheDataDirectoryAlone() {
        // An embedding application may use SQLite itself: the library must not redirect its driver.
        var path = System.getProperty("org.sqlite.lib.path");
        var name = System.getProperty("org.sqlite.lib.name");
        try (var db = Database.openSqlite(dir.resolve("db.sqlite"))) {
            assertThat(System.getProperty("org.sqlite.lib.path")).isEqualTo(path);
            assertThat(System.getProperty("org.sqlite.lib.name")).isEqualTo(name);
            assertThat(dir.resolve("native")).doesNotExist();
        }
    }

    @Test
    void committedWritesReachTheDatabaseFileWithoutTheWriterCheckpointing() throws Exception {
        var file = dir.resolve("db.sqlite");
        try (var db = Database.openSqlite(file)) {
            long before = Files.size(file);
            // 2 MB: far below the writer's own automatic checkpoint, so only the checkpointer moves it.
            db.write(DatabaseTest::insertTwoMegabytes);
            assertReachesTheFile(file, before);
        }
    }

    /**
     * A bulk write (an import) commits without the writer's own automatic checkpoint, which its size would
     * cross; the checkpointer copies it back; the writer's threshold is back for the next write, whether
     * the bulk write committed or failed.
     */
    @Test
    void aBulkWriteLeavesItsCheckpointToTheCheckpointerAndRestoresTheWritersOwn() throws Exception {
        var file = dir.resolve("db.sqlite");
        try (var db = Database.openSqlite(file)) {
            long before = Files.size(file);
            int writers = db.write(DatabaseTest::autocheckpoint);
            assertThat(writers).isPositive();
            int during = db.writeBulk(c -> {
                insertTwoMegabytes(c);
                return autocheckpoint(c);
            });
            assertThat(during).isZero();
            assertThat(db.write(DatabaseTest::autocheckpoint)).isEqualTo(writers);
            assertThatThrownBy(() -> db.writeBulk(c -> {
                throw new IllegalStateException("refused");
            })).hasMessage("refused");
            assertThat(db.write(DatabaseTest::autocheckpoint)).isEqualTo(writers);
            assertReachesTheFile(file, before);
        }
    }

    /** A 2 MB preference row. */
    private static int insertTwoMegabytes(java.sql.Connection c) throws java.sql.SQLException {
        try (var st = c.prepareStatement("INSERT INTO preference (name, value_json) VALUES (?, ?)")) {
            st.setString(1, "big");
            st.setString(2, "x".repeat(2_000_000));
            return st.executeUpdate();
        }
    }

    /** Waits (up to 10 s) until the database file has grown by most of that row since it was {@code before} bytes. */
    private static void assertReachesTheFile(Path file, long before) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (Files.size(file) < before + 1_500_000 && System.currentTimeMillis() < deadline) Thread.sleep(20);
        assertThat(Files.size(file)).isGreaterThan(before + 1_500_000);
    }

    private static int autocheckpoint(java.sql.Connection c) throws java.sql.SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery("PRAGMA wal_autocheckpoint")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /**
     * A write transaction holds the write lock from its start: another connection (another process)
     * writing meanwhile waits, rather than committing under the transaction's first read and making
     * its first write fail with SQLITE_BUSY.
     */
    @Test
    void aWriteTakesTheWriteLockBeforeItsFirstRead() throws Exception {
        var file = dir.resolve("db.sqlite");
        try (var db = Database.openSqlite(file); var other = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file)) {
            try (var st = other.createStatement()) {
                st.execute("PRAGMA busy_timeout=0");
            }
            db.write(c -> {
                try (var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*) FROM preference")) {
                    rs.next();
                }
                try (var st = other.createStatement()) {
                    assertThatThrownBy(() -> st.executeUpdate("INSERT INTO preference (name, value_json) VALUES ('other', '{}')"))
                            .hasMessageContaining("SQLITE_BUSY");
                }
                try (var st = c.createStatement()) {
                    return st.executeUpdate("INSERT INTO preference (name, value_json) VALUES ('ours', '{}')");
                }
            });
            try (var st = other.createStatement()) {
                assertThat(st.executeUpdate("INSERT INTO preference (name, value_json) VALUES ('other', '{}')")).isEqualTo(1);
            }
        }
    }

    @Test
    void aFailedWriteLeavesNothingAndTheNextOneWorks() {
        try (var db = Database.openSqlite(dir.resolve("db.sqlite"))) {
            assertThatThrownBy(() -> db.write(c -> {
                try (var st = c.createStatement()) {
                    st.executeUpdate("INSERT INTO preference (name, value_json) VALUES ('a', '{}')");
                }
                throw new IllegalStateException("refused");
            })).hasMessage("refused");
            db.write(c -> {
                try (var st = c.createStatement()) {
                    return st.executeUpdate("INSERT INTO preference (name, value_json) VALUES ('b', '{}')");
                }
            });
            var names = db.read(c -> {
                try (var st = c.createStatement(); var rs = st.executeQuery("SELECT group_concat(name) FROM preference")) {
                    rs.next();
                    return rs.getString(1);
                }
            });
            assertThat(names).isEqualTo("b");
        }
    }
}
