package dev.alteran.pds.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The embedded SQLite database: WAL with {@code synchronous=NORMAL}, one writer connection that
 * serializes commits (SQLite has one writer anyway; queuing here avoids SQLITE_BUSY), and a small
 * read-only pool that reads concurrently with the writer.
 */
public final class Database implements AutoCloseable {
    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    private final Connection writer;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final HikariDataSource readers;
    private final javax.sql.DataSource streamSource;
    private List<Migrations.Migration> appliedAtOpen = List.of();

    private Database(Connection writer, HikariDataSource readers, javax.sql.DataSource streamSource) {
        this.writer = writer;
        this.readers = readers;
        this.streamSource = streamSource;
    }

    public static Database openSqlite(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory for " + file, e);
        }
        SqliteNativeLibrary.useCopyIn(file.toAbsolutePath().getParent().resolve("native"));
        var url = "jdbc:sqlite:" + file.toAbsolutePath();
        var writeSource = dataSource(url, false);
        var applied = Migrations.apply(writeSource);
        try {
            var writer = writeSource.getConnection();
            writer.setAutoCommit(false);
            var readSource = dataSource(url, true);
            var pool = new HikariConfig();
            pool.setDataSource(readSource);
            pool.setMaximumPoolSize(4);
            pool.setPoolName("alteran-read");
            pool.setReadOnly(true);
            var db = new Database(writer, new HikariDataSource(pool), readSource);
            db.appliedAtOpen = applied;
            return db;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the database " + file, e);
        }
    }

    private static SQLiteDataSource dataSource(String url, boolean readOnly) {
        var cfg = new SQLiteConfig();
        cfg.setJournalMode(SQLiteConfig.JournalMode.WAL);
        cfg.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        cfg.setBusyTimeout(10_000);
        cfg.enforceForeignKeys(true);
        cfg.setReadOnly(readOnly);
        var ds = new SQLiteDataSource(cfg);
        ds.setUrl(url);
        return ds;
    }

    /** The schema migrations this open applied (empty when the schema was current). */
    public List<Migrations.Migration> appliedAtOpen() {
        return appliedAtOpen;
    }

    /** Runs {@code work} in one transaction on the writer: all of it commits, or none of it. */
    public <T> T write(SqlWork<T> work) {
        writeLock.lock();
        try {
            try {
                T result = work.run(writer);
                writer.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(e);
                throw e instanceof RuntimeException r ? r : new StoreException(e);
            }
        } finally {
            writeLock.unlock();
        }
    }

    public <T> T read(SqlWork<T> work) {
        try (var c = readers.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new StoreException(e);
        }
    }

    /**
     * Runs {@code work} in one read transaction (one consistent snapshot across its queries) on a
     * connection of its own, not one of the pool: for long streamed responses such as
     * {@code sync.getRepo}, where a slow client must not hold a pooled connection.
     */
    public <T> T readSnapshot(SqlWork<T> work) {
        try (var c = streamSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                return work.run(c);
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw new StoreException(e);
        }
    }

    /** For /health: the database answers a query. */
    public boolean isHealthy() {
        try {
            return read(c -> {
                try (var st = c.createStatement(); var rs = st.executeQuery("SELECT 1")) {
                    return rs.next();
                }
            });
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void rollbackQuietly(Exception cause) {
        try {
            writer.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    @Override
    public void close() {
        writeLock.lock();
        try {
            readers.close();
            writer.close();
        } catch (SQLException e) {
            throw new StoreException(e);
        } finally {
            writeLock.unlock();
        }
    }
}
