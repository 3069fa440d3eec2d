package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.car.CarReader;
import dev.alteran.atproto.crypto.PublicKey;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.repo.BlockMap;
import dev.alteran.atproto.repo.Proofs;
import dev.alteran.atproto.repo.RepoVerifier;
import dev.alteran.pds.store.PreparedWrite;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** com.atproto.sync.* over HTTP: CAR exports, proofs, heads, status, errors, and the JSON variants. */
class SyncTest {
    static TestServer server;
    static Writes writes;
    static String did;
    static PublicKey key;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        writes = new Writes(server.alteran);
        did = server.config.did();
        key = server.config.signingKey().publicKey();
        writes.createPosts(120, 40);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static HttpResponse<byte[]> getBytes(String path) throws IOException, InterruptedException {
        return server.http.send(HttpRequest.newBuilder(URI.create(server.url(path))).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static void assertError(HttpResponse<String> r, int status, String error) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(TestServer.json(r).path("error").asText()).isEqualTo(error);
    }

    @Test
    void getRepoIsAVerifiableCarOfTheWholeRepository() throws Exception {
        var r = getBytes("/xrpc/com.atproto.sync.getRepo?did=" + q(did));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElseThrow()).isEqualTo("application/vnd.ipld.car");
        var repo = RepoVerifier.verifyCar(r.body(), did, key);
        var head = server.alteran.repo().head();
        assertThat(repo.commitCid()).isEqualTo(head.cid());
        assertThat(repo.commit().rev()).isEqualTo(head.rev());
        assertThat(repo.recordCount()).isEqualTo(head.data().size());
        // The commit block leads (newest revision first), as streaming consumers like it.
        var car = CarReader.readAll(r.body());
        assertThat(car.blocks().keySet().iterator().next()).isEqualTo(head.cid());

        var checkout = getBytes("/xrpc/com.atproto.sync.getCheckout?did=" + q(did));
        assertThat(checkout.statusCode()).isEqualTo(200);
        assertThat(RepoVerifier.verifyCar(checkout.body(), did, key).records()).isEqualTo(repo.records());
    }

    @Test
    void getRepoSinceHoldsOnlyNewerBlocks() throws Exception {
        var base = writes.createPost("base");
        var a = writes.createPost("after one");
        var b = writes.createPost("after two");
        var r = getBytes("/xrpc/com.atproto.sync.getRepo?did=" + q(did) + "&since=" + base.rev());
        assertThat(r.statusCode()).isEqualTo(200);
        var car = CarReader.readAll(r.body());
        var head = server.alteran.repo().head();
        assertThat(car.roots()).containsExactly(head.cid());
        assertThat(car.blocks()).containsKey(head.cid());
        for (var op : a.data().ops()) assertThat(car.blocks()).containsKey(op.cid());
        for (var op : b.data().ops()) assertThat(car.blocks()).containsKey(op.cid());
        for (var op : base.data().ops()) assertThat(car.blocks()).doesNotContainKey(op.cid());
        // Every block was added by a or b (older commits' blocks are gone from the repository, not sent).
        var newer = new ArrayList<Cid>();
        newer.addAll(a.data().newBlocks().cids());
        newer.addAll(b.data().newBlocks().cids());
        for (var op : a.data().ops()) newer.add(op.cid());
        for (var op : b.data().ops()) newer.add(op.cid());
        assertThat(newer).containsAll(car.blocks().keySet());
        // The full export has far more.
        var all = CarReader.readAll(getBytes("/xrpc/com.atproto.sync.getRepo?did=" + q(did)).body());
        assertThat(all.blocks().size()).isGreaterThan(car.blocks().size() + 100);
    }

    @Test
    void getRepoSeesOneSnapshotWhileWritesLand() throws Exception {
        var stop = new AtomicBoolean();
        var count = new AtomicInteger();
        var writer = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                var rkey = server.alteran.repo().nextTid();
                server.alteran.repo().applyWrites(List.of(new PreparedWrite.Create(Writes.POST, rkey, writes.post(rkey, "race"))), null);
                count.incrementAndGet();
            }
        });
        try {
            for (int i = 0; i < 10; i++) {
                var r = getBytes("/xrpc/com.atproto.sync.getRepo?did=" + q(did));
                assertThat(r.statusCode()).isEqualTo(200);
                RepoVerifier.verifyCar(r.body(), did, key); // a torn export would miss blocks
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        assertThat(count.get()).isPositive();
    }

    @Test
    void getRepoErrors() throws Exception {
        assertError(server.get("/xrpc/com.atproto.sync.getRepo?did=" + q("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")), 400, "RepoNotFound");
        assertError(server.get("/xrpc/com.atproto.sync.getRepo?did=not-a-did"), 400, "InvalidRequest");
        assertError(server.get("/xrpc/com.atproto.sync.getRepo"), 400, "InvalidRequest");
        assertError(server.get("/xrpc/com.atproto.sync.getRepo?did=" + q(did) + "&since=yesterday"), 400, "InvalidRequest");
        assertError(server.get("/xrpc/com.atproto.sync.getCheckout?did=" + q("did:web:elsewhere.example")), 400, "RepoNotFound");
        assertError(server.post("/xrpc/com.atproto.sync.getRepo?did=" + q(did), "{}"), 400, "InvalidRequest");
    }

    @Test
    void getBlocksReturnsExactlyTheAskedBlocks() throws Exception {
        var c = writes.createPost("blocks");
        var head = server.alteran.repo().head();
        var record = c.data().ops().getFirst().cid();
        var r = getBytes("/xrpc/com.atproto.sync.getBlocks?did=" + q(did) + "&cids=" + head.cid() + "&cids=" + record);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElseThrow()).isEqualTo("application/vnd.ipld.car");
        var car = CarReader.readAll(r.body());
        assertThat(car.roots()).isEmpty();
        assertThat(car.blocks().keySet()).containsExactly(head.cid(), record);

        var missing = Cid.ofDagCbor(new byte[] {(byte) 0xa0});
        var e = server.get("/xrpc/com.atproto.sync.getBlocks?did=" + q(did) + "&cids=" + record + "&cids=" + missing);
        assertError(e, 400, "InvalidRequest");
        assertThat(TestServer.json(e).path("message").asText()).isEqualTo("Could not find cids: " + missing);
        assertError(server.get("/xrpc/com.atproto.sync.getBlocks?did=" + q(did) + "&cids=nonsense"), 400, "InvalidRequest");
        assertError(server.get("/xrpc/com.atproto.sync.getBlocks?did=" + q(did)), 400, "InvalidRequest");
        assertError(server.get("/xrpc/com.atproto.sync.getBlocks?did=" + q("did:web:other.example") + "&cids=" + record), 400, "RepoNotFound");
    }

    @Test
    void getRecordProvesPresenceAndAbsence() throws Exception {
        var c = writes.createPost("proof");
        var op = c.data().ops().getFirst();
        var parts = op.key().split("/");
        var r = getBytes("/xrpc/com.atproto.sync.getRecord?did=" + q(did) + "&collection=" + parts[0] + "&rkey=" + parts[1]);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElseThrow()).isEqualTo("application/vnd.ipld.car");
        var car = CarReader.readAll(r.body());
        var blocks = new BlockMap(car.blocks());
        assertThat(Proofs.verifyRecord(blocks, car.root(), did, key, op.key())).isEqualTo(op.cid());
        assertThat(car.blocks()).containsKey(op.cid());
        assertThat(car.root()).isEqualTo(server.alteran.repo().head().cid());

        var absent = getBytes("/xrpc/com.atproto.sync.getRecord?did=" + q(did) + "&collection=" + parts[0] + "&rkey=doesnotexist");
        assertThat(absent.statusCode()).isEqualTo(200);
        var absentCar = CarReader.readAll(absent.body());
        assertThat(Proofs.verifyRecord(new BlockMap(absentCar.blocks()), absentCar.root(), did, key, parts[0] + "/doesnotexist")).isNull();

        assertError(server.get("/xrpc/com.atproto.sync.getRecord?did=" + q(did) + "&collection=nope&rkey=x"), 400, "InvalidRequest");
        assertError(server.get("/xrpc/com.atproto.sync.getRecord?did=" + q(did) + "&collection=" + parts[0] + "&rkey=.."), 400, "InvalidRequest");
        assertError(server.get("/xrpc/com.atproto.sync.getRecord?did=" + q("did:web:other.example") + "&collection=" + parts[0] + "&rkey=x"), 400, "RepoNotFound");
    }

    @Test
    void headsListAndStatus() throws Exception {
        var head = server.alteran.repo().head();
        var latest = TestServer.json(server.get("/xrpc/com.atproto.sync.getLatestCommit?did=" + q(did)));
        assertThat(latest.path("cid").asText()).isEqualTo(head.cid().toString());
        assertThat(latest.path("rev").asText()).isEqualTo(head.rev());
        assertThat(TestServer.json(server.get("/xrpc/com.atproto.sync.getHead?did=" + q(did))).path("root").asText())
                .isEqualTo(head.cid().toString());
        var list = TestServer.json(server.get("/xrpc/com.atproto.sync.listRepos"));
        assertThat(list.path("repos")).hasSize(1);
        var repo = list.path("repos").get(0);
        assertThat(repo.path("did").asText()).isEqualTo(did);
        assertThat(repo.path("head").asText()).isEqualTo(head.cid().toString());
        assertThat(repo.path("rev").asText()).isEqualTo(head.rev());
        assertThat(repo.path("active").asBoolean()).isTrue();
        var next = TestServer.json(server.get("/xrpc/com.atproto.sync.listRepos?cursor=" + q(list.path("cursor").asText())));
        assertThat(next.path("repos")).isEmpty();
        assertThat(next.has("cursor")).isFalse();
        assertError(server.get("/xrpc/com.atproto.sync.listRepos?limit=0"), 400, "InvalidRequest");
        var status = TestServer.json(server.get("/xrpc/com.atproto.sync.getRepoStatus?did=" + q(did)));
        assertThat(status.path("did").asText()).isEqualTo(did);
        assertThat(status.path("active").asBoolean()).isTrue();
        assertThat(status.path("rev").asText()).isEqualTo(head.rev());
        for (var m : List.of("getLatestCommit", "getHead", "getRepoStatus")) {
            assertError(server.get("/xrpc/com.atproto.sync." + m + "?did=" + q("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")), 400, "RepoNotFound");
        }
    }

    @Test
    void jsonVariantsOfTheOriginalAlteran() throws Exception {
        var c = writes.createPost("json variant");
        var head = server.alteran.repo().head();
        for (var m : List.of("getRepo.json", "getCheckout.json")) {
            for (var query : List.of("?did=" + q(did), "")) {
                var r = server.get("/xrpc/com.atproto.sync." + m + query);
                assertThat(r.statusCode()).as(m + query + " " + r.body()).isEqualTo(200);
                var body = TestServer.json(r);
                assertThat(body.path("did").asText()).isEqualTo(did);
                assertThat(body.path("head").asText()).isEqualTo(head.cid().toString());
                assertThat(body.path("rev").asText()).isEqualTo(head.rev());
                assertThat(body.path("records")).hasSize(head.data().size());
                JsonNode found = null;
                for (var rec : body.path("records")) {
                    if (rec.path("cid").asText().equals(c.data().ops().getFirst().cid().toString())) found = rec;
                }
                assertThat(found).isNotNull();
                assertThat(found.path("uri").asText()).isEqualTo("at://" + did + "/" + c.data().ops().getFirst().key());
                assertThat(found.path("value").path("text").asText()).isEqualTo("json variant");
            }
        }
        assertError(server.get("/xrpc/com.atproto.sync.getRepo.json?did=" + q("did:web:other.example")), 400, "RepoNotFound");
        var record = c.data().ops().getFirst().cid();
        var missing = Cid.ofDagCbor(new byte[] {(byte) 0xa0});
        var blocks = TestServer.json(server.get("/xrpc/com.atproto.sync.getBlocks.json?cids=" + head.cid() + "," + record + "&cids=" + missing));
        assertThat(blocks.path("blocks")).hasSize(2);
        assertThat(blocks.path("blocks").get(0).path("cid").asText()).isEqualTo(head.cid().toString());
        assertThat(blocks.path("blocks").get(0).path("value").path("did").asText()).isEqualTo(did);
        assertThat(blocks.path("blocks").get(0).path("value").path("data").path("$link").asText()).isEqualTo(head.commit().data().toString());
        assertThat(blocks.path("blocks").get(1).path("value").path("text").asText()).isEqualTo("json variant");
    }

    @Test
    void relaysAreAskedToCrawlShortlyAfterStartUp() throws Exception {
        var bodies = new java.util.concurrent.LinkedBlockingQueue<String>();
        var relay = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        relay.createContext("/xrpc/com.atproto.sync.requestCrawl", ex -> {
            bodies.add(ex.getRequestMethod() + " " + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        relay.start();
        try (var announced = TestServer.start(java.util.Map.of("PDS_RELAY_HOSTS", "http://127.0.0.1:" + relay.getAddress().getPort()))) {
            var body = bodies.poll(15, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(body).isEqualTo("POST {\"hostname\":\"" + announced.config.hostname() + "\"}");
        } finally {
            relay.stop(0);
        }
        // A development server without PDS_RELAY_HOSTS announces nothing.
        assertThat(server.config.relayHosts()).isEmpty();
    }
}
