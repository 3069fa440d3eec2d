package dev.alteran.pds.store;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.repo.BlockSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code repo_block} table as a {@link BlockSource}, with a bounded LRU cache in front: the MST
 * reads the same few nodes (root, upper layers) over and over, and a cached node costs no query.
 * Reads use the read pool, so they see committed blocks only; the cache holds committed blocks only
 * too ({@link #cacheCommitted} after the transaction, {@link #evict} for removed blocks), so
 * {@link #has} never claims a block a rolled-back transaction wrote.
 */
public final class SqlBlockSource implements BlockSource {
    /**
     * Default cache budget: a few thousand MST nodes, the hot top of even a large repository (the head
     * keeps only the paths its latest commit built, and reads other nodes again from here).
     */
    public static final long DEFAULT_CACHE_BYTES = 16L << 20;

    private final Database db;
    private final BlockCache cache;

    public SqlBlockSource(Database db) {
        this(db, DEFAULT_CACHE_BYTES);
    }

    public SqlBlockSource(Database db, long cacheBytes) {
        this.db = db;
        this.cache = new BlockCache(cacheBytes);
    }

    @Override
    public byte[] get(Cid cid) {
        var cached = cache.get(cid);
        if (cached != null) return cached;
        var bytes = db.read(c -> read(c, cid));
        if (bytes != null) cache.put(cid, bytes);
        return bytes;
    }

    @Override
    public boolean has(Cid cid) {
        return get(cid) != null;
    }

    /** A block read on the given connection (inside a write transaction, it sees that transaction's writes). */
    public static byte[] read(Connection c, Cid cid) throws SQLException {
        try (var st = c.prepareStatement("SELECT content FROM repo_block WHERE cid = ?")) {
            st.setBytes(1, cid.bytes());
            try (var rs = st.executeQuery()) {
                return rs.next() ? rs.getBytes(1) : null;
            }
        }
    }

    /**
     * Inserts blocks written by the commit {@code rev}, on the writer inside its transaction; a block
     * already stored is left as it is (same CID, same bytes).
     */
    public void insert(Connection c, Map<Cid, byte[]> blocks, String rev) throws SQLException {
        var changes = new BlockChanges();
        changes.add(rev, blocks);
        var writes = new PendingWrites(db, c);
        write(writes, changes);
        writes.send();
    }

    /**
     * Adds {@code changes} to a transaction's {@code writes}: the deletes, then the inserts (a block
     * already stored is left as it is). On PostgreSQL each is one statement over arrays
     * ({@link Dialect#insertBlocksFromArrays}).
     */
    void write(PendingWrites writes, BlockChanges changes) throws SQLException {
        var deletes = changes.deletes();
        var deleteArray = db.dialect().deleteBlocksInArray();
        if (deleteArray != null && !deletes.isEmpty()) {
            writes.add(deleteArray, writes.array("bytea", deletes.stream().map(Cid::bytes).toArray(byte[][]::new)));
        } else {
            for (var cid : deletes) writes.add("DELETE FROM repo_block WHERE cid = ?", (Object) cid.bytes());
        }

        var inserts = changes.inserts();
        var insertArrays = db.dialect().insertBlocksFromArrays();
        if (insertArrays != null && !inserts.isEmpty()) {
            var revs = new String[inserts.size()];
            var cids = new byte[inserts.size()][];
            var contents = new byte[inserts.size()][];
            int i = 0;
            for (var e : inserts.entrySet()) {
                revs[i] = e.getValue().rev();
                cids[i] = e.getKey().bytes();
                contents[i++] = e.getValue().content();
            }
            writes.add(insertArrays, writes.array("text", revs), writes.array("bytea", cids), writes.array("bytea", contents));
        } else {
            inserts.forEach((cid, block) -> writes.add("INSERT INTO repo_block (cid, rev, size, content) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    cid.bytes(), block.rev(), block.content().length, block.content()));
        }
    }

    /** Adds deletes of the record blocks that no record row points at any more (a deleted record's content may be shared). */
    void deleteUnreferenced(PendingWrites writes, Collection<Cid> cids) throws SQLException {
        for (var cid : cids) {
            var bytes = cid.bytes();
            writes.add("DELETE FROM repo_block WHERE cid = ? AND NOT EXISTS (SELECT 1 FROM record WHERE record.cid = ?)", bytes, bytes);
        }
    }

    /** Warms the cache with blocks a transaction has just committed. */
    public void cacheCommitted(Map<Cid, byte[]> blocks) {
        blocks.forEach(cache::put);
    }

    public void evict(Collection<Cid> cids) {
        cids.forEach(cache::remove);
    }

    /** Forgets every cached block (the repository was replaced wholesale). */
    public void clearCache() {
        cache.clear();
    }

    /** Bytes currently cached (for tests and metrics). */
    public long cachedBytes() {
        return cache.bytes();
    }

    /** LRU by total block size. One lock: entries are small and hits are a map lookup. */
    static final class BlockCache {
        private final long maxBytes;
        private final LinkedHashMap<Cid, byte[]> map = new LinkedHashMap<>(256, 0.75f, true);
        private long bytes;

        BlockCache(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        synchronized byte[] get(Cid cid) {
            return map.get(cid);
        }

        synchronized void put(Cid cid, byte[] block) {
            if (block.length > maxBytes / 4) return; // one huge block must not flush the cache
            var old = map.put(cid, block);
            bytes += block.length - (old == null ? 0 : old.length);
            var it = map.values().iterator();
            while (bytes > maxBytes && it.hasNext()) {
                bytes -= it.next().length;
                it.remove();
            }
        }

        synchronized void remove(Cid cid) {
            var old = map.remove(cid);
            if (old != null) bytes -= old.length;
        }

        synchronized void clear() {
            map.clear();
            bytes = 0;
        }

        synchronized long bytes() {
            return bytes;
        }
    }
}
