package dev.alteran.atproto.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.atproto.data.Cid;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MstTest {
    static final Cid LEAF = Cid.parse("bafyreie5cvv4h45feadgeuwhbcutmh6t2ceseocckahdoe6uat64zmz454");
    static final String P = "com.example.record/";

    static Cid valueCid(int i) {
        return Cid.ofRaw(("value-" + i).getBytes());
    }

    static Mst addAll(Mst mst, String... keys) {
        for (var k : keys) mst = mst.add(k, LEAF);
        return mst;
    }

    @Test
    void emptyTreeRoot() {
        var mst = Mst.empty(BlockSource.empty());
        assertThat(mst.size()).isZero();
        assertThat(mst.root()).hasToString("bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm");
    }

    @Test
    void trivialTreeRoot() {
        var mst = addAll(Mst.empty(BlockSource.empty()), P + "3jqfcqzm3fo2j");
        assertThat(mst.size()).isEqualTo(1);
        assertThat(mst.root()).hasToString("bafyreibj4lsc3aqnrvphp5xmrnfoorvru4wynt6lwidqbm2623a6tatzdu");
    }

    @Test
    void singleKeyAtLayerTwo() {
        var mst = addAll(Mst.empty(BlockSource.empty()), P + "3jqfcqzm3fx2j");
        assertThat(mst.layer()).isEqualTo(2);
        assertThat(mst.root()).hasToString("bafyreih7wfei65pxzhauoibu3ls7jgmkju4bspy4t2ha2qdjnzqvoy33ai");
    }

    @Test
    void simpleTreeRoot() {
        var mst = addAll(Mst.empty(BlockSource.empty()), P + "3jqfcqzm3fp2j", P + "3jqfcqzm3fr2j",
                P + "3jqfcqzm3fs2j", P + "3jqfcqzm3ft2j", P + "3jqfcqzm4fc2j");
        assertThat(mst.size()).isEqualTo(5);
        assertThat(mst.root()).hasToString("bafyreicmahysq4n6wfuxo522m6dpiy7z7qzym3dzs756t5n7nfdgccwq7m");
    }

    @Test
    void trimsTopOnDelete() {
        var mst = addAll(Mst.empty(BlockSource.empty()), P + "3jqfcqzm3fn2j", P + "3jqfcqzm3fo2j",
                P + "3jqfcqzm3fp2j", P + "3jqfcqzm3fs2j", P + "3jqfcqzm3ft2j", P + "3jqfcqzm3fu2j");
        assertThat(mst.layer()).isEqualTo(1);
        assertThat(mst.root()).hasToString("bafyreifnqrwbk6ffmyaz5qtujqrzf5qmxf7cbxvgzktl4e3gabuxbtatv4");
        mst = mst.delete(P + "3jqfcqzm3fs2j");
        assertThat(mst.size()).isEqualTo(5);
        assertThat(mst.layer()).isZero();
        assertThat(mst.root()).hasToString("bafyreie4kjuxbwkhzg2i5dljaswcroeih4dgiqq6pazcmunwt2byd725vi");
    }

    @Test
    void insertionThatSplitsTwoLayersDown() {
        var l1 = "bafyreiettyludka6fpgp33stwxfuwhkzlur6chs4d2v4nkmq2j3ogpdjem";
        var l2 = "bafyreid2x5eqs4w4qxvc5jiwda4cien3gw2q6cshofxwnvv7iucrmfohpm";
        var mst = addAll(Mst.empty(BlockSource.empty()), P + "3jqfcqzm3fo2j", P + "3jqfcqzm3fp2j",
                P + "3jqfcqzm3fr2j", P + "3jqfcqzm3fs2j", P + "3jqfcqzm3ft2j", P + "3jqfcqzm3fz2j",
                P + "3jqfcqzm4fc2j", P + "3jqfcqzm4fd2j", P + "3jqfcqzm4ff2j", P + "3jqfcqzm4fg2j",
                P + "3jqfcqzm4fh2j");
        assertThat(mst.layer()).isEqualTo(1);
        assertThat(mst.root()).hasToString(l1);
        mst = mst.add(P + "3jqfcqzm3fx2j", LEAF);
        assertThat(mst.size()).isEqualTo(12);
        assertThat(mst.layer()).isEqualTo(2);
        assertThat(mst.root()).hasToString(l2);
        mst = mst.delete(P + "3jqfcqzm3fx2j");
        assertThat(mst.layer()).isEqualTo(1);
        assertThat(mst.root()).hasToString(l1);
    }

    @Test
    void newLayersTwoAboveExisting() {
        var l0 = "bafyreidfcktqnfmykz2ps3dbul35pepleq7kvv526g47xahuz3rqtptmky";
        var l2 = "bafyreiavxaxdz7o7rbvr3zg2liox2yww46t7g6hkehx4i4h3lwudly7dhy";
        var l2b = "bafyreig4jv3vuajbsybhyvb7gggvpwh2zszwfyttjrj6qwvcsp24h6popu";
        var mst = addAll(Mst.empty(BlockSource.empty()), P + "3jqfcqzm3ft2j", P + "3jqfcqzm3fz2j");
        assertThat(mst.layer()).isZero();
        assertThat(mst.root()).hasToString(l0);
        mst = mst.add(P + "3jqfcqzm3fx2j", LEAF);
        assertThat(mst.layer()).isEqualTo(2);
        assertThat(mst.root()).hasToString(l2);
        mst = mst.delete(P + "3jqfcqzm3fx2j");
        assertThat(mst.layer()).isZero();
        assertThat(mst.root()).hasToString(l0);
        mst = addAll(mst, P + "3jqfcqzm3fx2j", P + "3jqfcqzm4fd2j");
        assertThat(mst.size()).isEqualTo(4);
        assertThat(mst.root()).hasToString(l2b);
        mst = mst.delete(P + "3jqfcqzm4fd2j");
        assertThat(mst.root()).hasToString(l2);
    }

    @Test
    void rejectsInvalidKeysAndDuplicates() {
        var mst = Mst.empty(BlockSource.empty());
        assertThatThrownBy(() -> mst.add("asdf", LEAF)).isInstanceOf(InvalidMstKeyException.class);
        assertThatThrownBy(() -> mst.add("coll/a b", LEAF)).isInstanceOf(InvalidMstKeyException.class);
        var one = mst.add("coll/a", LEAF);
        assertThatThrownBy(() -> one.add("coll/a", LEAF)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> one.update("coll/b", LEAF)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> one.delete("coll/b")).isInstanceOf(IllegalArgumentException.class);
        assertThat(one.delete("coll/a").root()).isEqualTo(mst.root());
    }

    static List<String> randomKeys(Random rnd, int n) {
        var keys = new ArrayList<String>();
        var seen = new java.util.HashSet<String>();
        String[] colls = {"app.bsky.feed.post", "app.bsky.feed.like", "app.bsky.graph.follow"};
        while (keys.size() < n) {
            var k = colls[rnd.nextInt(colls.length)] + "/" + Long.toString(rnd.nextLong() >>> 1, 32);
            if (seen.add(k)) keys.add(k);
        }
        return keys;
    }

    @Test
    void exampleKeysInAnyOrderGiveTheSameRoot() throws Exception {
        var keys = new ArrayList<>(MstKeysTest.exampleKeys());
        var rnd = new Random(7);
        var built = Mst.build(BlockSource.empty(), toMap(keys));
        for (int round = 0; round < 20; round++) {
            Collections.shuffle(keys, rnd);
            var mst = Mst.empty(BlockSource.empty());
            for (var k : keys) mst = mst.add(k, LEAF);
            assertThat(mst.root()).isEqualTo(built.root());
            // Deleting half in random order gives the tree of the other half.
            var rest = new ArrayList<>(keys);
            for (var k : keys.subList(0, keys.size() / 2)) {
                mst = mst.delete(k);
                rest.remove(k);
            }
            assertThat(mst.root()).isEqualTo(Mst.build(BlockSource.empty(), toMap(rest)).root());
        }
    }

    static Map<String, Cid> toMap(List<String> keys) {
        var m = new HashMap<String, Cid>();
        for (var k : keys) m.put(k, LEAF);
        return m;
    }

    @Test
    void bulkBuildMatchesIncrementalAdds() {
        var rnd = new Random(1);
        var keys = randomKeys(rnd, 2000);
        var values = new TreeMap<String, Cid>();
        for (int i = 0; i < keys.size(); i++) values.put(keys.get(i), valueCid(i));
        var mst = Mst.empty(BlockSource.empty());
        for (var e : values.entrySet()) mst = mst.add(e.getKey(), e.getValue());
        var built = Mst.build(BlockSource.empty(), values);
        assertThat(built.root()).isEqualTo(mst.root());
        assertThat(built.size()).isEqualTo(2000);
    }

    @Test
    void randomOpsMatchATreeMapModel() {
        var rnd = new Random(42);
        var pool = randomKeys(rnd, 3000);
        var model = new TreeMap<String, Cid>();
        var store = new BlockMap();
        var mst = Mst.empty(store);
        for (int op = 0; op < 10_000; op++) {
            var key = pool.get(rnd.nextInt(pool.size()));
            var value = valueCid(op);
            if (!model.containsKey(key)) {
                mst = mst.add(key, value);
                model.put(key, value);
            } else if (rnd.nextBoolean()) {
                mst = mst.update(key, value);
                model.put(key, value);
            } else {
                mst = mst.delete(key);
                model.remove(key);
            }
            if (op % 1000 == 999) {
                assertMatches(mst, model);
                // Persist and reload: the stored tree must read back the same.
                store.putAll(mst.newBlocks());
                var reloaded = Mst.load(store, mst.root());
                assertMatches(reloaded, model);
                assertThat(reloaded.root()).isEqualTo(Mst.build(BlockSource.empty(), model).root());
                mst = reloaded; // keep editing the lazily loaded tree
            }
        }
    }

    static void assertMatches(Mst mst, TreeMap<String, Cid> model) {
        var entries = new ArrayList<Mst.Entry>();
        mst.forEach(entries::add);
        assertThat(entries).containsExactlyElementsOf(
                model.entrySet().stream().map(e -> new Mst.Entry(e.getKey(), e.getValue())).toList());
        for (var e : model.entrySet()) assertThat(mst.get(e.getKey())).isEqualTo(e.getValue());
        assertThat(mst.get("zzz/absent")).isNull();
    }

    @Test
    void listsAfterAndByPrefix() {
        var rnd = new Random(3);
        var keys = randomKeys(rnd, 500);
        var model = new TreeMap<String, Cid>();
        for (var k : keys) model.put(k, LEAF);
        var mst = Mst.build(BlockSource.empty(), model);
        var likes = mst.listPrefix("app.bsky.feed.like/", 1000);
        assertThat(likes).extracting(Mst.Entry::key)
                .containsExactlyElementsOf(model.subMap("app.bsky.feed.like/", "app.bsky.feed.like0").keySet());
        var after = model.keySet().stream().skip(100).findFirst().orElseThrow();
        assertThat(mst.list(after, 10)).extracting(Mst.Entry::key)
                .containsExactlyElementsOf(model.tailMap(after, false).keySet().stream().limit(10).toList());
        assertThat(mst.list(null, 3)).extracting(Mst.Entry::key)
                .containsExactlyElementsOf(model.keySet().stream().limit(3).toList());
        assertThat(mst.list("app.bsky.feed.like/", 5)).extracting(Mst.Entry::key)
                .containsExactlyElementsOf(model.tailMap("app.bsky.feed.like/", false).keySet().stream().limit(5).toList());
        assertThat(mst.listPrefix("zzz/", 10)).isEmpty();
    }

    @Test
    void newBlocksAreExactlyWhatTheStoreLacks() {
        var store = new BlockMap();
        var mst = Mst.build(store, toMap(randomKeys(new Random(5), 1000)));
        var first = mst.newBlocks();
        var nodes = new ArrayList<Cid>();
        mst.walkNodes((cid, bytes) -> nodes.add(cid));
        assertThat(first.cids()).containsExactlyInAnyOrderElementsOf(nodes);
        store.putAll(first);
        assertThat(mst.newBlocks().isEmpty()).isTrue();

        var loaded = Mst.load(store, mst.root());
        var edited = loaded.add("app.bsky.feed.post/zzzz", LEAF);
        var fresh = edited.newBlocks();
        assertThat(fresh.size()).isBetween(1, 2 * (edited.layer() + 1));
        for (var cid : fresh.cids()) {
            assertThat(store.has(cid)).isFalse();
            assertThat(cid.matches(fresh.get(cid))).isTrue();
        }
        store.putAll(fresh);
        assertThat(Mst.load(store, edited.root()).get("app.bsky.feed.post/zzzz")).isEqualTo(LEAF);
    }

    @Test
    void missingBlockIsReported() {
        var store = new BlockMap();
        var mst = Mst.build(store, toMap(randomKeys(new Random(6), 300)));
        var blocks = mst.newBlocks();
        var victim = blocks.cids().stream().skip(1).findFirst().orElseThrow();
        blocks.remove(victim);
        var loaded = Mst.load(blocks, mst.root());
        assertThatThrownBy(loaded::size).isInstanceOf(MissingBlockException.class)
                .satisfies(e -> assertThat(((MissingBlockException) e).cid()).isEqualTo(victim));
    }

    /** Counts reads, so a test can tell a decoded node from a stub that goes back to the store. */
    static final class CountingSource implements BlockSource {
        final BlockMap blocks = new BlockMap();
        int reads;

        @Override
        public byte[] get(Cid cid) {
            reads++;
            return blocks.get(cid);
        }
    }

    @Test
    void aSettledTreeKeepsTheNodesItsEditsBuiltAndDropsTheNodesItRead() {
        var store = new CountingSource();
        var keys = new ArrayList<String>();
        var mst = Mst.empty(store);
        for (int i = 0; i < 2_000; i++) {
            keys.add(P + String.format("%013d", i));
            mst = mst.add(keys.getLast(), valueCid(i));
        }
        store.blocks.putAll(mst.newBlocks());
        var loaded = Mst.load(store, mst.root());
        loaded.walk(e -> {}); // every node read and decoded
        store.reads = 0;
        loaded.walk(e -> {});
        assertThat(store.reads).as("a loaded tree keeps what it read").isZero();

        var last = P + String.format("%013d", 2_000);
        var edited = loaded.add(last, valueCid(2_000));
        store.blocks.putAll(edited.newBlocks());
        var settled = edited.settled();
        assertThat(settled.root()).isEqualTo(edited.root());
        assertThat(settled.newBlocks().isEmpty()).as("everything in it is stored").isTrue();

        // The next key after the last one is on the path the edit built: no read.
        store.reads = 0;
        var next = settled.add(P + String.format("%013d", 2_001), valueCid(2_001));
        assertThat(next.root()).isEqualTo(edited.add(P + String.format("%013d", 2_001), valueCid(2_001)).root());
        assertThat(store.reads).isZero();

        // The rest went back to being stubs: walking the tree reads them again, and finds every entry.
        var seen = new ArrayList<String>();
        settled.walk(e -> seen.add(e.key()));
        keys.add(last);
        assertThat(seen).containsExactlyElementsOf(keys);
        assertThat(store.reads).isGreaterThan(keys.size() / 16);
    }
}
