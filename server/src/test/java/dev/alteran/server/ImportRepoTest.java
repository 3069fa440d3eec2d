package dev.alteran.server;

import static dev.alteran.server.Ops.cli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.car.CarReader;
import dev.alteran.atproto.car.CarWriter;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import dev.alteran.atproto.repo.Commit;
import dev.alteran.atproto.repo.UnsignedCommit;
import dev.alteran.pds.blob.BlobRef;
import dev.alteran.pds.store.DatabaseLock;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * com.atproto.repo.importRepo and listMissingBlobs over HTTP: a CAR of another server's repository
 * (same DID) imports atomically, whoever signed it (an active account's foreign commit is signed again
 * with our key), and importing again replaces the repository; a corrupted block, a missing record,
 * another DID and an oversized body are refused with nothing changed. (The account moving in, while
 * deactivated: MigrationTest.)
 */
class ImportRepoTest {
    static final int RECORDS = 300;

    @TempDir
    static Path tmp;
    static TestServer source;
    static List<BlobRef> blobs;
    static byte[] car;
    static Cid head;

    @BeforeAll
    static void export() throws Exception {
        source = TestServer.start();
        blobs = Ops.uploadBlobs(source, 5, 7);
        Ops.writePosts(source, RECORDS, blobs);
        head = source.alteran.repo().head().cid();
        var file = tmp.resolve("source.car");
        var env = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), source.config.dataDir());
        var run = cli("export", "--env-file", env.toString(), "--out", file.toString());
        assertThat(run.status()).as(run.toString()).isZero();
        car = Files.readAllBytes(file);
    }

    @AfterAll
    static void stop() throws Exception {
        source.close();
    }

    static HttpResponse<String> importRepo(TestServer server, byte[] body, String token) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(server.url("/xrpc/com.atproto.repo.importRepo")))
                .header("content-type", "application/vnd.ipld.car")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) b.header("authorization", "Bearer " + token);
        return server.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String token(TestServer server) throws Exception {
        return AuthClient.login(server).get("accessJwt").asText();
    }

    /** The state an import must leave alone when it is refused. */
    record State(Cid head, long records, long blocks, long events) {
        static State of(TestServer s) {
            var db = s.alteran.database();
            return new State(s.alteran.repo().head().cid(), Ops.count(db, "record"), Ops.count(db, "repo_block"), s.alteran.sequence().lastSeq());
        }
    }

    @Test
    void aCarOfTheSameAccountImportsAndItsBlobsAreListedAsMissing() throws Exception {
        try (var target = TestServer.start(Ops.sameAccount(source))) {
            var token = token(target);
            var before = target.alteran.sequence().lastSeq();
            var resp = importRepo(target, car, token);
            assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
            // The target announced its own empty repository at a later rev than the CAR's commit, and an active
            // account announces only newer commits: the same tree is signed again (same key here) at a later rev.
            var imported = Commit.decode(CarReader.readAll(car).blocks().get(head));
            var now = target.alteran.repo().head();
            assertThat(now.commit().data()).isEqualTo(imported.data());
            assertThat(now.rev()).isGreaterThan(imported.rev());
            assertThat(Ops.count(target.alteran.database(), "record")).isEqualTo(RECORDS);

            // An active account announces its new state with a #sync event carrying the commit.
            var events = target.alteran.sequence().after(before, 10);
            assertThat(events).singleElement().satisfies(e -> {
                assertThat(e.type()).isEqualTo("sync");
                var body = DagCbor.decodeMap(e.body());
                assertThat(body.get("did")).isEqualTo(source.config.did());
                assertThat(CarReader.readAll((byte[]) body.get("blocks")).root()).isEqualTo(now.cid());
            });

            // Records are served, and their blobs are listed until uploaded.
            var missing = TestServer.json(AuthClient.getWithToken(target, "/xrpc/com.atproto.repo.listMissingBlobs?limit=3", token));
            assertThat(missing.get("blobs")).hasSize(3);
            assertThat(missing.get("blobs").get(0).get("recordUri").asText()).startsWith("at://" + source.config.did() + "/app.bsky.feed.post/");
            var rest = TestServer.json(AuthClient.getWithToken(target,
                    "/xrpc/com.atproto.repo.listMissingBlobs?cursor=" + missing.get("cursor").asText(), token));
            assertThat(rest.get("blobs")).hasSize(2);
            var status = TestServer.json(AuthClient.getWithToken(target, "/xrpc/com.atproto.server.checkAccountStatus", token));
            assertThat(status.get("indexedRecords").asLong()).isEqualTo(RECORDS);
            assertThat(status.get("expectedBlobs").asLong()).isEqualTo(5);
            assertThat(status.get("importedBlobs").asLong()).isZero();
            assertThat(status.get("repoCommit").asText()).isEqualTo(now.cid().toString());

            var random = new Random(7); // the generator of the source's blobs: the first blob's bytes again
            var first = Ops.png(random, 200 + random.nextInt(2000));
            var uploaded = target.alteran.blobs().upload(new ByteArrayInputStream(first), "image/png", first.length);
            assertThat(uploaded.ref()).isEqualTo(blobs.getFirst().ref());
            var after = TestServer.json(AuthClient.getWithToken(target, "/xrpc/com.atproto.repo.listMissingBlobs", token));
            assertThat(after.get("blobs")).hasSize(4);
            assertThat(target.alteran.blobs().find(uploaded.ref()).orElseThrow().referenced()).isTrue();

            // Importing again replaces the repository: the same records, the blob uploaded meanwhile still referenced.
            // The CAR's commit is older than the head now, so an active account signs the tree again, at a later rev.
            var extra = target.post("/xrpc/com.atproto.repo.createRecord", """
                    {"repo":"%s","collection":"app.bsky.feed.post","record":{"text":"replaced","createdAt":"2024-01-01T00:00:00Z"}}"""
                    .formatted(source.config.did()), "authorization", "Bearer " + token);
            assertThat(extra.statusCode()).as(extra.body()).isEqualTo(200);
            var extraRev = target.alteran.repo().head().rev();
            var again = importRepo(target, car, token);
            assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
            var replaced = target.alteran.repo().head().commit();
            assertThat(replaced.data()).isEqualTo(Commit.decode(CarReader.readAll(car).blocks().get(head)).data());
            assertThat(replaced.rev()).isGreaterThan(extraRev);
            assertThat(replaced.verify(target.config.signingKey().publicKey())).isTrue();
            assertThat(Ops.count(target.alteran.database(), "record")).isEqualTo(RECORDS);
            assertThat(TestServer.json(AuthClient.getWithToken(target, "/xrpc/com.atproto.repo.listMissingBlobs", token)).get("blobs")).hasSize(4);
            assertThat(target.alteran.blobs().find(uploaded.ref()).orElseThrow().referenced()).isTrue();

            // Writes continue on top of the import.
            var create = target.post("/xrpc/com.atproto.repo.createRecord", """
                    {"repo":"%s","collection":"app.bsky.feed.post","record":{"text":"after the move","createdAt":"2024-01-01T00:00:00Z"}}"""
                    .formatted(source.config.did()), "authorization", "Bearer " + token);
            assertThat(create.statusCode()).as(create.body()).isEqualTo(200);
        }
    }

    @Test
    void refusedImportsChangeNothing() throws Exception {
        try (var target = TestServer.start(Ops.sameAccount(source))) {
            var token = token(target);
            var before = State.of(target);

            // A block whose bytes do not match its CID.
            assertRefused(target, token, corrupt(car), "Invalid repository CAR: block does not match its CID");
            // A commit for another DID (signed with our key).
            assertRefused(target, token, resign(car, Keypair.parsePrivateKey(Curve.K256, source.config.repoSigningKey()), "did:web:other.example"),
                    "commit is for did:web:other.example");
            // A record block left out.
            assertRefused(target, token, without(car, 50), "missing record");
            // Not a CAR at all, and no root.
            assertRefused(target, token, "hello".getBytes(), "Invalid repository CAR");
            assertThat(State.of(target)).isEqualTo(before);

            // Authentication: none, or an app password, is not enough.
            assertThat(AuthClient.error(importRepo(target, car, null))).startsWith("401 AuthMissing");
            var app = TestServer.json(target.post("/xrpc/com.atproto.server.createAppPassword", "{\"name\":\"mover\"}",
                    "authorization", "Bearer " + token)).get("password").asText();
            var appToken = AuthClient.login(target, app).get("accessJwt").asText();
            assertThat(AuthClient.error(importRepo(target, car, appToken))).startsWith("400 InvalidToken");
            assertThat(State.of(target)).isEqualTo(before);
        }
    }

    @Test
    void anActiveAccountSignsAForeignCommitAgainWithItsKey() throws Exception {
        try (var target = TestServer.start(Ops.sameAccount(source))) {
            var token = token(target);
            var before = target.alteran.sequence().lastSeq();
            // The same repository under a commit another key signed (the old host's, in a migration): not refused.
            var foreign = resign(car, Keypair.generate(Curve.K256), null);
            var resp = importRepo(target, foreign, token);
            assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
            assertThat(Ops.count(target.alteran.database(), "record")).isEqualTo(RECORDS);
            var imported = Commit.decode(CarReader.readAll(car).blocks().get(head));
            var now = target.alteran.repo().head().commit();
            assertThat(now.data()).isEqualTo(imported.data());
            assertThat(now.rev()).isGreaterThan(imported.rev());
            assertThat(now.verify(target.config.signingKey().publicKey())).isTrue();
            var events = target.alteran.sequence().after(before, 10);
            assertThat(events).singleElement().satisfies(e -> {
                assertThat(e.type()).isEqualTo("sync");
                var blocks = CarReader.readAll((byte[]) DagCbor.decodeMap(e.body()).get("blocks"));
                assertThat(blocks.root()).isEqualTo(target.alteran.repo().head().cid());
                assertThat(Commit.decode(blocks.blocks().get(blocks.root())).verify(target.config.signingKey().publicKey())).isTrue();
            });
        }
    }

    @Test
    void theBodyIsLimited() throws Exception {
        var overrides = new LinkedHashMap<>(Ops.sameAccount(source));
        overrides.put("PDS_MAX_REPO_IMPORT_SIZE", Integer.toString(car.length - 1));
        try (var target = TestServer.start(overrides)) {
            var before = State.of(target);
            var resp = importRepo(target, car, token(target));
            assertThat(resp.statusCode()).as(resp.body()).isEqualTo(413);
            // Without a Content-Length the stream is cut at the limit.
            var chunked = HttpRequest.newBuilder(URI.create(target.url("/xrpc/com.atproto.repo.importRepo")))
                    .header("content-type", "application/vnd.ipld.car").header("authorization", "Bearer " + token(target))
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(car))).build();
            var r = target.http.send(chunked, HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
            assertThat(State.of(target)).isEqualTo(before);
            try (var files = Files.list(target.config.dataDir().resolve("tmp"))) {
                assertThat(files.toList()).as("spooled bodies are removed").isEmpty();
            }
        }
    }

    @Test
    void anotherAccountsCarIsRefusedOverHttpToo() throws Exception {
        try (var target = TestServer.start()) {
            var before = State.of(target);
            assertRefused(target, token(target), car, "commit is for " + source.config.did());
            assertThat(State.of(target)).isEqualTo(before);
        }
    }

    @Test
    void theCommandLineRefusesANonEmptyRepositoryAndAnUnreadableFile() throws Exception {
        var env = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), source.config.dataDir());
        var file = tmp.resolve("again.car");
        Files.write(file, car);
        var run = cli("import", file.toString(), "--env-file", env.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).contains("already has records");
        var missing = cli("import", tmp.resolve("nope.car").toString(), "--env-file", env.toString());
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.err()).contains("no such file");
    }

    @Test
    void theCommandLineRefusesToImportBesideARunningServer() throws Exception {
        var data = tmp.resolve("served");
        var env = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), data);
        var file = tmp.resolve("beside.car");
        Files.write(file, car);
        // what `alteran serve` holds on its data directory while it runs
        try (var server = DatabaseLock.acquire(data.resolve("alteran.sqlite"), "a running Alteran server")) {
            var run = cli("import", file.toString(), "--env-file", env.toString());
            assertThat(run.status()).isEqualTo(1);
            assertThat(run.err()).contains("is in use by a running Alteran server (pid " + ProcessHandle.current().pid() + "); stop it first");
        }
        var run = cli("import", file.toString(), "--env-file", env.toString());
        assertThat(run.status()).as(run.err()).isZero();
    }

    static void assertRefused(TestServer target, String token, byte[] body, String message) throws Exception {
        var resp = importRepo(target, body, token);
        assertThat(resp.statusCode()).as(resp.body()).isEqualTo(400);
        var json = TestServer.json(resp);
        assertThat(json.get("error").asText()).isEqualTo("InvalidRequest");
        assertThat(json.get("message").asText()).contains(message);
    }

    // ---- CAR surgery ----

    static byte[] rewrite(byte[] car, Cid root, UnaryOperator<LinkedHashMap<Cid, byte[]>> change) {
        var file = CarReader.readAll(car);
        var blocks = change.apply(new LinkedHashMap<>(file.blocks()));
        var out = new ByteArrayOutputStream();
        try (var w = new CarWriter(out, root == null ? file.root() : root)) {
            blocks.forEach(w::write);
        }
        return out.toByteArray();
    }

    /** The CAR bytes with one byte of the last block flipped (its CID left as it was). */
    static byte[] corrupt(byte[] car) {
        var copy = car.clone();
        copy[copy.length - 3] ^= 0x01;
        return copy;
    }

    /** The same repository under a commit signed by {@code key}, for {@code did} (null: the same DID). */
    static byte[] resign(byte[] car, Keypair key, String did) {
        var file = CarReader.readAll(car);
        var commit = Commit.decode(file.blocks().get(file.root()));
        var signed = new UnsignedCommit(did == null ? commit.did() : did, commit.data(), commit.rev()).sign(key);
        var bytes = signed.encode();
        var cid = Cid.ofDagCbor(bytes);
        return rewrite(car, cid, blocks -> {
            blocks.remove(file.root());
            var out = new LinkedHashMap<Cid, byte[]>();
            out.put(cid, bytes);
            out.putAll(blocks);
            return out;
        });
    }

    /** The CAR without its {@code n}th record block (blocks after the commit and nodes; any one will do). */
    static byte[] without(byte[] car, int n) {
        return rewrite(car, null, blocks -> {
            var records = blocks.entrySet().stream().filter(e -> DagCbor.decodeMap(e.getValue()).containsKey("$type")).toList();
            blocks.remove(records.get(n).getKey());
            return blocks;
        });
    }
}
