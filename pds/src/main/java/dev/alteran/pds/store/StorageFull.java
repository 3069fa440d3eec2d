package dev.alteran.pds.store;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * A full disk: the one place that recognizes it in a failure (SQLite's SQLITE_FULL, PostgreSQL's
 * disk_full, the operating system's "No space left on device" or "Disk quota exceeded"), and remembers
 * it for {@code /health} until the storage takes writes again. Nothing waits on it: every write simply
 * tries, and succeeds again as soon as there is room, without a restart.
 */
public final class StorageFull {
    /** The message clients get with a write refused for a full disk. */
    public static final String MESSAGE = "The server's storage is full: nothing was written. Try again later.";
    /** What the probe writes: more than a commit needs, so room for the probe means room for a write. */
    static final int PROBE_BYTES = 256 * 1024;
    /**
     * PostgreSQL's SQLSTATE for a full disk (class 53, insufficient resources): what the server reports
     * when it cannot extend a table's file ("could not extend file ...: No space left on device").
     */
    static final String POSTGRES_DISK_FULL = "53100";

    private final Path probeDir;
    private final Database database;
    private volatile boolean full;

    /** @param probeDir the data directory, where the probe checks for room once a write ran out of it */
    public StorageFull(Path probeDir) {
        this(probeDir, null);
    }

    /**
     * @param probeDir the data directory (blobs, spooled uploads, a SQLite database)
     * @param database the database; a PostgreSQL one, whose files are on the server's disks, is probed too
     */
    public StorageFull(Path probeDir, Database database) {
        this.probeDir = probeDir;
        this.database = database;
    }

    /** Whether {@code failure}, or anything it wraps or suppressed, says the disk is full. */
    public static boolean isCause(Throwable failure) {
        return find(failure, Collections.newSetFromMap(new IdentityHashMap<>())) != null;
    }

    /**
     * The innermost error in {@code failure} that says the disk is full, in one short line for the log
     * (a failed batch's own message holds its statements, data included), or null when none does.
     */
    public static String describe(Throwable failure) {
        var t = find(failure, Collections.newSetFromMap(new IdentityHashMap<>()));
        if (t == null) return null;
        var message = String.valueOf(t.getMessage()).lines().findFirst().orElse("");
        if (message.length() > 200) message = message.substring(0, 200) + "...";
        return t.getClass().getSimpleName() + ": " + message;
    }

    /** What it wraps first (a batch's failure carries the statement's own as its next exception), then itself. */
    private static Throwable find(Throwable t, Set<Throwable> seen) {
        if (t == null || !seen.add(t)) return null;
        var inner = t instanceof SQLException e ? find(e.getNextException(), seen) : null;
        if (inner == null) inner = find(t.getCause(), seen);
        for (var s : t.getSuppressed()) {
            if (inner == null) inner = find(s, seen);
        }
        if (inner != null) return inner;
        if (t instanceof SQLiteException e && e.getResultCode() == SQLiteErrorCode.SQLITE_FULL) return t;
        // Extended result codes keep the primary code in their low byte.
        if (t instanceof SQLException e && !(t instanceof SQLiteException) && (e.getErrorCode() & 0xff) == SQLiteErrorCode.SQLITE_FULL.code) {
            return t;
        }
        if (t instanceof SQLException e && POSTGRES_DISK_FULL.equals(e.getSQLState())) return t;
        if (t instanceof IOException && t.getMessage() != null
                && (t.getMessage().contains("No space left on device") || t.getMessage().contains("Disk quota exceeded"))) {
            return t;
        }
        return null;
    }

    /** A write failed for want of space: {@link #isFull()} says so until a probe finds room. */
    public void reportFull() {
        full = true;
    }

    /**
     * Whether the storage is full: after a write ran out of space, until a probe file of
     * {@value #PROBE_BYTES} bytes can be written (and is removed) in the data directory and, on
     * PostgreSQL, as many bytes fit in the database ({@link Database#hasRoomFor}).
     */
    public boolean isFull() {
        if (!full) return false;
        if (dataDirHasRoom() && (database == null || database.dialect() != Dialect.POSTGRES || database.hasRoomFor(PROBE_BYTES))) {
            full = false;
        }
        return full;
    }

    private boolean dataDirHasRoom() {
        Path probe = null;
        try {
            Files.createDirectories(probeDir);
            probe = Files.createTempFile(probeDir, "space-", ".probe");
            try (OutputStream out = Files.newOutputStream(probe)) {
                out.write(new byte[PROBE_BYTES]);
                out.flush();
            }
            return true;
        } catch (IOException e) {
            return false; // still no room (or the directory is gone)
        } finally {
            if (probe != null) {
                try {
                    Files.deleteIfExists(probe);
                } catch (IOException ignored) {
                    // a leftover probe is removed by the next one's success or by the owner
                }
            }
        }
    }
}
