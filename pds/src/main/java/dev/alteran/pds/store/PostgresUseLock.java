package dev.alteran.pds.store;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Who uses a PostgreSQL database, the counterpart of SQLite's {@link DatabaseLock}: one session-level
 * advisory lock. Every serving instance holds it shared (on its LISTEN connection, {@link SeqTailer}),
 * so any number of them serve together; a command that replaces the repository under them (import,
 * the database copies) takes it exclusively, so it runs only when none serves, and an instance cannot
 * start while such a command runs. PostgreSQL drops a session's locks when its connection ends, so a
 * killed process never leaves one behind.
 */
public final class PostgresUseLock implements AutoCloseable {
    /**
     * The lock's key: "serving" in ASCII. Any constant other code does not use, and not the write lock's
     * ({@link Dialect#POSTGRES}), which a shared hold of the same key would block.
     */
    static final long KEY = 0x73657276696e67L;
    /** The lock as pg_locks shows a bigint key: its high and low 32 bits, and objsubid 1. */
    private static final String THIS_LOCK = "l.locktype = 'advisory' AND l.objsubid = 1 AND l.classid = " + (KEY >>> 32)
            + " AND l.objid = " + (KEY & 0xffffffffL) + " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";

    private final Connection connection;

    private PostgresUseLock(Connection connection) {
        this.connection = connection;
    }

    /**
     * Takes the database for {@code holder} (e.g. "alteran import") alone, or fails saying who uses it:
     * how many instances serve it, or which command holds it.
     */
    public static PostgresUseLock exclusive(PostgresUrl url, String holder) {
        var source = url.dataSource(false, 0);
        url.probe(source);
        Connection c = null;
        try {
            c = source.getConnection();
            c.setAutoCommit(true);
            name(c, holder);
            boolean taken;
            try (var st = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                st.setLong(1, KEY);
                try (var rs = st.executeQuery()) {
                    taken = rs.next() && rs.getBoolean(1);
                }
            }
            if (!taken) {
                long serving = servingCount(c);
                var other = exclusiveHolder(c);
                throw new IllegalStateException("PostgreSQL " + url.describe() + " is in use: " + (serving > 0
                        ? serving + " instance(s) are serving this database; stop them first"
                        : "by " + (other != null ? other : "another command") + "; let it finish first"));
            }
            var lock = new PostgresUseLock(c);
            c = null;
            return lock;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot lock PostgreSQL " + url.describe() + ": " + url.redact(e.getMessage()), e);
        } finally {
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // the session ends either way, and its locks with it
                }
            }
        }
    }

    /**
     * Holds the lock shared on {@code c} (a connection the caller keeps open as long as it serves), for
     * {@code holder}; false, with nothing held, while a command has it exclusively.
     */
    static boolean share(Connection c, String holder) throws SQLException {
        name(c, holder);
        try (var st = c.prepareStatement("SELECT pg_try_advisory_lock_shared(?)")) {
            st.setLong(1, KEY);
            try (var rs = st.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** The name the exclusive holder gave its session ("alteran import (pid 42)"), or null when nobody or an unnamed session holds it. */
    static String exclusiveHolder(Connection c) throws SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                + " WHERE " + THIS_LOCK + " AND l.granted AND l.mode = 'ExclusiveLock'")) {
            if (!rs.next()) return null;
            var name = rs.getString(1);
            return name == null || name.isBlank() ? null : name;
        }
    }

    /** How many sessions hold the lock shared: the instances serving the database. */
    static long servingCount(Connection c) throws SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT count(*) FROM pg_locks l WHERE " + THIS_LOCK
                + " AND l.granted AND l.mode = 'ShareLock'")) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    /** Names the session, so that the message of whoever finds the lock taken can say by whom. */
    private static void name(Connection c, String holder) throws SQLException {
        try (var st = c.prepareStatement("SELECT set_config('application_name', ?, false)")) {
            st.setString(1, holder + " (pid " + ProcessHandle.current().pid() + ")");
            st.executeQuery().close();
        }
    }

    @Override
    public void close() {
        try {
            connection.close(); // ends the session, which releases its advisory locks
        } catch (SQLException e) {
            throw new StoreException(e);
        }
    }
}
