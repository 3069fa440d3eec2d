package dev.alteran.atproto.repo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.data.Cid;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** interop/firehose/commit-proof-fixtures.json: roots, proof contents, and inverting each commit from its proof alone. */
class CommitProofFixturesTest {
    static Stream<JsonNode> fixtures() throws IOException {
        var all = MstKeysTest.json("firehose/commit-proof-fixtures.json");
        assertThat(all.size()).isGreaterThan(0);
        var list = new ArrayList<JsonNode>();
        all.forEach(list::add);
        return list.stream();
    }

    static List<String> strings(JsonNode array) {
        var out = new ArrayList<String>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void fixture(JsonNode f) {
        var leaf = Cid.parse(f.get("leafValue").asText());
        var adds = strings(f.get("adds"));
        var dels = strings(f.get("dels"));

        var store = new BlockMap();
        var mst = Mst.empty(store);
        for (var k : strings(f.get("keys"))) mst = mst.add(k, leaf);
        assertThat(mst.root()).hasToString(f.get("rootBeforeCommit").asText());
        var before = mst;

        for (var k : adds) mst = mst.add(k, leaf);
        for (var k : dels) mst = mst.delete(k);
        var rootAfter = mst.root();
        assertThat(rootAfter).hasToString(f.get("rootAfterCommit").asText());

        var opKeys = new ArrayList<String>(adds);
        opKeys.addAll(dels);
        var proof = Proofs.forKeys(mst, opKeys);
        var expected = strings(f.get("blocksInProof")).stream().map(Cid::parse).toList();
        assertThat(proof.cids()).containsExactlyInAnyOrderElementsOf(expected);
        for (var cid : proof.cids()) assertThat(cid.matches(proof.get(cid))).isTrue();

        // Every op is provable from the proof alone.
        for (var k : adds) assertThat(Proofs.verifyKey(proof, rootAfter, k)).isEqualTo(leaf);
        for (var k : dels) assertThat(Proofs.verifyKey(proof, rootAfter, k)).isNull();

        // Inverting the ops, in every order, using only the proof blocks restores the previous root.
        var inverse = new ArrayList<UnaryOperator<Mst>>();
        for (var k : adds) inverse.add(t -> t.delete(k));
        for (var k : dels) inverse.add(t -> t.add(k, leaf));
        for (var order : permutations(inverse)) {
            var t = Mst.load(proof, rootAfter);
            for (var op : order) t = op.apply(t);
            assertThat(t.root()).hasToString(f.get("rootBeforeCommit").asText());
        }

        // The diff sees exactly the fixture's ops.
        var diff = Mst.diff(before, mst);
        assertThat(diff.ops()).extracting(MstDiff.Op::key).containsExactlyInAnyOrderElementsOf(
                opKeys.stream().filter(k -> !(adds.contains(k) && dels.contains(k))).toList());
    }

    static <T> List<List<T>> permutations(List<T> items) {
        if (items.size() <= 1) return List.of(items);
        var out = new ArrayList<List<T>>();
        for (int i = 0; i < items.size(); i++) {
            var rest = new ArrayList<>(items);
            var head = rest.remove(i);
            for (var p : permutations(rest)) {
                var l = new ArrayList<T>();
                l.add(head);
                l.addAll(p);
                out.add(l);
            }
        }
        return out;
    }
}
