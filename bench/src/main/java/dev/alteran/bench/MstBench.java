package dev.alteran.bench;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.repo.BlockMap;
import dev.alteran.atproto.repo.Mst;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * MST over realistic keys ({@code app.bsky.feed.post/<13-char TID>}): building a large tree from
 * empty, and a run of single-record updates on it each followed by computing the new root (what a
 * commit does).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MstBench {
    @Param({"100000"})
    int size;

    @Param({"1000"})
    int updates;

    List<String> keys;
    List<Cid> values;
    Cid[] updateValues;
    int[] updateIndexes;
    BlockMap store;
    Cid storedRoot;

    static final String TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz";

    @Setup
    public void setup() {
        var rnd = new Random(42);
        var seen = new java.util.HashSet<String>();
        keys = new ArrayList<>(size);
        values = new ArrayList<>(size);
        long micros = 1_700_000_000_000_000L;
        while (keys.size() < size) {
            micros += 1 + rnd.nextInt(5_000_000);
            var key = "app.bsky.feed.post/" + tid(micros, rnd.nextInt(1024));
            if (seen.add(key)) {
                keys.add(key);
                values.add(Cid.ofDagCbor(("record " + keys.size()).getBytes()));
            }
        }
        Collections.shuffle(keys, rnd); // insertion order is random
        updateIndexes = new int[updates];
        updateValues = new Cid[updates];
        for (int i = 0; i < updates; i++) {
            updateIndexes[i] = rnd.nextInt(size);
            updateValues[i] = Cid.ofDagCbor(("update " + i).getBytes());
        }
        var map = new HashMap<String, Cid>();
        for (int i = 0; i < size; i++) map.put(keys.get(i), values.get(i));
        store = new BlockMap();
        var mst = Mst.build(store, map);
        store.putAll(mst.newBlocks());
        storedRoot = mst.root();
        System.out.println("check mstRoot=" + storedRoot + " mstRootAfterUpdates=" + updates().toString());
    }

    static String tid(long micros, int clock) {
        long v = (micros << 10) | clock;
        var sb = new char[13];
        for (int i = 12; i >= 0; i--) {
            sb[i] = TID_CHARS.charAt((int) (v & 31));
            v >>>= 5;
        }
        return new String(sb);
    }

    /** 100k adds in random order from an empty tree, then the root CID (encodes every node). */
    @Benchmark
    public Cid buildByAdds() {
        var mst = Mst.empty(store);
        for (int i = 0; i < size; i++) mst = mst.add(keys.get(i), values.get(i));
        return mst.root();
    }

    /** The same tree from the bulk builder. */
    @Benchmark
    public Cid buildBulk() {
        var map = new HashMap<String, Cid>(size * 2);
        for (int i = 0; i < size; i++) map.put(keys.get(i), values.get(i));
        return Mst.build(store, map).root();
    }

    /** 1,000 random updates on the stored 100k tree (loaded lazily), the root computed after each. */
    @Benchmark
    public Cid updates() {
        var mst = Mst.load(store, storedRoot);
        for (int i = 0; i < updates; i++) {
            mst = mst.update(keys.get(updateIndexes[i]), updateValues[i]);
            mst.root();
        }
        return mst.root();
    }

    /** As {@link #updates()}, also collecting and storing each update's new blocks (the commit-side MST work). */
    @Benchmark
    public int updatesWithNewBlocks() {
        var written = new BlockMap();
        var mst = Mst.load(written.or(store), storedRoot);
        int blocks = 0;
        for (int i = 0; i < updates; i++) {
            mst = mst.update(keys.get(updateIndexes[i]), updateValues[i]);
            var fresh = mst.newBlocks();
            written.putAll(fresh);
            blocks += fresh.size();
        }
        return blocks;
    }
}
