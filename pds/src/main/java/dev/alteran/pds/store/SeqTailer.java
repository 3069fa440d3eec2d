package dev.alteran.pds.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the sequencer events other instances commit to this one's listeners (the firehose), on
 * PostgreSQL: a thread LISTENs for the notification every append sends at commit, then publishes the
 * log's newest seq, and the firehose reads the events from the log. The log is the truth: the thread
 * also looks every {@link #POLL} without a notification, so a missed one costs latency, never an event.
 */
public final class SeqTailer implements AutoCloseable {
    static final String CHANNEL = "alteran_seq";
    /** The longest wait for a notification before looking at the log anyway; also the delay before reconnecting. */
    static final Duration POLL = Duration.ofSeconds(1);
    private static final Logger log = LoggerFactory.getLogger(SeqTailer.class);

    private final Database db;
    private final SequenceLog sequence;
    private final Runnable beforePublish;
    private final Thread thread;
    private long newest;
    private volatile boolean closed;

    private SeqTailer(Database db, SequenceLog sequence, Runnable beforePublish) {
        this.db = db;
        this.sequence = sequence;
        this.beforePublish = beforePublish;
        this.thread = Thread.ofPlatform().daemon().name("alteran-seq-tailer").unstarted(this::run);
    }

    /**
     * Starts tailing {@code sequence}'s log for events other instances commit; null on SQLite, which one
     * process owns. {@code beforePublish} runs when the log has grown, before its listeners hear of it
     * (the repository catches its head up, so a subscriber who then reads it sees the new commit).
     */
    public static SeqTailer start(Database db, SequenceLog sequence, Runnable beforePublish) {
        if (db.dialect() != Dialect.POSTGRES) return null;
        var tailer = new SeqTailer(db, sequence, beforePublish);
        tailer.thread.start();
        return tailer;
    }

    private void run() {
        while (!closed) {
            try (var c = db.listenConnection()) {
                try (var st = c.createStatement()) {
                    st.execute("LISTEN " + CHANNEL);
                }
                var pg = c.unwrap(PGConnection.class);
                while (!closed) {
                    publishNewest(c);
                    pg.getNotifications((int) POLL.toMillis()); // returns at a notification, or after POLL
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) return;
                log.warn("sequencer tailing failed, reconnecting: {}", e.toString());
                try {
                    Thread.sleep(POLL.toMillis()); // a pause before reconnecting to a server that is away
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
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
        thread.interrupt();
        try {
            thread.join(POLL.toMillis() * 5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
