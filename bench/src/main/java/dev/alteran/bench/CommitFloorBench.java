package dev.alteran.bench;

import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import dev.alteran.atproto.repo.BlockMap;
import dev.alteran.atproto.repo.Mst;
import dev.alteran.atproto.repo.UnsignedCommit;
import dev.alteran.atproto.syntax.TidClock;
import dev.alteran.pds.store.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The CPU floor of one createRecord, each part measured alone: the SHA-256 of the record block and of
 * the commit block (their CIDs), the SHA-256 of the MST nodes on the new key's path (the nodes a commit
 * rewrites, in a tree of 100,000 records), one secp256k1 signature of the commit, and one SQLite
 * transaction writing the rows a commit writes, through the server's own {@link Database} (the same
 * file settings: WAL, {@code synchronous=NORMAL}, the write lock taken first, its checkpointer thread).
 * {@link #floor} is the floor (two hashes, one signature, one commit); {@link #floorWithMstPath}
 * adds the path's hashes. Encoding the blocks, rebuilding the MST, HTTP and JSON are not in it: the floor
 * is what no implementation can skip.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CommitFloorBench {
    static final String DID = "did:web:floor.example";
    static final String POST = "app.bsky.feed.post";

    Keypair key;
    byte[] record;
    byte[] unsignedCommit;
    byte[] commit;
    List<byte[]> path;
    byte[] event;

    Path dir;
    Database db;
    final TidClock clock = new TidClock(3);
    final Random random = new Random(42);
    long seq;
    byte[] head;
    List<byte[]> previousPath = List.of();
    Connection prepared;
    PreparedStatement insertBlock, upsertRecord, deleteBlock, moveRoot, maxSeq, insertEvent;

    @Setup
    public void setup() throws Exception {
        key = Keypair.generate(Curve.K256);
        var post = new LinkedHashMap<String, Object>();
        post.put("$type", POST);
        post.put("text", "benchmark post 12345 from the side-by-side load run");
        post.put("createdAt", "2026-12-05T16:00:00.000Z");
        record = DagCbor.encode(post);

        // A tree of 100,000 posts (MstBench's keys); the new record's key is the first after them that lands on
        // the lowest layer, as 15 of 16 keys do: the nodes it changes are one per layer, root to leaf.
        var rnd = new Random(42);
        var entries = new HashMap<String, Cid>();
        long micros = 1_700_000_000_000_000L;
        while (entries.size() < 100_000) {
            micros += 1 + rnd.nextInt(5_000_000);
            entries.put(POST + "/" + MstBench.tid(micros, rnd.nextInt(1024)), Cid.ofDagCbor(("record " + entries.size()).getBytes()));
        }
        var store = new BlockMap();
        var built = Mst.build(store, entries);
        store.putAll(built.newBlocks());
        var loaded = Mst.load(store, built.root());
        Mst tree;
        String rev;
        do {
            micros += 1_000_000;
            rev = MstBench.tid(micros, 0);
            tree = loaded.add(POST + "/" + rev, Cid.ofDagCbor(record));
        } while (tree.newBlocks().size() != loaded.layer() + 1);
        path = new ArrayList<>();
        tree.newBlocks().forEach((cid, bytes) -> path.add(bytes));

        var unsigned = new UnsignedCommit(DID, tree.root(), rev);
        unsignedCommit = unsigned.encode();
        commit = unsigned.sign(key).encode();
        // The #commit event carries the blocks as a CAR, plus its fields: about their size and 300 bytes more.
        int eventSize = 300 + record.length + commit.length + path.stream().mapToInt(b -> b.length + 40).sum();
        event = new byte[eventSize];
        random.nextBytes(event);
        System.out.printf("check recordBytes=%d commitBytes=%d mstPathNodes=%d mstPathBytes=%s eventBytes=%d%n", record.length, commit.length,
                path.size(), path.stream().map(b -> Integer.toString(b.length)).toList(), eventSize);

        dir = Files.createTempDirectory("alteran-floor-");
        db = Database.openSqlite(dir.resolve("alteran.sqlite"));
        head = cid();
        db.write(c -> {
            try (var st = c.prepareStatement("INSERT INTO repo_root (did, cid, rev, indexed_at) VALUES (?, ?, ?, ?)")) {
                st.setString(1, DID);
                st.setBytes(2, head);
                st.setString(3, clock.next().toString());
                st.setString(4, "2026-12-05T16:00:00.000Z");
                st.executeUpdate();
            }
            return null;
        });
    }

    @TearDown
    public void tearDown() throws Exception {
        for (var st : new PreparedStatement[] {insertBlock, upsertRecord, deleteBlock, moveRoot, maxSeq, insertEvent}) {
            if (st != null) st.close();
        }
        db.close();
        try (var files = Files.walk(dir)) {
            for (var f : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        }
    }

    /** SHA-256 CID of the record block. */
    @Benchmark
    public Cid hashRecord() {
        return Cid.ofDagCbor(record);
    }

    /** SHA-256 CID of the signed commit block. */
    @Benchmark
    public Cid hashCommit() {
        return Cid.ofDagCbor(commit);
    }

    /** SHA-256 CIDs of the MST nodes on the new key's path. */
    @Benchmark
    public int hashMstPath() {
        int h = 0;
        for (var node : path) h += Cid.ofDagCbor(node).hashCode();
        return h;
    }

    /** One secp256k1 signature of the commit (its SHA-256, an RFC 6979 nonce, ECDSA, low-S). */
    @Benchmark
    public byte[] sign() {
        return key.sign(unsignedCommit);
    }

    /**
     * One SQLite transaction ({@link Database#write} takes the write lock first) with a commit's rows: the record, commit and path blocks; the record's index
     * row; the replaced path and commit blocks deleted; the head moved; the firehose event appended.
     */
    @Benchmark
    public long sqliteCommit() {
        return db.write(this::commitRows);
    }

    /** The floor: two hashes, one signature, one SQLite commit. */
    @Benchmark
    public long floor() {
        Cid.ofDagCbor(record);
        Cid.ofDagCbor(commit);
        key.sign(unsignedCommit);
        return db.write(this::commitRows);
    }

    /** The floor with the MST path's hashes. */
    @Benchmark
    public long floorWithMstPath() {
        hashMstPath();
        return floor();
    }

    private long commitRows(Connection c) throws SQLException {
        if (prepared != c) prepare(c);
        var rev = clock.next().toString();
        var now = "2026-12-05T16:00:00.000Z";
        var recordCid = cid();
        var commitCid = cid();
        var nodes = new ArrayList<byte[]>(path.size());
        insertBlock(recordCid, rev, record);
        insertBlock(commitCid, rev, commit);
        for (var node : path) {
            var cid = cid();
            nodes.add(cid);
            insertBlock(cid, rev, node);
        }
        insertBlock.executeBatch();
        upsertRecord.setString(1, "at://" + DID + "/" + POST + "/" + rev);
        upsertRecord.setBytes(2, recordCid);
        upsertRecord.setString(3, POST);
        upsertRecord.setString(4, rev);
        upsertRecord.setString(5, rev);
        upsertRecord.setString(6, now);
        upsertRecord.executeUpdate();
        for (var old : previousPath) {
            deleteBlock.setBytes(1, old);
            deleteBlock.addBatch();
        }
        deleteBlock.setBytes(1, head);
        deleteBlock.addBatch();
        deleteBlock.executeBatch();
        moveRoot.setBytes(1, commitCid);
        moveRoot.setString(2, rev);
        moveRoot.setString(3, now);
        moveRoot.setString(4, DID);
        moveRoot.setBytes(5, head);
        if (moveRoot.executeUpdate() != 1) throw new IllegalStateException("head moved");
        try (var rs = maxSeq.executeQuery()) {
            seq = (rs.next() ? rs.getLong(1) : 0) + 1;
        }
        insertEvent.setLong(1, seq);
        insertEvent.setString(2, DID);
        insertEvent.setString(3, "commit");
        insertEvent.setString(4, now);
        insertEvent.setBytes(5, event);
        insertEvent.executeUpdate();
        head = commitCid;
        previousPath = nodes;
        return seq;
    }

    private void insertBlock(byte[] cid, String rev, byte[] content) throws SQLException {
        insertBlock.setBytes(1, cid);
        insertBlock.setString(2, rev);
        insertBlock.setInt(3, content.length);
        insertBlock.setBytes(4, content);
        insertBlock.addBatch();
    }

    /** The statements the server's commit runs (cached per connection, as the server's writer does). */
    private void prepare(Connection c) throws SQLException {
        insertBlock = c.prepareStatement("INSERT INTO repo_block (cid, rev, size, content) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING");
        upsertRecord = c.prepareStatement("INSERT INTO record (uri, cid, collection, rkey, rev, indexed_at) VALUES (?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (uri) DO UPDATE SET cid = excluded.cid, rev = excluded.rev, indexed_at = excluded.indexed_at");
        deleteBlock = c.prepareStatement("DELETE FROM repo_block WHERE cid = ?");
        moveRoot = c.prepareStatement("UPDATE repo_root SET cid = ?, rev = ?, indexed_at = ? WHERE did = ? AND cid = ?");
        maxSeq = c.prepareStatement("SELECT MAX(seq) FROM seq_event");
        insertEvent = c.prepareStatement("INSERT INTO seq_event (seq, did, type, time, event) VALUES (?, ?, ?, ?, ?)");
        prepared = c;
    }

    /** A distinct CIDv1 (dag-cbor, SHA-256) of random bytes: the rows' keys, without hashing in the measured SQL part. */
    private byte[] cid() {
        var b = new byte[36];
        random.nextBytes(b);
        b[0] = 0x01;
        b[1] = 0x71;
        b[2] = 0x12;
        b[3] = 0x20;
        return b;
    }
}
