package dev.alteran.atproto.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.atproto.car.CarWriter;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RepoTest {
    static final String DID = "did:plc:testrepo";
    static final Keypair KEY = CommitTest.KEY;

    /** A record block store plus the repo's blocks. */
    final BlockMap store = new BlockMap();

    Cid record(String text) {
        return store.putObject(Map.of("$type", "app.bsky.feed.post", "text", text, "createdAt", "2024-01-01T00:00:00Z"));
    }

    Repo createRepo(int n, TreeMap<String, Cid> model) {
        for (int i = 0; i < n; i++) model.put("app.bsky.feed.post/3k" + String.format("%011d", i), record("post " + i));
        var created = Repo.create(store, DID, KEY, "3kaaaaaaaaa22", model);
        assertThat(created.ops()).hasSize(n);
        assertThat(created.since()).isNull();
        store.putAll(created.newBlocks());
        return Repo.load(store, created.cid());
    }

    byte[] car(Cid root, BlockSource blocks, Iterable<Cid> cids) {
        var out = new ByteArrayOutputStream();
        try (var w = new CarWriter(out, root)) {
            for (var cid : cids) w.write(cid, blocks.get(cid));
        }
        return out.toByteArray();
    }

    /** Every block reachable from the commit, as getRepo would export. */
    byte[] exportCar(Repo repo) {
        var cids = new ArrayList<Cid>();
        cids.add(repo.cid());
        repo.data().walkNodes((cid, bytes) -> cids.add(cid));
        repo.data().walk(e -> cids.add(e.value()));
        return car(repo.cid(), store, cids.stream().distinct().toList());
    }

    @Test
    void createApplyAndVerify() {
        var model = new TreeMap<String, Cid>();
        var repo = createRepo(200, model);
        assertThat(repo.did()).isEqualTo(DID);
        assertThat(repo.get(model.firstKey())).isEqualTo(model.firstEntry().getValue());

        var verified = RepoVerifier.verifyCar(exportCar(repo), DID, KEY.publicKey());
        assertThat(verified.recordCount()).isEqualTo(200);
        assertThat(verified.records()).isEqualTo(model);
        assertThat(verified.commitCid()).isEqualTo(repo.cid());

        var newKey = "app.bsky.feed.like/3kzzzzzzzzz22";
        var upKey = model.firstKey();
        var delKey = model.lastKey();
        List<Write> writes = List.of(new Write.Create(newKey, record("like")), new Write.Update(upKey, record("edited")),
                new Write.Delete(delKey));
        var prevCommit = repo.cid();
        var prevData = repo.data().root();
        var next = repo.applyWrites(writes, KEY, "3kaaaaaaaab22");
        assertThat(next.since()).isEqualTo("3kaaaaaaaaa22");
        assertThat(next.prevData()).isEqualTo(prevData);
        assertThat(next.ops()).extracting(MstDiff.Op::action, MstDiff.Op::key).containsExactly(
                org.assertj.core.groups.Tuple.tuple(MstDiff.Action.CREATE, newKey),
                org.assertj.core.groups.Tuple.tuple(MstDiff.Action.UPDATE, upKey),
                org.assertj.core.groups.Tuple.tuple(MstDiff.Action.DELETE, delKey));
        assertThat(next.removedCids()).contains(prevCommit);
        assertThat(next.newBlocks().has(next.cid())).isTrue();
        assertThat(next.commit().verify(KEY.publicKey())).isTrue();

        // The relevant blocks prove every op against the new commit.
        for (var op : next.ops()) {
            var expected = op.action() == MstDiff.Action.DELETE ? null : op.cid();
            assertThat(Proofs.verifyRecord(next.relevantBlocks(), next.cid(), DID, KEY.publicKey(), op.key()))
                    .isEqualTo(expected);
        }

        store.putAll(next.newBlocks());
        var reloaded = Repo.load(store, next.cid());
        model.put(newKey, reloaded.get(newKey));
        model.put(upKey, reloaded.get(upKey));
        model.remove(delKey);
        var verified2 = RepoVerifier.verifyCar(new ByteArrayInputStream(exportCar(reloaded)), DID, KEY.publicKey());
        assertThat(verified2.records()).isEqualTo(model);
        assertThat(next.repo().data().root()).isEqualTo(reloaded.data().root());
    }

    @Test
    void revMustIncreaseAndWritesMustFit() {
        var repo = createRepo(3, new TreeMap<>());
        assertThatThrownBy(() -> repo.applyWrites(List.of(), KEY, "3kaaaaaaaaa22")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> repo.applyWrites(List.of(new Write.Delete("app.bsky.feed.post/nope")), KEY, "3kaaaaaaaab22"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> repo.applyWrites(List.of(new Write.Update("app.bsky.feed.post/nope", record("x"))), KEY,
                "3kaaaaaaaab22")).isInstanceOf(IllegalArgumentException.class);
        var empty = repo.applyWrites(List.of(), KEY, "3kaaaaaaaab22");
        assertThat(empty.ops()).isEmpty();
        assertThat(empty.commit().data()).isEqualTo(repo.data().root());
    }

    @Test
    void verifierRejectsWrongKeyWrongDidAndMissingBlocks() {
        var model = new TreeMap<String, Cid>();
        var repo = createRepo(300, model);
        var car = exportCar(repo);
        var other = Keypair.generate(Curve.K256).publicKey();
        assertThatThrownBy(() -> RepoVerifier.verifyCar(car, DID, other)).isInstanceOf(RepoException.class)
                .hasMessageContaining("signature");
        assertThatThrownBy(() -> RepoVerifier.verifyCar(car, "did:plc:other", KEY.publicKey())).isInstanceOf(RepoException.class);

        var nodes = new ArrayList<Cid>();
        repo.data().walkNodes((cid, bytes) -> nodes.add(cid));
        var missingNode = nodes.get(nodes.size() / 2);
        var cids = new ArrayList<Cid>();
        cids.add(repo.cid());
        cids.addAll(nodes);
        cids.remove(missingNode);
        repo.data().walk(e -> cids.add(e.value()));
        var withoutNode = car(repo.cid(), store, cids);
        assertThatThrownBy(() -> RepoVerifier.verifyCar(withoutNode, DID, KEY.publicKey()))
                .isInstanceOf(MissingBlockException.class);

        var withoutRecord = new ArrayList<>(cids);
        withoutRecord.add(missingNode);
        var record = model.firstEntry().getValue();
        withoutRecord.remove(record);
        var noRecordCar = car(repo.cid(), store, withoutRecord);
        assertThatThrownBy(() -> RepoVerifier.verifyCar(noRecordCar, DID, KEY.publicKey()))
                .isInstanceOf(MissingBlockException.class);
        var blocks = new BlockMap(dev.alteran.atproto.car.CarReader.readAll(noRecordCar).blocks());
        assertThat(RepoVerifier.verify(blocks, repo.cid(), DID, KEY.publicKey(), false).recordCount()).isEqualTo(300);
    }

    @Test
    void verifierRejectsABlockThatDoesNotMatchItsCid() {
        var repo = createRepo(50, new TreeMap<>());
        var blocks = new BlockMap(store.asMap());
        var node = repo.data().root();
        var bytes = blocks.get(node).clone();
        bytes[bytes.length - 1] ^= 1;
        blocks.put(node, bytes);
        assertThatThrownBy(() -> RepoVerifier.verify(blocks, repo.cid(), DID, KEY.publicKey(), true))
                .isInstanceOf(RepoException.class);
        assertThat(DagCbor.decode(store.get(repo.cid()))).isNotNull();
    }
}
