package dev.alteran.pds.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The database, SQLite or PostgreSQL ({@link Dialect}): one writer that serializes this process's
 * write transactions (each begins by taking the database's write lock, so other processes' writers
 * wait too), and a small read pool that reads concurrently with it.
 *
 * <p>SQLite: WAL with {@code synchronous=NORMAL}, one writer connection kept open (SQLite has one writer
 * anyway; queuing here avoids SQLITE_BUSY). Checkpoints (copying the WAL back into the database file,
 * with its fsyncs) run on a thread of their own rather than inside whichever commit crosses SQLite's
 * threshold: a commit then only appends to the WAL, and the single writer, which every repository
 * write waits for, is free sooner. SQLite lets a passive checkpoint run beside the writer; the writer
 * keeps a large automatic checkpoint as a safety net should this thread ever fall behind.
 *
 * <p>PostgreSQL: the writer is a pool of one connection, borrowed per transaction, so that a connection
 * the server dropped is replaced instead of failing every later write.
 */
public final class Database implements AutoCloseable {
    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    private static final Logger log = LoggerFactory.getLogger(Database.class);
    /** How often the checkpointer looks for committed writes to copy back. */
    private static final long CHECKPOINT_INTERVAL_MS = 100;
    /** The writer's own automatic checkpoint, in pages, for when the checkpointer falls behind (about 32 MB). */
    private static final int WRITER_AUTOCHECKPOINT_PAGES = 8_000;
    /** SQLite's page cache per read connection, in KiB (negative cache_size); its default is 2,000. */
    private static final int READER_CACHE_KIB = 8_192;
    /** PostgreSQL: rows a streamed read fetches per round trip (without it the driver reads the whole result first). */
    private static final int STREAM_FETCH_SIZE = 256;
    /** PostgreSQL: connections for {@link #writeOutsideWriter} (a few: each runs one short statement). */
    private static final int COUNTER_POOL_SIZE = 4;

    private final Dialect dialect;
    private final String name;
    private final Connection sqliteWriter; // SQLite: the one writer connection
    private final HikariDataSource writePool; // PostgreSQL: the writer's pool of one
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Connection checkpointer; // SQLite only
    private final ScheduledExecutorService checkpoints; // SQLite only
    private volatile boolean uncheckpointed;
    /** The last checkpoint failed (a full disk fails every one): logged once, not ten times a second. */
    private boolean checkpointFailing;
    private final StatementCache statements = new StatementCache();
    private final HikariDataSource readers;
    private HikariDataSource counters; // PostgreSQL: autocommit connections for writes outside the writer
    private final javax.sql.DataSource streamSource;
    private List<Migrations.Migration> appliedAtOpen = List.of();
    private Path wal;
    private javax.sql.DataSource listenSource; // PostgreSQL only
    /** This open database's own name among the instances sharing the database (the payload of its notifications, {@link SeqTailer}). */
    private final String instanceId = java.util.HexFormat.of().toHexDigits(java.util.concurrent.ThreadLocalRandom.current().nextLong());

    private Database(Dialect dialect, String name, Connection sqliteWriter, HikariDataSource writePool, Connection checkpointer,
                     HikariDataSource readers, javax.sql.DataSource streamSource) {
        this.dialect = dialect;
        this.name = name;
        this.sqliteWriter = sqliteWriter;
        this.writePool = writePool;
        this.checkpointer = checkpointer;
        this.readers = readers;
        this.streamSource = streamSource;
        if (checkpointer == null) {
            this.checkpoints = null;
            return;
        }
        this.checkpoints = Executors.newSingleThreadScheduledExecutor(r -> {
            var t = new Thread(r, "alteran-checkpoint");
            t.setDaemon(true);
            return t;
        });
        checkpoints.scheduleWithFixedDelay(this::checkpoint, CHECKPOINT_INTERVAL_MS, CHECKPOINT_INTERVAL_MS,
                TimeUnit.MILLISECONDS);
    }

    /** Copies committed WAL frames into the database file, without waiting for (or blocking) readers or the writer. */
    private void checkpoint() {
        if (!uncheckpointed) return;
        uncheckpointed = false;
        try (var st = checkpointer.createStatement(); var rs = st.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
            rs.next();
            if (checkpointFailing) log.info("WAL checkpoints succeed again");
            checkpointFailing = false;
        } catch (SQLException e) {
            uncheckpointed = true; // tried again next time; the writer's own checkpoint still bounds the WAL
            if (!checkpointFailing) log.warn("WAL checkpoint failed (retried until it succeeds): {}", e.toString());
            checkpointFailing = true;
        }
    }

    /**
     * Opens the database a host's {@link javax.sql.DataSource} points at; its JDBC URL decides the dialect.
     * SQLite: the source only names the file, because the PDS keeps its own tuned connections to it (one
     * writer, a read-only pool), which another pool's connections would contend with.
     */
    public static Database open(javax.sql.DataSource source) {
        String url;
        try (var c = source.getConnection()) {
            url = c.getMetaData().getURL();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to the host's database: " + e.getMessage(), e);
        }
        if (url != null && url.startsWith("jdbc:sqlite:")) {
            var file = url.substring("jdbc:sqlite:".length());
            int query = file.indexOf('?');
            if (query >= 0) file = file.substring(0, query);
            if (file.startsWith("file:")) file = file.substring("file:".length());
            if (file.isEmpty() || file.equals(":memory:") || file.contains("mode=memory")) {
                throw new IllegalArgumentException("an in-memory SQLite database cannot hold the PDS: name a file in the JDBC URL");
            }
            return openSqlite(Path.of(file));
        }
        if (url != null && url.startsWith("jdbc:postgresql:")) {
            // The PDS keeps its own pools (a writer of one, readers, a LISTEN connection) rather than
            // borrowing the host's: it takes the host's URL and login from the pool that holds them.
            if (!(source instanceof HikariDataSource hikari)) {
                throw new IllegalArgumentException("a PostgreSQL DataSource for the PDS must be a HikariDataSource (Spring Boot's default), which"
                        + " names its URL, user and password; this one is a " + source.getClass().getName());
            }
            var jdbc = hikari.getJdbcUrl();
            var login = "user=" + encode(hikari.getUsername()) + "&password=" + encode(hikari.getPassword());
            return openPostgres(PostgresUrl.parse(jdbc + (jdbc.contains("?") ? "&" : "?") + login));
        }
        throw new IllegalArgumentException("the host's database is neither SQLite nor PostgreSQL (" + (url == null ? "no URL" : url.replaceAll("[?;].*", ""))
                + ")");
    }

    private static String encode(String s) {
        return s == null ? "" : java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    public static Database openSqlite(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory for " + file, e);
        }
        var url = "jdbc:sqlite:" + file.toAbsolutePath();
        var writeSource = dataSource(url, false);
        var applied = Migrations.applySqlite(writeSource);
        try {
            var writer = writeSource.getConnection();
            autocheckpoint(writer, WRITER_AUTOCHECKPOINT_PAGES);
            writer.setAutoCommit(false);
            var checkpointer = writeSource.getConnection();
            var readSource = dataSource(url, true);
            var pool = new HikariConfig();
            pool.setDataSource(readSource);
            pool.setMaximumPoolSize(Dialect.SQLITE.readPoolSize());
            pool.setPoolName("alteran-read");
            pool.setReadOnly(true);
            var db = new Database(Dialect.SQLITE, file.toString(), writer, null, checkpointer, new HikariDataSource(pool), readSource);
            db.appliedAtOpen = applied;
            db.wal = Path.of(file.toAbsolutePath() + "-wal");
            return db;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the database " + file, e);
        }
    }

    /**
     * Opens the PostgreSQL database {@code url} names, applying the pending migrations. Failing to
     * reach it is one {@link IllegalStateException} that names the server, database and user and
     * what went wrong, never the password.
     */
    public static Database openPostgres(PostgresUrl url) {
        var direct = url.dataSource(false, 0);
        url.probe(direct);
        HikariDataSource writer = null;
        try {
            var applied = Migrations.apply(direct, Dialect.POSTGRES);
            writer = pgPool(direct, "alteran-write", 1, false, false);
            var readers = pgPool(url.dataSource(true, 0), "alteran-read", Dialect.POSTGRES.readPoolSize(), true, true);
            var db = new Database(Dialect.POSTGRES, url.describe(), null, writer, null, readers, url.dataSource(true, STREAM_FETCH_SIZE));
            db.appliedAtOpen = applied;
            db.listenSource = direct;
            // A counter's commit need not wait for its WAL flush (a flush per write request, beside the commit's
            // own): a crash may forget the last increments, which only a rate limit reads; it never corrupts.
            db.counters = pgPool(direct, "alteran-counters", COUNTER_POOL_SIZE, false, true, Dialect.POSTGRES.undurableSession());
            return db;
        } catch (RuntimeException e) {
            if (writer != null) writer.close();
            throw new IllegalStateException("cannot open PostgreSQL " + url.describe() + ": " + url.redact(String.valueOf(e.getMessage())), e);
        }
    }

    /** @param autoCommit false for the writer, whose transactions end with commit() or rollback() */
    private static HikariDataSource pgPool(javax.sql.DataSource source, String name, int size, boolean readOnly, boolean autoCommit) {
        return pgPool(source, name, size, readOnly, autoCommit, null);
    }

    /** @param initSql run once on each new connection, or null */
    private static HikariDataSource pgPool(javax.sql.DataSource source, String name, int size, boolean readOnly, boolean autoCommit,
                                           String initSql) {
        var pool = new HikariConfig();
        pool.setConnectionInitSql(initSql);
        pool.setDataSource(source);
        pool.setMaximumPoolSize(size);
        pool.setPoolName(name);
        pool.setReadOnly(readOnly);
        pool.setAutoCommit(autoCommit);
        pool.setConnectionTimeout(PostgresUrl.CONNECT_TIMEOUT_SEC * 1000L);
        return new HikariDataSource(pool);
    }

    private static SQLiteDataSource dataSource(String url, boolean readOnly) {
        var cfg = new SQLiteConfig();
        cfg.setJournalMode(SQLiteConfig.JournalMode.WAL);
        cfg.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        cfg.setBusyTimeout(10_000);
        cfg.enforceForeignKeys(true);
        cfg.setReadOnly(readOnly);
        // Each reader has a page cache of its own. Reads of records across a large repository (an index
        // leaf and a block leaf each) missed SQLite's 2 MB default often enough that a read spent about a
        // tenth of its time copying pages in from the OS.
        if (readOnly) cfg.setPragma(SQLiteConfig.Pragma.CACHE_SIZE, Integer.toString(-READER_CACHE_KIB));
        var ds = new SQLiteDataSource(cfg);
        ds.setUrl(url);
        return ds;
    }

    /**
     * Reports to {@code meters}: the read pool (HikariCP's own {@code hikaricp.*} meters, tagged with the
     * pool name) and the size of SQLite's write-ahead log, which grows when checkpoints fall behind.
     */
    public void instrument(MeterRegistry meters) {
        readers.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(meters));
        if (wal != null) {
            Gauge.builder("alteran.db.wal.size", this, Database::walBytes).baseUnit(BaseUnits.BYTES)
                    .description("Size of the SQLite write-ahead log file").register(meters);
        }
    }

    private double walBytes() {
        try {
            return Files.size(wal);
        } catch (IOException e) {
            return 0; // no log right now (between connections, or checkpointed and truncated)
        }
    }

    /** PostgreSQL: a connection of its own, outside the pools, for a {@link SeqTailer} to LISTEN on. */
    Connection listenConnection() throws SQLException {
        if (listenSource == null) throw new IllegalStateException("only PostgreSQL has notifications");
        var c = listenSource.getConnection();
        c.setAutoCommit(true);
        return c;
    }

    public Dialect dialect() {
        return dialect;
    }

    /** A random name for this open database, told apart from other instances' (a 64-bit id in hex). */
    String instanceId() {
        return instanceId;
    }

    /** The database file, or the PostgreSQL database, server and user (never the password), for messages. */
    public String name() {
        return name;
    }

    /** The schema migrations this open applied (empty when the schema was current). */
    public List<Migrations.Migration> appliedAtOpen() {
        return appliedAtOpen;
    }

    /**
     * Runs {@code work} in one transaction on the writer: all of it commits, or none of it.
     *
     * <p>It first takes the database's write lock ({@link Dialect#takeWriteLock()}), so that another
     * process's writer waits rather than interleaving. On SQLite that is a write that changes nothing, as
     * {@code BEGIN IMMEDIATE} would, waiting up to the busy timeout for another process's writer (an
     * {@code alteran} command beside the server). Without it the transaction would begin by reading,
     * and its first write would fail at once with SQLITE_BUSY if another connection committed since
     * that read (a busy timeout cannot help a stale snapshot). The driver begins each transaction itself
     * (deferred, right after the previous commit), so BEGIN IMMEDIATE is not ours to send; its IMMEDIATE
     * mode would begin eagerly and hold the lock between writes.
     */
    public <T> T write(SqlWork<T> work) {
        return write(work, true, false);
    }

    /**
     * {@link #write} for work whose first statement takes the write lock itself, in the same round trip
     * ({@link Dialect#withWriteLock}). Where the dialect cannot join them (SQLite, where the lock costs no
     * round trip) the lock is taken first as in {@link #write}.
     */
    <T> T writeLockedByFirstStatement(SqlWork<T> work) {
        return write(work, dialect.withWriteLock("") == null, false);
    }

    /**
     * {@link #write} for one very large transaction (a repository import: tens of MB). On SQLite the
     * writer's own automatic checkpoint is off for it, so its commit only appends to the WAL and the
     * checkpointer thread copies it back afterwards. Otherwise the commit crosses that threshold and the
     * writer copies the whole transaction into the database file, with its fsyncs, before it returns:
     * about 0.4 s of a 100,000-record import.
     */
    public <T> T writeBulk(SqlWork<T> work) {
        return write(work, true, true);
    }

    private <T> T write(SqlWork<T> work, boolean takeLock, boolean bulk) {
        writeLock.lock();
        try {
            Connection c;
            try {
                c = sqliteWriter != null ? sqliteWriter : writePool.getConnection();
            } catch (SQLException e) {
                throw new StoreException(e);
            }
            boolean ownCheckpointOff = bulk && c == sqliteWriter;
            try {
                if (ownCheckpointOff) autocheckpoint(c, 0);
                if (takeLock) statement(c, dialect.takeWriteLock()).execute();
                T result = work.run(c);
                c.commit();
                uncheckpointed = true;
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c, e);
                throw e instanceof RuntimeException r ? r : new StoreException(e);
            } catch (Error e) {
                rollbackQuietly(c, e); // the SQLite writer is kept open: a transaction left open would carry into the next write
                throw e;
            } finally {
                if (ownCheckpointOff) restoreAutocheckpoint(c);
                if (writePool != null) closeQuietly(c);
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** The writer's automatic checkpoint threshold, in pages (0: off); a connection setting, not part of a transaction. */
    private static void autocheckpoint(Connection c, int pages) throws SQLException {
        try (var st = c.createStatement()) {
            st.execute("PRAGMA wal_autocheckpoint=" + pages);
        }
    }

    private static void restoreAutocheckpoint(Connection c) {
        try {
            autocheckpoint(c, WRITER_AUTOCHECKPOINT_PAGES);
        } catch (SQLException e) {
            // The checkpointer thread still copies the WAL back; only the safety net is missing.
            log.warn("could not restore the writer's automatic checkpoint: {}", e.toString());
        }
    }

    /**
     * Runs {@code work}, statements each atomic on their own (a counter's upsert), outside the
     * repository's writer. On PostgreSQL they run in autocommit on a small pool of their own, taking no
     * write lock: a rate-limit hit per write request then neither waits for repository commits nor
     * makes them wait (through the writer it was a second serialized transaction, with its own WAL flush,
     * per createRecord). SQLite has one writer, so there it is {@link #write}.
     */
    public <T> T writeOutsideWriter(SqlWork<T> work) {
        if (counters == null) return write(work);
        try (var c = counters.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new StoreException(e);
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
            c.setAutoCommit(false); // PostgreSQL streams (fetch size) only inside a transaction
            // One snapshot for every query, as a SQLite read transaction has (PostgreSQL's default takes one per statement).
            if (dialect == Dialect.POSTGRES) c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                return work.run(c);
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw new StoreException(e);
        }
    }

    /**
     * The prepared statement for {@code sql} on {@code c} (a connection of {@link #write} or {@link #read}),
     * prepared once per connection: never close it, but close its result sets. Only for a fixed set of
     * SQL strings, as each distinct one stays prepared.
     */
    PreparedStatement statement(Connection c, String sql) throws SQLException {
        return statements.get(c, sql);
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

    /**
     * PostgreSQL: whether {@code bytes} more fit where the database keeps its tables (the server's disk,
     * not ours): they are written, random so that no compression shrinks them, into a temporary table in
     * the database's default tablespace, which the transaction's end drops again. False when they do not
     * fit, or when the database cannot be asked (then nothing says there is room).
     */
    boolean hasRoomFor(int bytes) {
        if (dialect != Dialect.POSTGRES) throw new IllegalStateException("only PostgreSQL's room is probed through the database");
        var filler = new byte[bytes];
        java.util.concurrent.ThreadLocalRandom.current().nextBytes(filler);
        try {
            return write(c -> {
                try (var st = c.createStatement()) {
                    st.execute("SET LOCAL temp_tablespaces = ''"); // '': the database's default tablespace, where its tables are
                    st.execute("CREATE TEMP TABLE alteran_room_probe (b BYTEA) ON COMMIT DROP");
                }
                try (var st = c.prepareStatement("INSERT INTO alteran_room_probe (b) VALUES (?)")) {
                    st.setBytes(1, filler);
                    st.executeUpdate();
                }
                return true;
            });
        } catch (RuntimeException e) {
            if (!StorageFull.isCause(e)) log.warn("probing PostgreSQL for room failed: {}", e.toString());
            return false;
        }
    }

    private void rollbackQuietly(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
            if (c == sqliteWriter) beginAgain(cause);
            // PostgreSQL: a connection whose rollback failed is broken; the pool replaces it.
        }
    }

    /**
     * After some errors (SQLITE_FULL above all: a disk that filled up mid-commit) SQLite has already
     * rolled the transaction back itself. The driver's rollback then fails before it begins the next
     * transaction, and every later statement on the writer would commit on its own: a commit applied
     * in pieces. Beginning it here keeps the writer transactional, so writes succeed again, whole,
     * once there is room.
     */
    private void beginAgain(Throwable cause) {
        try (var st = sqliteWriter.createStatement()) {
            st.execute("BEGIN");
        } catch (SQLException e) {
            cause.addSuppressed(e); // a transaction is still open: the next write goes on in it, as before
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            log.warn("closing a writer connection failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        if (checkpoints != null) {
            checkpoints.shutdown();
            try {
                checkpoints.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        writeLock.lock();
        try {
            readers.close();
            if (counters != null) counters.close();
            if (writePool != null) writePool.close();
            if (checkpointer != null) checkpointer.close();
            if (sqliteWriter != null) sqliteWriter.close(); // the last connection to close checkpoints what is left
        } catch (SQLException e) {
            throw new StoreException(e);
        } finally {
            writeLock.unlock();
        }
    }
}
