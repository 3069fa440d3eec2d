package dev.alteran.pds.store;

import dev.alteran.atproto.data.DagCbor;
import dev.alteran.atproto.syntax.Datetime;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code seq_event} table: the ordered log of firehose events, and the listeners told about new
 * ones. Events are appended inside the transaction that makes the change they announce
 * ({@link #append}); after that transaction commits, the writer calls {@link #publish} with the new
 * seq. A published seq means "every event up to here is committed": listeners read the log from
 * their own cursor ({@link #after}) rather than counting on one call per event.
 */
public final class SequenceLog {
    private static final Logger log = LoggerFactory.getLogger(SequenceLog.class);

    /** Events kept by default (PDS_SEQ_RETENTION). */
    public static final int DEFAULT_RETENTION = 10_000;
    /** Old events are deleted on every this-many-th append: one small DELETE instead of one per write. */
    static final int PRUNE_EVERY = 100;

    private final Database db;
    /** The append statement ({@link Dialect#insertSeqEvent}), built once. */
    private final String insertEvent;
    private final int retention;
    private final LongSupplier newLogStart;
    private final List<LongConsumer> listeners = new CopyOnWriteArrayList<>();
    private long published;
    private volatile LongConsumer pacer;

    public SequenceLog(Database db) {
        this(db, DEFAULT_RETENTION);
    }

    /** A log that keeps (at least) the newest {@code retention} events; older ones are deleted as new ones arrive. */
    public SequenceLog(Database db, int retention) {
        this(db, retention, SequenceLog::firstSeqOfNewLog);
    }

    /** A log whose first seq, when empty, is {@code newLogStart} (tests count from a known seq). */
    public SequenceLog(Database db, int retention, LongSupplier newLogStart) {
        if (retention < 1) throw new IllegalArgumentException("retention must be positive: " + retention);
        this.db = db;
        this.insertEvent = db.dialect().insertSeqEvent(db.instanceId());
        this.retention = retention;
        this.newLogStart = newLogStart;
    }

    public int retention() {
        return retention;
    }

    /**
     * Appends an event in the caller's write transaction: assigns the next seq, adds {@code seq} and
     * {@code time} to {@code body}, stores its DAG-CBOR. Returns the event. The single writer
     * serializes appends, so the next seq is one past the greatest, or {@link #firstSeqOfNewLog} for an empty log (rows are never deleted past the
     * newest, so seqs are never reused and have no gaps). Every {@value #PRUNE_EVERY}th append also
     * deletes the events older than the retention.
     */
    public SeqEvent append(Connection c, String did, String type, Map<String, Object> body) throws SQLException {
        return append(c, did, type, body, 0);
    }

    /**
     * {@link #append} at a seq of at least {@code floor}: the first event after a restore from backup
     * jumps past the seqs the server may have given out after the backup was taken (see
     * {@link #firstSeqOfNewLog}: at the clock's milliseconds), so that no relay sees a seq twice.
     */
    SeqEvent append(Connection c, String did, String type, Map<String, Object> body, long floor) throws SQLException {
        return insert(new PendingWrites(db, c), Math.max(floor, nextAfter(lastSeq(c))), did, type, body);
    }

    /**
     * {@link #append} when the caller already knows the log's greatest seq in this transaction
     * ({@code max}, 0 for an empty log): read under the write lock earlier in it, or the seq the previous
     * append of the same transaction returned. Saves the read (a round trip on PostgreSQL) per commit.
     * The event's INSERT goes with the statements {@code pending} holds (the commit's rows and its move of
     * the head), which it sends.
     */
    SeqEvent appendAfter(PendingWrites pending, long max, String did, String type, Map<String, Object> body) throws SQLException {
        return insert(pending, nextAfter(max), did, type, body);
    }

    /** The seq after {@code max}, the log's greatest (0: an empty log). */
    private long nextAfter(long max) {
        return max > 0 ? max + 1 : newLogStart.getAsLong();
    }

    private SeqEvent insert(PendingWrites pending, long seq, String did, String type, Map<String, Object> body) throws SQLException {
        var time = Datetime.now();
        var full = new HashMap<String, Object>(body);
        full.put("seq", seq);
        full.put("time", time);
        var bytes = DagCbor.encode(full);
        // On PostgreSQL the same statement also sends the notification other instances' tailers wait for.
        pending.add(insertEvent, seq, did, type, time, bytes);
        if (seq % PRUNE_EVERY == 0 && seq > retention) pending.add("DELETE FROM seq_event WHERE seq <= ?", seq - retention);
        pending.send();
        return new SeqEvent(seq, did, type, time, bytes);
    }

    /**
     * The first seq of an empty log: the current time in milliseconds. A relay keeps a cursor per
     * host name, and a host name may have been served before (an install whose data is gone, a
     * previous PDS at this address). A cursor it holds from then must not lie in our future,
     * where it would get FutureCursor and never resume: starting from the clock puts the new log above
     * any predecessor that counted from 1 (or from its own start time) at under one event per
     * millisecond. Such a relay gets OutdatedCursor and replays what we keep.
     */
    static long firstSeqOfNewLog() {
        return Math.max(1, System.currentTimeMillis());
    }

    /** Registers a listener for new seqs. It runs on the writer's thread while writes wait: it must only hand off, never block. */
    public void addListener(LongConsumer listener) {
        listeners.add(listener);
    }

    public void removeListener(LongConsumer listener) {
        listeners.remove(listener);
    }

    /**
     * Sets the backpressure of {@link #publish}: after telling the listeners, the publishing writer
     * calls {@code pacer} with the seq, and it may hold the writer briefly (bounded) while the consumers
     * of the log are too far behind. See the firehose's {@code awaitFanOut}.
     */
    public synchronized void pace(LongConsumer pacer) {
        this.pacer = pacer;
    }

    /** Removes {@code pacer}, if it is the one set. */
    public synchronized void stopPacing(LongConsumer pacer) {
        if (this.pacer == pacer) this.pacer = null;
    }

    /**
     * Appends one event in its own transaction and publishes it: for events that announce no repository
     * change ({@code identity}, {@code account}). Returns the event.
     */
    public SeqEvent sequence(String did, String type, Map<String, Object> body) {
        var event = db.write(c -> append(c, did, type, body));
        publish(event.seq());
        return event;
    }

    /**
     * Tells every listener that events up to {@code seq} are committed, then lets the {@linkplain #pace
     * pacer} hold the caller while the firehose is too far behind. Seqs only move forward: a
     * writer that publishes late (after a later seq was published) is not repeated. A failing listener
     * is logged and skipped.
     */
    public void publish(long seq) {
        if (!tell(seq)) return;
        var p = pacer;
        if (p != null) p.accept(seq);
    }

    private synchronized boolean tell(long seq) {
        if (seq <= published) return false;
        published = seq;
        for (var l : listeners) {
            try {
                l.accept(seq);
            } catch (RuntimeException e) {
                log.error("sequencer listener failed for seq {}", seq, e);
            }
        }
        return true;
    }

    /** The newest seq published so far (0 before the first). */
    synchronized long published() {
        return published;
    }

    /** The newest seq on {@code c} (inside its transaction), 0 when the log is empty. */
    long lastSeq(Connection c) throws SQLException {
        try (var rs = db.statement(c, "SELECT MAX(seq) FROM seq_event").executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0L;
        }
    }

    /** The newest seq, 0 when the log is empty. */
    public long lastSeq() {
        return db.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT MAX(seq) FROM seq_event")) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    /** The oldest seq still kept, 0 when the log is empty. */
    public long firstSeq() {
        return db.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT MIN(seq) FROM seq_event")) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    /** Up to {@code limit} events with seq greater than {@code after}, in seq order. */
    public List<SeqEvent> after(long after, int limit) {
        return range(after, Long.MAX_VALUE, limit);
    }

    /** Up to {@code limit} events with {@code after < seq <= through}, in seq order. */
    public List<SeqEvent> range(long after, long through, int limit) {
        return db.read(c -> {
            var st = db.statement(c, "SELECT seq, did, type, time, event FROM seq_event WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?");
            st.setLong(1, after);
            st.setLong(2, through);
            st.setInt(3, limit);
            var out = new ArrayList<SeqEvent>();
            try (var rs = st.executeQuery()) {
                while (rs.next()) out.add(new SeqEvent(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getBytes(5)));
            }
            return out;
        });
    }

    /** The event with this seq, or null. */
    public SeqEvent get(long seq) {
        var list = after(seq - 1, 1);
        return list.isEmpty() || list.getFirst().seq() != seq ? null : list.getFirst();
    }

    /**
     * Deletes the events older than the newest {@code keep} (a cursor before them gets the firehose's
     * OutdatedCursor treatment); returns how many were deleted. The newest event is always kept, so
     * seqs are never reused.
     */
    public long prune(long keep) {
        if (keep < 1) throw new IllegalArgumentException("keep must be positive: " + keep);
        return db.write(c -> {
            try (var st = c.prepareStatement("DELETE FROM seq_event WHERE seq <= (SELECT MAX(seq) FROM seq_event) - ?")) {
                st.setLong(1, keep);
                return (long) st.executeUpdate();
            }
        });
    }
}
