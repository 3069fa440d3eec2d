package dev.alteran.atproto.repo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.data.Cid;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class MstDiffTest {
    static List<MstDiff.Op> expectedOps(TreeMap<String, Cid> before, TreeMap<String, Cid> after) {
        var keys = new TreeSet<String>(before.keySet());
        keys.addAll(after.keySet());
        var ops = new ArrayList<MstDiff.Op>();
        for (var k : keys) {
            var a = before.get(k);
            var b = after.get(k);
            if (a == null) ops.add(MstDiff.Op.create(k, b));
            else if (b == null) ops.add(MstDiff.Op.delete(k, a));
            else if (!a.equals(b)) ops.add(MstDiff.Op.update(k, b, a));
        }
        return ops;
    }

    static TreeSet<Cid> nodeCids(Mst mst) {
        var out = new TreeSet<Cid>();
        mst.walkNodes((cid, bytes) -> out.add(cid));
        return out;
    }

    @Test
    void randomChangeSetsMatchTheModel() {
        var rnd = new Random(11);
        var pool = MstTest.randomKeys(rnd, 2000);
        for (int round = 0; round < 60; round++) {
            var before = new TreeMap<String, Cid>();
            for (var k : pool) if (rnd.nextInt(3) == 0) before.put(k, MstTest.valueCid(rnd.nextInt(5)));
            var after = new TreeMap<>(before);
            int changes = round < 30 ? 1 + rnd.nextInt(5) : rnd.nextInt(300);
            for (int i = 0; i < changes; i++) {
                var k = pool.get(rnd.nextInt(pool.size()));
                switch (rnd.nextInt(3)) {
                    case 0 -> after.put(k, MstTest.valueCid(1000 + i));
                    case 1 -> after.remove(k);
                    default -> { if (after.containsKey(k)) after.put(k, MstTest.valueCid(2000 + i)); }
                }
            }
            var store = new BlockMap();
            var a = Mst.build(store, before);
            store.putAll(a.newBlocks());
            a = Mst.load(store, a.root());
            var b = a;
            for (var op : expectedOps(before, after)) {
                b = switch (op.action()) {
                    case CREATE -> b.add(op.key(), op.cid());
                    case UPDATE -> b.update(op.key(), op.cid());
                    case DELETE -> b.delete(op.key());
                };
            }
            var diff = Mst.diff(a, b);
            assertThat(diff.ops()).containsExactlyElementsOf(expectedOps(before, after));

            // Blocks: exactly the node set difference in both directions.
            var nodesA = nodeCids(a);
            var nodesB = nodeCids(b);
            var added = new HashSet<>(nodesB);
            added.removeAll(nodesA);
            var removed = new HashSet<>(nodesA);
            removed.removeAll(nodesB);
            assertThat(diff.newBlocks().cids()).containsExactlyInAnyOrderElementsOf(added);
            assertThat(diff.removedCids()).containsExactlyInAnyOrderElementsOf(removed);
            for (var cid : diff.newBlocks().cids()) assertThat(cid.matches(diff.newBlocks().get(cid))).isTrue();

            // Reverse direction is the mirror image.
            var back = Mst.diff(b, a);
            assertThat(back.ops()).containsExactlyElementsOf(expectedOps(after, before));
            assertThat(back.newBlocks().cids()).containsExactlyInAnyOrderElementsOf(removed);
        }
    }

    @Test
    void diffOfEqualTreesIsEmptyAndFromEmptyListsEverything() {
        var model = new TreeMap<String, Cid>();
        for (var k : MstTest.randomKeys(new Random(2), 400)) model.put(k, MstTest.LEAF);
        var mst = Mst.build(BlockSource.empty(), model);
        var same = Mst.build(BlockSource.empty(), model);
        assertThat(Mst.diff(mst, same).isEmpty()).isTrue();
        assertThat(Mst.diff(mst, same).newBlocks().isEmpty()).isTrue();

        var empty = Mst.empty(BlockSource.empty());
        var all = Mst.diff(empty, mst);
        assertThat(all.ops()).hasSize(400).allMatch(op -> op.action() == MstDiff.Action.CREATE);
        assertThat(all.newBlocks().cids()).containsExactlyInAnyOrderElementsOf(nodeCids(mst));
        assertThat(all.removedCids()).containsExactly(empty.root());
        var none = Mst.diff(mst, empty);
        assertThat(none.ops()).hasSize(400).allMatch(op -> op.action() == MstDiff.Action.DELETE);
    }

    /** A one-key change in a big stored tree reads only the changed paths. */
    @Test
    void smallChangeTouchesFewNodes() {
        var model = new TreeMap<String, Cid>();
        for (var k : MstTest.randomKeys(new Random(8), 20_000)) model.put(k, MstTest.LEAF);
        var store = new BlockMap();
        var built = Mst.build(store, model);
        store.putAll(built.newBlocks());
        int[] reads = {0};
        BlockSource counting = cid -> {
            reads[0]++;
            return store.get(cid);
        };
        var a = Mst.load(counting, built.root());
        var b = a.update(model.firstKey(), MstTest.valueCid(1)).add("app.bsky.feed.post/zzzzzz", MstTest.LEAF);
        var diff = Mst.diff(a, b);
        assertThat(diff.ops()).hasSize(2);
        assertThat(reads[0]).isLessThan(60);
    }
}
