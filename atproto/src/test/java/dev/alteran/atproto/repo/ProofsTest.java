package dev.alteran.atproto.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.atproto.data.Cid;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ProofsTest {
    static Mst tree(TreeMap<String, Cid> model) {
        for (var k : MstTest.randomKeys(new Random(21), 3000)) model.put(k, MstTest.valueCid(k.hashCode()));
        return Mst.build(BlockSource.empty(), model);
    }

    @Test
    void provesPresenceAndAbsence() {
        var model = new TreeMap<String, Cid>();
        var mst = tree(model);
        var root = mst.root();
        int checked = 0;
        for (var k : model.keySet()) {
            if (checked++ % 10 != 0) continue;
            var proof = Proofs.forKey(mst, k);
            assertThat(proof.size()).isLessThan(40);
            assertThat(Proofs.verifyKey(proof, root, k)).isEqualTo(model.get(k));
            // Absent neighbours of a present key are provable from small proofs too.
            var absent = k + "0";
            if (!model.containsKey(absent)) {
                assertThat(Proofs.verifyKey(Proofs.forKey(mst, absent), root, absent)).isNull();
            }
        }
        for (var absent : new String[] {"a/a", "zzzz/z", "app.bsky.feed.like/0", "app.bsky.feed.post/~"}) {
            assertThat(Proofs.verifyKey(Proofs.forKey(mst, absent), root, absent)).isNull();
        }
    }

    @Test
    void proofOfOneKeyDoesNotProveAnother() {
        var model = new TreeMap<String, Cid>();
        var mst = tree(model);
        var first = model.firstKey();
        var last = model.lastKey();
        var proof = Proofs.forKey(mst, first);
        assertThatThrownBy(() -> Proofs.verifyKey(proof, mst.root(), last)).isInstanceOf(MissingBlockException.class);
    }

    @Test
    void rejectsTamperedBlocks() {
        var model = new TreeMap<String, Cid>();
        var mst = tree(model);
        var key = model.firstKey();
        var proof = Proofs.forKey(mst, key);
        var forged = new BlockMap();
        proof.forEach((cid, bytes) -> {
            var copy = bytes.clone();
            if (cid.equals(mst.root())) copy[copy.length - 1] ^= 1;
            forged.put(cid, copy);
        });
        assertThatThrownBy(() -> Proofs.verifyKey(forged, mst.root(), key)).isInstanceOf(RepoException.class);
    }

    /** A well-formed tree whose key sits at the wrong layer is rejected as a proof. */
    @Test
    void rejectsKeysAtTheWrongLayer() {
        var blocks = new BlockMap();
        var rootKey = "app.bsky.feed.post/a7";
        var wrong = "com.example.record/3jqfcqzm3fx2j"; // height 2, placed in a layer-0 node under a layer-1 root
        assertThat(MstKeys.height(rootKey)).isEqualTo(1);
        assertThat(MstKeys.height(wrong)).isEqualTo(2);
        var leafNode = Node.built(0, new String[] {wrong}, new Cid[] {MstTest.LEAF}, new Node[2]);
        var rootNode = Node.built(1, new String[] {rootKey}, new Cid[] {MstTest.LEAF}, new Node[] {null, leafNode});
        for (var n : new Node[] {leafNode, rootNode}) blocks.put(n.block().cid(), n.block().bytes());
        assertThatThrownBy(() -> Proofs.verifyKey(blocks, rootNode.cid(), wrong)).isInstanceOf(RepoException.class);
    }
}
