package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.lexicon.Lexicons;
import dev.alteran.atproto.repo.RepoVerifier;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two instances' repository stores on one PostgreSQL database, as two servers behind a load balancer
 * run them: each builds on whatever the other committed, and what it keeps cached of the other's past
 * heads never outlives the blocks the other dropped.
 */
class PostgresTwoWritersTest {
    static final String DID = "did:web:pds.example.com";
    static final String POST = "app.bsky.feed.post";
    static final ObjectMapper JSON = new ObjectMapper();

    final Keypair key = Keypair.generate(Curve.K256);
    final RecordPreparer preparer = new RecordPreparer(Lexicons.loadBundled());
    Database dbA;
    Database dbB;
    RepoStore a;
    RepoStore b;

    @BeforeEach
    void open() {
        var url = TestPostgres.freshDatabase();
        dbA = Database.openPostgres(url);
        dbB = Database.openPostgres(url);
        a = RepoStore.open(dbA, DID, key, new SequenceLog(dbA));
        b = RepoStore.open(dbB, DID, key, new SequenceLog(dbB));
    }

    @AfterEach
    void close() {
        dbA.close();
        dbB.close();
    }

    AppliedCommit create(RepoStore store, String text) throws Exception {
        var rkey = store.nextTid();
        var record = preparer.prepare(POST, rkey, JSON.readTree("{\"text\":\"" + text + "\",\"createdAt\":\"2024-01-01T00:00:00.000Z\"}"), null);
        return store.applyWrites(List.of(new PreparedWrite.Create(POST, rkey, record)), null);
    }

    @Test
    void aBlockTheOtherInstanceDroppedIsNotServedFromTheCache() throws Exception {
        for (int i = 0; i < 30; i++) create(a, "filler " + i); // a tree of a few layers
        var doomed = create(a, "soon deleted by the other instance");
        var rkey = doomed.data().ops().getFirst().key().substring(POST.length() + 1);
        var recordCid = doomed.data().ops().getFirst().cid();
        var before = RepoStoreTest.reachableCids(a);
        assertThat(a.blocks().get(recordCid)).isNotNull(); // cached by the commit that wrote it

        b.applyWrites(List.of(new PreparedWrite.Delete(POST, rkey)), null); // b builds on a's head
        create(a, "after the delete"); // a builds on b's head
        var after = RepoStoreTest.reachableCids(a);
        assertThat(after).doesNotContain(recordCid);
        assertThat(RepoStoreTest.storedCids(dbA)).isEqualTo(after);
        // Every block of a's old head that is gone from the database is gone from a's cache too.
        for (var cid : before) {
            if (!after.contains(cid)) assertThat(a.blocks().get(cid)).as("dropped block %s", cid).isNull();
        }
        assertThat(b.head().cid()).isNotEqualTo(a.head().cid());
        b.refreshHead();
        assertThat(b.head().cid()).isEqualTo(a.head().cid());
        RepoVerifier.verify(b.blocks(), b.head().cid(), DID, key.publicKey(), true);
    }

    @Test
    void concurrentWritesThroughBothChainOneHistory() throws Exception {
        int threads = 4, each = 15;
        var pool = Executors.newFixedThreadPool(threads * 2);
        var futures = new ArrayList<java.util.concurrent.Future<?>>();
        for (int t = 0; t < threads * 2; t++) {
            var store = t % 2 == 0 ? a : b;
            int id = t;
            futures.add(pool.submit(() -> {
                for (int i = 0; i < each; i++) create(store, id + "-" + i);
                return null;
            }));
        }
        for (var f : futures) f.get();
        pool.shutdown();
        a.refreshHead();
        b.refreshHead();
        assertThat(a.head().cid()).isEqualTo(b.head().cid());
        assertThat(a.records().count()).isEqualTo(threads * 2L * each);
        // One chain of commits, seqs without gaps, in commit order.
        var events = a.sequence().after(0, 10_000);
        assertThat(events).hasSize(threads * 2 * each + 1);
        for (int i = 1; i < events.size(); i++) {
            assertThat(events.get(i).seq()).isEqualTo(events.get(i - 1).seq() + 1);
            assertThat(events.get(i).decodeBody().get("since")).isEqualTo(events.get(i - 1).decodeBody().get("rev"));
        }
        assertThat(RepoStoreTest.storedCids(dbA)).isEqualTo(RepoStoreTest.reachableCids(a));
        RepoVerifier.verify(a.blocks(), a.head().cid(), DID, key.publicKey(), true);
    }
}
