package dev.alteran.atproto.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.data.Cid;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RepoWalkTest {
    static final String DID = RepoTest.DID;
    static final Keypair KEY = RepoTest.KEY;

    final BlockMap store = new BlockMap();

    Repo create(int n) {
        var model = new TreeMap<String, Cid>();
        for (int i = 0; i < n; i++) {
            model.put("app.bsky.feed.post/3k" + String.format("%011d", i),
                    store.putObject(Map.of("$type", "app.bsky.feed.post", "text", "post " + i)));
        }
        var created = Repo.create(store, DID, KEY, "3kaaaaaaaaa22", model);
        store.putAll(created.newBlocks());
        return Repo.load(store, created.cid());
    }

    /** Collects everything a walk reports. */
    static final class Recorder implements RepoWalk.Visitor {
        final List<Cid> nodes = new ArrayList<>();
        final List<String> keys = new ArrayList<>();
        final List<RepoException> problems = new ArrayList<>();
        Cid commit;

        @Override
        public void commit(Cid cid, byte[] bytes, Commit c) {
            commit = cid;
        }

        @Override
        public void node(Cid cid, byte[] bytes) {
            assertThat(cid.matches(bytes)).isTrue();
            nodes.add(cid);
        }

        @Override
        public void record(String key, Cid cid, byte[] bytes) {
            keys.add(key);
        }

        @Override
        public void problem(RepoException problem) {
            problems.add(problem);
        }
    }

    @Test
    void visitsTheCommitEveryNodeOnceAndEveryRecordInKeyOrder() {
        var repo = create(500);
        var r = new Recorder();
        var commit = RepoWalk.walk(store, repo.cid(), DID, KEY.publicKey(), true, r);
        assertThat(commit.data()).isEqualTo(repo.data().root());
        assertThat(r.problems).isEmpty();
        assertThat(r.commit).isEqualTo(repo.cid());
        var expectedNodes = new ArrayList<Cid>();
        repo.data().walkNodes((cid, bytes) -> expectedNodes.add(cid));
        assertThat(r.nodes).containsExactlyInAnyOrderElementsOf(expectedNodes);
        assertThat(r.nodes.getFirst()).isEqualTo(repo.data().root());
        assertThat(r.keys).hasSize(500).isSorted();
    }

    @Test
    void aTolerantWalkReportsEveryProblemAndCarriesOn() {
        var repo = create(400);
        var nodes = new ArrayList<Cid>();
        repo.data().walkNodes((cid, bytes) -> nodes.add(cid));
        var broken = new BlockMap(store.asMap());
        // One node missing, one record missing, one record corrupted; and checked with another key.
        var missingNode = nodes.get(nodes.size() - 1);
        broken.remove(missingNode);
        var keys = new ArrayList<Cid>();
        repo.data().walk(e -> keys.add(e.value()));
        broken.remove(keys.get(3));
        var corrupt = broken.get(keys.get(7)).clone();
        corrupt[corrupt.length - 1] ^= 1;
        broken.put(keys.get(7), corrupt);

        var r = new Recorder();
        var other = Keypair.generate(Curve.K256).publicKey();
        RepoWalk.walk(broken, repo.cid(), DID, other, true, r);
        var messages = r.problems.stream().map(Throwable::getMessage).toList();
        assertThat(messages).anyMatch(m -> m.contains("signature"));
        assertThat(messages).anyMatch(m -> m.contains("missing MST node block " + missingNode));
        assertThat(messages).anyMatch(m -> m.contains("missing record") && m.contains(keys.get(3).toString()));
        assertThat(messages).anyMatch(m -> m.contains("does not match its CID " + keys.get(7)));
        assertThat(r.problems).hasSize(4);
        // Everything outside the missing subtree was still walked.
        assertThat(r.nodes).hasSize(nodes.size() - 1);
        assertThat(r.keys.size()).isLessThan(400).isGreaterThan(300);
        assertThat(new HashSet<>(r.keys)).hasSameSizeAs(r.keys);
    }

    @Test
    void aStrictWalkStopsAtTheFirstProblem() {
        var repo = create(50);
        var broken = new BlockMap(store.asMap());
        broken.remove(repo.data().root());
        assertThatThrownBy(() -> RepoWalk.walk(broken, repo.cid(), DID, KEY.publicKey(), true, new RepoWalk.Visitor() {}))
                .isInstanceOf(MissingBlockException.class);
        assertThatThrownBy(() -> RepoWalk.walk(store, repo.cid(), "did:plc:someoneelse", KEY.publicKey(), true, new RepoWalk.Visitor() {}))
                .isInstanceOf(RepoException.class).hasMessageContaining("not did:plc:someoneelse");
        var missingCommit = new BlockMap();
        var r = new Recorder();
        assertThat(RepoWalk.walk(missingCommit, repo.cid(), DID, null, true, r)).isNull();
        assertThat(r.problems).singleElement().isInstanceOf(MissingBlockException.class);
    }

    @Test
    void withoutRecordsOnlyTheTreeIsRead() {
        var repo = create(100);
        var treeOnly = new BlockMap();
        treeOnly.put(repo.cid(), store.get(repo.cid()));
        repo.data().walkNodes(treeOnly::put);
        var r = new Recorder();
        RepoWalk.walk(treeOnly, repo.cid(), DID, KEY.publicKey(), false, r);
        assertThat(r.problems).isEmpty();
        assertThat(r.keys).hasSize(100);
    }
}
