package dev.alteran.pds.store;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.syntax.Tid;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * What the owner's pages tell about the repository: its head, records per collection and per day,
 * its size and how it grew. Read-only queries over the tables the write path keeps; plain SQL that
 * SQLite and PostgreSQL both run.
 */
public final class RepoStats {
    private final Database db;

    public RepoStats(Database db) {
        this.db = db;
    }

    /** The head commit; {@code time} is the instant its rev (a TID) carries. */
    public record Head(String rev, Instant time, Cid cid) {}

    public record CollectionCount(String collection, long records) {}

    /** A value for one UTC day ({@code yyyy-mm-dd}). */
    public record DayValue(String day, long value) {}

    /** A current record, newest first: its URI, CID and DAG-CBOR block. */
    public record Latest(StoredRecord record, String indexedAt) {}

    /** Null before the repository exists. */
    public Head head() {
        var root = db.read(RepoRoot::read);
        return root == null ? null : new Head(root.rev(), tidTime(root.rev()), root.cid());
    }

    /** The instant a TID carries (its microseconds since the epoch), or null for one that does not parse. */
    public static Instant tidTime(String tid) {
        try {
            long micros = Tid.decode(tid) >>> 10;
            return Instant.ofEpochSecond(micros / 1_000_000, (micros % 1_000_000) * 1000);
        } catch (RuntimeException e) {
            return null;
        }
    }

    public List<CollectionCount> collections() {
        return db.read(c -> {
            try (var st = c.prepareStatement("SELECT collection, COUNT(*) FROM record GROUP BY collection ORDER BY collection");
                 var rs = st.executeQuery()) {
                var out = new ArrayList<CollectionCount>();
                while (rs.next()) out.add(new CollectionCount(rs.getString(1), rs.getLong(2)));
                return out;
            }
        });
    }

    /** The {@code limit} records indexed last. */
    public List<Latest> latest(int limit) {
        return db.read(c -> {
            try (var st = c.prepareStatement("SELECT r.uri, r.cid, b.content, r.indexed_at FROM record r"
                    + " JOIN repo_block b ON b.cid = r.cid ORDER BY r.indexed_at DESC, r.rev DESC LIMIT ?")) {
                st.setInt(1, limit);
                try (var rs = st.executeQuery()) {
                    var out = new ArrayList<Latest>();
                    while (rs.next()) {
                        out.add(new Latest(new StoredRecord(rs.getString(1), Cid.fromBytes(rs.getBytes(2)), rs.getBytes(3)), rs.getString(4)));
                    }
                    return out;
                }
            }
        });
    }

    /** Blocks and their bytes: the repository's size. */
    public record Size(long blocks, long bytes) {}

    public Size size() {
        return db.read(c -> {
            try (var st = c.prepareStatement("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM repo_block"); var rs = st.executeQuery()) {
                rs.next();
                return new Size(rs.getLong(1), rs.getLong(2));
            }
        });
    }

    /**
     * Current records per day of their indexing, from {@code since} (a {@code yyyy-mm-dd} day) on,
     * days without records left out. Records deleted since are not counted.
     */
    public List<DayValue> recordsPerDay(String since) {
        return db.read(c -> {
            try (var st = c.prepareStatement("SELECT SUBSTR(indexed_at, 1, 10) AS day, COUNT(*) FROM record"
                    + " WHERE indexed_at >= ? GROUP BY SUBSTR(indexed_at, 1, 10) ORDER BY day")) {
                st.setString(1, since);
                try (var rs = st.executeQuery()) {
                    var out = new ArrayList<DayValue>();
                    while (rs.next()) out.add(new DayValue(rs.getString(1), rs.getLong(2)));
                    return out;
                }
            }
        });
    }

    /**
     * The bytes of the current blocks added each day, by the time their commit's rev carries, oldest
     * first. Blocks that later commits dropped are gone from the table, so this is how the repository
     * as it is now grew, not every byte ever written.
     */
    public List<DayValue> blockBytesPerDay() {
        var perRev = db.read(c -> {
            try (var st = c.prepareStatement("SELECT rev, SUM(size) FROM repo_block GROUP BY rev ORDER BY rev"); var rs = st.executeQuery()) {
                var out = new ArrayList<DayValue>();
                while (rs.next()) out.add(new DayValue(rs.getString(1), rs.getLong(2)));
                return out;
            }
        });
        var out = new ArrayList<DayValue>();
        for (var rev : perRev) {
            var time = tidTime(rev.day());
            if (time == null) continue;
            var day = time.atOffset(ZoneOffset.UTC).toLocalDate().toString();
            if (!out.isEmpty() && out.getLast().day().equals(day)) {
                out.set(out.size() - 1, new DayValue(day, out.getLast().value() + rev.value()));
            } else if (!out.isEmpty() && out.getLast().day().compareTo(day) > 0) {
                // A rev from a clock that ran behind: count it on the day already listed last.
                out.set(out.size() - 1, new DayValue(out.getLast().day(), out.getLast().value() + rev.value()));
            } else {
                out.add(new DayValue(day, rev.value()));
            }
        }
        return out;
    }
}
