package dev.alteran.atproto.repo;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/** A mutable, insertion-ordered set of blocks: the new blocks of a commit, a proof, an in-memory store. */
public final class BlockMap implements BlockSource {
    private final LinkedHashMap<Cid, byte[]> blocks = new LinkedHashMap<>();

    public BlockMap() {}

    public BlockMap(Map<Cid, byte[]> blocks) {
        this.blocks.putAll(blocks);
    }

    @Override
    public byte[] get(Cid cid) {
        return blocks.get(cid);
    }

    @Override
    public boolean has(Cid cid) {
        return blocks.containsKey(cid);
    }

    public BlockMap put(Cid cid, byte[] bytes) {
        blocks.put(cid, bytes);
        return this;
    }

    /** Encodes {@code value} as DAG-CBOR, stores it and returns its CID. */
    public Cid putObject(Object value) {
        var bytes = DagCbor.encode(value);
        var cid = Cid.ofDagCbor(bytes);
        blocks.put(cid, bytes);
        return cid;
    }

    public BlockMap putAll(BlockMap other) {
        blocks.putAll(other.blocks);
        return this;
    }

    public byte[] remove(Cid cid) {
        return blocks.remove(cid);
    }

    public int size() {
        return blocks.size();
    }

    public boolean isEmpty() {
        return blocks.isEmpty();
    }

    /** Total size of the block bytes. */
    public long byteSize() {
        long n = 0;
        for (var b : blocks.values()) n += b.length;
        return n;
    }

    public Set<Cid> cids() {
        return Collections.unmodifiableSet(blocks.keySet());
    }

    public Map<Cid, byte[]> asMap() {
        return Collections.unmodifiableMap(blocks);
    }

    public void forEach(BiConsumer<Cid, byte[]> action) {
        blocks.forEach(action);
    }

    @Override
    public String toString() {
        return "BlockMap" + blocks.keySet();
    }
}
