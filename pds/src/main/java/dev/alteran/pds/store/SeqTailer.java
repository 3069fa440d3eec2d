package dev.alteran.pds.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the sequencer events other instances commit to this one's listeners (the firehose), on
 * PostgreSQL: a thread LISTENs for the notification every append sends at commit, then publishes the
 * log's newest seq, and the firehose reads the events from the log. The log is the truth: the thread
 * also looks every {@link #POLL} without a notification, so a missed one costs latency, never an event.
 * A notification names the instance that sent it ({@link Dialect#insertSeqEvent}): this instance's own,
 * published at their commit, wake the thread but cost no query.
 *
 * <p>Its connection, kept open while the instance serves, also holds the {@link PostgresUseLock} shared:
 * that is how an offline command (import) knows that instances serve the database.
 */
public final class SeqTailer implements AutoCloseable {
    static final String CHANNEL = "alteran_seq";
    /** The longest wait for a notification before looking at the log anyway; also the delay before reconnecting. */
    static final Duration POLL = Duration.ofSeconds(1);
    /** How a serving instance's session is named (pg_stat_activity's application_name). */
    static final String HOLDER = "a serving Alteran instance";
    private static final Logger log = LoggerFactory.getLogger(SeqTailer.class);

    private final Database db;
    private final Thread thread;
    private SequenceLog sequence;
    private Runnable beforePublish;
    private long newest;
    private volatile boolean closed;
    /** The connection {@link #open} opened (and took the lock on), for the thread to take over. */
    private volatile Connection first;
    private volatile String lastHolder;

    private SeqTailer(Database db) {
        this.db = db;
        this.thread = Thread.ofPlatform().daemon().name("alteran-seq-tailer").unstarted(this::run);
    }

    /**
     * PostgreSQL: claims the database for a serving instance, before it writes anything there: opens the
     * LISTEN connection and holds the {@link PostgresUseLock} shared on it, for as long as the tailer
     * lives. Fails, naming the command, while an offline command holds the database exclusively. Null on
     * SQLite, which one process owns.
     */
    public static SeqTailer open(Database db) {
        if (db.dialect() != Dialect.POSTGRES) return null;
        var tailer = new SeqTailer(db);
        try {
            tailer.first = tailer.connect();
        } catch (SQLException e) {
            throw new StoreException(e);
        }
        if (tailer.first == null) {
            throw new IllegalStateException("PostgreSQL " + db.name() + " is in use by "
                    + Objects.requireNonNullElse(tailer.lastHolder, "an offline command") + "; let it finish first");
        }
        return tailer;
    }

    /**
     * Starts tailing {@code sequence}'s log for events other instances commit. {@code beforePublish} runs
     * when the log has grown, before its listeners hear of it (the repository catches its head up, so a
     * subscriber who then reads it sees the new commit).
     */
    public SeqTailer start(SequenceLog sequence, Runnable beforePublish) {
        this.sequence = sequence;
        this.beforePublish = beforePublish;
        thread.start();
        return this;
    }

    /** {@link #open} and {@link #start} at once; null on SQLite. */
    public static SeqTailer start(Database db, SequenceLog sequence, Runnable beforePublish) {
        var tailer = open(db);
        return tailer == null ? null : tailer.start(sequence, beforePublish);
    }

    /** A LISTEN connection holding the use lock shared; null (closed again) while a command holds it exclusively. */
    private Connection connect() throws SQLException {
        var c = db.listenConnection();
        try {
            if (!PostgresUseLock.share(c, HOLDER)) {
                lastHolder = PostgresUseLock.exclusiveHolder(c);
                c.close();
                return null;
            }
            try (var st = c.createStatement()) {
                st.execute("LISTEN " + CHANNEL);
            }
            return c;
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void run() {
        try {
            tail();
        } finally {
            closeFirst(); // closed before the loop took it over
        }
    }

    private void closeFirst() {
        var unused = first;
        first = null;
        if (unused == null) return;
        try {
            unused.close();
        } catch (SQLException e) {
            log.warn("closing the LISTEN connection failed: {}", e.toString());
        }
    }

    private void tail() {
        while (!closed) {
            Connection opened = first;
            first = null;
            try {
                if (opened == null) opened = connect();
                if (opened == null) {
                    // The connection was lost and a command took the database meanwhile: this instance should not be serving.
                    log.error("PostgreSQL {} is held by {} (an offline command that wants no instance serving); stop this instance",
                            db.name(), Objects.requireNonNullElse(lastHolder, "another session"));
                    if (!pause()) return;
                    continue;
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) return;
                log.warn("sequencer tailing failed, reconnecting: {}", e.toString());
                if (!pause()) return;
                continue;
            }
            try (var c = opened) {
                var pg = c.unwrap(PGConnection.class);
                long lookedAt = 0;
                boolean look = true;
                while (!closed) {
                    if (look || System.nanoTime() - lookedAt >= POLL.toNanos()) {
                        publishNewest(c);
                        lookedAt = System.nanoTime();
                    }
                    // Returns at a notification, or after POLL. This instance's own commits (most of what it hears)
                    // were published at their commit: only another's, or a POLL without any, is worth a query.
                    var heard = pg.getNotifications((int) POLL.toMillis());
                    look = heard == null || heard.length == 0;
                    if (heard != null) for (var n : heard) look |= !db.instanceId().equals(n.getParameter());
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) return;
                log.warn("sequencer tailing failed, reconnecting: {}", e.toString());
                if (!pause()) return;
            }
        }
    }

    /** A pause before reconnecting to a server that is away; false when interrupted (closing). */
    private static boolean pause() {
        try {
            Thread.sleep(POLL.toMillis());
            return true;
        } catch (InterruptedException interrupted) {
            return false;
        }
    }

    private void publishNewest(Connection c) throws SQLException {
        long max;
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT MAX(seq) FROM seq_event")) {
            max = rs.next() ? rs.getLong(1) : 0;
        }
        if (max <= newest) return;
        newest = max;
        // This instance's own commits (most notifications it hears) were published at their commit, and
        // its head already includes whatever they were built on: catching the head up would only wait for
        // the writer to find nothing new.
        if (max <= sequence.published()) return;
        beforePublish.run();
        sequence.publish(max);
    }

    @Override
    public void close() {
        closed = true;
        if (thread.getState() == Thread.State.NEW) closeFirst(); // opened but never started: releases the lock
        thread.interrupt();
        try {
            thread.join(POLL.toMillis() * 5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
