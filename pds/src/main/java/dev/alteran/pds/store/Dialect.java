package dev.alteran.pds.store;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The SQL that differs between the two databases, all of it; every other statement is written once,
 * in the SQL both accept ({@code ON CONFLICT} upserts, {@code RETURNING}, no PRAGMA or rowid outside
 * this class). The schemas are twin Flyway folders with the same version numbers.
 */
public enum Dialect {
    /** The embedded default: one file under the data directory. */
    SQLITE("sqlite", "BLOB",
            // A write that changes nothing: it takes SQLite's write lock at once (see Database#write).
            "DELETE FROM repo_root WHERE did IS NULL"),
    /**
     * A PostgreSQL server, which several instances may share. A transaction-scoped advisory lock
     * serializes write transactions across all of them (released by the commit or the rollback, or when
     * the connection drops), on a key of its own so it never meets an application row lock.
     */
    POSTGRES("postgresql", "BYTEA", "SELECT pg_advisory_xact_lock(" + Dialect.WRITE_LOCK_KEY + ")");

    /** The advisory lock key of the write lock: "alteran" in ASCII, any constant other code does not use. */
    private static final long WRITE_LOCK_KEY = 0x616c746572616eL;

    private final String displayName;
    private final String blobType;
    private final String takeWriteLock;

    Dialect(String displayName, String blobType, String takeWriteLock) {
        this.displayName = displayName;
        this.blobType = blobType;
        this.takeWriteLock = takeWriteLock;
    }

    /** "sqlite" or "postgresql", as /health and the commands name it. */
    public String displayName() {
        return displayName;
    }

    /**
     * Connections of the read pool: SQLite reads a local file, and a few readers beside the writer
     * saturate it; PostgreSQL answers over the network, where more reads wait on round trips (16: one
     * per client of the benchmark's read load, which with 8 spent its time handing connections over).
     */
    int readPoolSize() {
        return this == SQLITE ? 4 : 16;
    }

    /**
     * Whether a savepoint costs round trips to the server (PostgreSQL: SAVEPOINT and RELEASE are
     * statements; SQLite's are calls into the library), so that {@link GroupCommit} avoids them.
     */
    boolean savepointsCostRoundTrips() {
        return this == POSTGRES;
    }

    /**
     * {@code query} preceded by taking the write lock, sent together in one round trip (PostgreSQL runs
     * them one after the other, so the query's snapshot is taken after the lock is held; its result is
     * the second). Null where the lock is a separate statement (SQLite, where it costs no round trip).
     */
    String withWriteLock(String query) {
        return joined(takeWriteLock, query);
    }

    /**
     * Two statements sent as one, in one round trip (PostgreSQL runs them in order; their parameters
     * follow each other), or null where they go one by one (SQLite, where a statement costs no round trip).
     */
    String joined(String first, String second) {
        return joinsStatements() ? first + "; " + second : null;
    }

    /** Whether statements sent as one save round trips ({@link PendingWrites}): on PostgreSQL, not SQLite. */
    boolean joinsStatements() {
        return this == POSTGRES;
    }

    /**
     * Whether lookups that arrive together are worth answering in one query ({@link BatchedLookups}):
     * on PostgreSQL each query is a round trip; SQLite answers in-process.
     */
    boolean batchesLookups() {
        return this == POSTGRES;
    }

    /** PostgreSQL: the statement that lets a session's commits return before their WAL is flushed. */
    String undurableSession() {
        if (this != POSTGRES) throw new IllegalStateException("only PostgreSQL sessions choose their durability");
        return "SET synchronous_commit = off";
    }

    /** The column type of binary values, for temporary tables (the migrations spell it out). */
    String blobType() {
        return blobType;
    }

    /** The statement each write transaction runs first, to hold the database's write lock to its end. */
    String takeWriteLock() {
        return takeWriteLock;
    }

    /**
     * The statement that appends one event to the sequencer log (parameters: seq, did, type, time,
     * event). On PostgreSQL it also notifies other instances ({@link SeqTailer}), in the same round trip:
     * PostgreSQL delivers a NOTIFY when its transaction commits, once per transaction for identical ones;
     * the log stays the truth, the notification only wakes the tailers. Its payload is {@code sender}
     * ({@link Database#instanceId}), so that a tailer can tell its own instance's commits, published at
     * their commit already, from another's.
     */
    String insertSeqEvent(String sender) {
        if (!sender.matches("[0-9a-f]+")) throw new IllegalArgumentException("not an instance id: " + sender); // it goes into the SQL
        return this == POSTGRES
                ? "INSERT INTO seq_event (seq, did, type, time, event) SELECT ?, ?, ?, ?, ? FROM (SELECT pg_notify('" + SeqTailer.CHANNEL
                        + "', '" + sender + "')) AS notified"
                : "INSERT INTO seq_event (seq, did, type, time, event) VALUES (?, ?, ?, ?, ?)";
    }

    /**
     * PostgreSQL: a commit's blocks inserted by one statement over three arrays (parameters: the revs,
     * the CIDs, the contents), and its dropped blocks deleted by one (parameter: the CIDs). A batch, even rewritten
     * into multi-row INSERTs, is a statement per DELETE and one per power-of-two chunk of rows, each
     * bound, executed and answered on both sides; the arrays make it one, always the same
     * (server-prepared once). Null on SQLite, where a statement is a call into the library and a batch costs nothing more.
     */
    String insertBlocksFromArrays() {
        return this == POSTGRES
                ? "INSERT INTO repo_block (cid, rev, size, content) SELECT b.cid, b.rev, octet_length(b.content), b.content"
                        + " FROM unnest(?::text[], ?::bytea[], ?::bytea[]) AS b(rev, cid, content) ON CONFLICT DO NOTHING"
                : null;
    }

    /** See {@link #insertBlocksFromArrays}. */
    String deleteBlocksInArray() {
        return this == POSTGRES ? "DELETE FROM repo_block WHERE cid = ANY(?::bytea[])" : null;
    }

    /**
     * The table options of a temporary table keyed by its primary key alone. SQLite: {@code WITHOUT ROWID},
     * so that the key's B-tree holds the rows (one tree to insert into and search, not a rowid table
     * and an index on the key). PostgreSQL has no such option.
     */
    String keyedTempTable() {
        return this == SQLITE ? " WITHOUT ROWID" : "";
    }

    /** The Flyway folder of this dialect's migrations. */
    String migrations() {
        return "classpath:db/migration/" + (this == SQLITE ? "sqlite" : "postgres");
    }

    /**
     * After rows were copied in with their keys ({@link DatabaseCopy}): PostgreSQL's sequences behind
     * the BIGSERIAL keys (seq_event, preference, login_attempt) are set past the largest copied key, so
     * the next row gets a new one. SQLite keeps its AUTOINCREMENT counters up to date by itself.
     */
    void afterBulkCopy(Connection c) throws SQLException {
        if (this != POSTGRES) return;
        var serials = new java.util.ArrayList<String[]>();
        try (var st = c.prepareStatement("SELECT table_name, column_name FROM information_schema.columns"
                + " WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'");
             var rs = st.executeQuery()) {
            while (rs.next()) serials.add(new String[] {rs.getString(1), rs.getString(2)});
        }
        for (var serial : serials) {
            var table = serial[0];
            var column = serial[1];
            // setval(seq, max, true): the next value is max + 1; an empty table restarts at 1.
            try (var st = c.prepareStatement("SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT MAX(" + column
                    + ") FROM " + table + "), 0) + 1, false)")) {
                st.setString(1, table);
                st.setString(2, column);
                st.execute();
            }
        }
    }

    /**
     * Drops a temporary table at the end of the work that used it. A failure is left to the work's own
     * outcome: on PostgreSQL a failed statement aborts the transaction, so this DROP would fail too and
     * hide the first error, and the rollback that follows drops a table created in it anyway.
     */
    static void dropTempTable(Connection c, String table) {
        try (var st = c.createStatement()) {
            st.executeUpdate("DROP TABLE IF EXISTS " + table);
        } catch (SQLException e) {
            // see above
        }
    }

    /** The dialect of an open connection, for code that is handed only the connection. */
    static Dialect of(Connection c) throws SQLException {
        return c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres") ? POSTGRES : SQLITE;
    }
}
