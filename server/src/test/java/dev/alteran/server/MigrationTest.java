package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.car.CarReader;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.repo.Commit;
import dev.alteran.atproto.plc.Plc;
import dev.alteran.atproto.plc.PlcOperation;
import dev.alteran.pds.auth.Principal;
import dev.alteran.pds.auth.Scope;
import dev.alteran.pds.auth.ServiceAuth;
import dev.alteran.pds.blob.BlobRef;
import dev.alteran.pds.wire.Json;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An account moving in, as the reference PDS's account-migration test runs it, against a did:plc
 * whose genesis operation the test signs and a stand-in PLC directory serving its document. The
 * document names an old PDS and its key first: createAccount with a service token the old key signed
 * opens a session on a deactivated account, importRepo takes the old host's CAR, blobs are uploaded,
 * checkAccountStatus counts it all; once the document names this server, activateAccount announces
 * #identity, #account and a #sync commit signed by our key, and asks the relays to crawl. Each bad
 * input is refused with its error and changes nothing.
 */
class MigrationTest {
    static final int RECORDS = 40;
    static final String OLD_PDS = "https://old-pds.example";

    static final Keypair ROTATION = Keypair.generate(Curve.K256);
    static final Keypair OLD_KEY = Keypair.generate(Curve.K256);
    static StandInService plc;
    static StandInService relay;
    static String did;
    static final AtomicReference<String> document = new AtomicReference<>();
    static TestServer source;
    static List<BlobRef> blobs;
    static byte[] oldCar; // the account's repository as the old host exports it: its commit signed by the old key
    static Commit oldCommit;

    @BeforeAll
    static void start() throws Exception {
        var genesis = PlcOperation.atproto(List.of(ROTATION.publicKey().didKey()), OLD_KEY.publicKey().didKey(), TestServer.HANDLE, OLD_PDS)
                .sign(ROTATION);
        did = Plc.didForGenesis(genesis);
        document.set(document(OLD_PDS, OLD_KEY));
        plc = new StandInService();
        plc.on("/" + did, exchange -> StandInService.send(exchange, 200, "application/did+ld+json", document.get()));
        relay = new StandInService();
        relay.onXrpc("com.atproto.sync.requestCrawl", StandInService.json(200, "{}"));

        // The records and blobs, written on another server, then exported under the old host's commit for our DID.
        source = TestServer.start();
        blobs = Ops.uploadBlobs(source, 3, 11);
        Ops.writePosts(source, RECORDS, blobs);
        var exported = source.http.send(HttpRequest.newBuilder(URI.create(source.url("/xrpc/com.atproto.sync.getRepo?did="
                + enc(source.config.did())))).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(exported.statusCode()).isEqualTo(200);
        oldCar = ImportRepoTest.resign(exported.body(), OLD_KEY, did);
        var file = CarReader.readAll(oldCar);
        oldCommit = Commit.decode(file.blocks().get(file.root()));
    }

    @AfterAll
    static void stop() throws Exception {
        source.close();
        plc.close();
        relay.close();
    }

    /** The DID document the directory serves: {@code pds} as the account's PDS, {@code key}'s public key as its #atproto key. */
    static String document(String pds, Keypair key) {
        var doc = Json.object();
        doc.putArray("@context").add("https://www.w3.org/ns/did/v1").add("https://w3id.org/security/multikey/v1")
                .add("https://w3id.org/security/suites/secp256k1-2019/v1");
        doc.put("id", did);
        doc.putArray("alsoKnownAs").add("at://" + TestServer.HANDLE);
        doc.putArray("verificationMethod").addObject().put("id", did + "#atproto").put("type", "Multikey").put("controller", did)
                .put("publicKeyMultibase", key.publicKey().multikey());
        doc.putArray("service").addObject().put("id", "#atproto_pds").put("type", "AtprotoPersonalDataServer").put("serviceEndpoint", pds);
        return doc.toString();
    }

    static TestServer target() throws Exception {
        document.set(document(OLD_PDS, OLD_KEY));
        return TestServer.start(Map.of("PDS_DID", did, "PDS_PLC_URL", plc.url(), "PDS_RELAY_HOSTS", relay.url()));
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** A service token {@code key} signed for {@code iss}, naming {@code server} and {@code lxm}, issued per {@code clock}. */
    static String serviceToken(TestServer server, String iss, Keypair key, String lxm, Clock clock) {
        return new ServiceAuth(iss, key, clock).issue(new Principal(iss, Scope.ACCESS), server.config.serviceDid(), null, lxm);
    }

    static HttpResponse<String> createAccount(TestServer server, String token, String body) throws Exception {
        return token == null ? server.post("/xrpc/com.atproto.server.createAccount", body)
                : server.post("/xrpc/com.atproto.server.createAccount", body, "authorization", "Bearer " + token);
    }

    static String accountInput(String did, String handle, String password) {
        var in = Json.object().put("handle", handle).put("email", "alice@example.com");
        if (did != null) in.put("did", did);
        if (password != null) in.put("password", password);
        return in.toString();
    }

    static HttpResponse<String> importRepo(TestServer server, byte[] car, String token) throws Exception {
        return ImportRepoTest.importRepo(server, car, token);
    }

    static HttpResponse<String> uploadBlob(TestServer server, byte[] data, String token) throws Exception {
        return server.http.send(HttpRequest.newBuilder(URI.create(server.url("/xrpc/com.atproto.repo.uploadBlob")))
                .header("content-type", "image/png").header("authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofByteArray(data)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static byte[] blobBytes(BlobRef ref) throws Exception {
        try (var in = source.alteran.blobs().open(ref.ref()).orElseThrow()) {
            return in.readAllBytes();
        }
    }

    static JsonNode status(TestServer server, String token) throws Exception {
        var r = AuthClient.getWithToken(server, "/xrpc/com.atproto.server.checkAccountStatus", token);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return TestServer.json(r);
    }

    static HttpResponse<String> createPost(TestServer server, String token) throws Exception {
        return server.post("/xrpc/com.atproto.repo.createRecord", """
                {"repo":"%s","collection":"app.bsky.feed.post","record":{"text":"hello from the new host","createdAt":"2024-01-01T00:00:00Z"}}"""
                .formatted(did), "authorization", "Bearer " + token);
    }

    /** What a refused call must leave alone. */
    record State(Cid head, long records, long blocks, long blobs, long events, boolean active) {
        static State of(TestServer s) {
            var db = s.alteran.database();
            return new State(s.alteran.repo().head().cid(), Ops.count(db, "record"), Ops.count(db, "repo_block"), Ops.count(db, "blob"),
                    s.alteran.sequence().lastSeq(), s.alteran.accountStatus().isActive());
        }
    }

    /** {@code alteran import} into a new did:plc install decides as the server's first start does: moving in, so deactivated. */
    @Test
    void theCommandLineImportOfAnAccountMovingInLeavesItDeactivated() throws Exception {
        var data = java.nio.file.Files.createTempDirectory("alteran-import-");
        var car = data.resolveSibling(data.getFileName() + ".car");
        java.nio.file.Files.write(car, oldCar);
        var key = java.util.HexFormat.of().formatHex(Keypair.generate(Curve.K256).privateKeyBytes());
        var env = Ops.envFile(data.getParent(), did, key, data);
        var run = Ops.cli("import", car.toString(), "--env-file", env.toString(), "--resign");
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.out()).contains(RECORDS + " records").contains("the account is deactivated");
        document.set(document(OLD_PDS, OLD_KEY));
        try (var server = TestServer.start(Map.of("PDS_DID", did, "REPO_SIGNING_KEY", key, "PDS_DATA_DIR", data.toString(),
                "PDS_PLC_URL", plc.url(), "PDS_RELAY_HOSTS", relay.url()))) {
            assertThat(server.alteran.accountStatus().isActive()).isFalse();
            assertThat(server.alteran.sequence().lastSeq()).as("nothing announced").isZero();
            var token = TestServer.json(AuthClient.createSession(server, did, TestServer.PASSWORD)).get("accessJwt").asText();
            assertThat(AuthClient.error(createPost(server, token))).isEqualTo("401 AccountDeactivated: Account is deactivated");
            assertThat(status(server, token).get("indexedRecords").asLong()).isEqualTo(RECORDS);
        }
    }

    @Test
    void anAccountMovesInFromItsOldHost() throws Exception {
        try (var target = target()) {
            // A fresh did:plc install whose document names another PDS: deactivated, and nothing announced.
            assertThat(target.alteran.accountStatus().isActive()).isFalse();
            assertThat(target.alteran.sequence().lastSeq()).isZero();

            // createAccount with the DID and a service token the old host's key signed for it.
            var created = createAccount(target, serviceToken(target, did, OLD_KEY, "com.atproto.server.createAccount", Clock.systemUTC()),
                    accountInput(did, TestServer.HANDLE, TestServer.PASSWORD));
            assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
            var session = TestServer.json(created);
            assertThat(session.get("did").asText()).isEqualTo(did);
            assertThat(session.get("handle").asText()).isEqualTo(TestServer.HANDLE);
            var token = session.get("accessJwt").asText();
            assertThat(session.get("refreshJwt").asText()).isNotEmpty();
            var me = TestServer.json(AuthClient.getSession(target, token));
            assertThat(me.get("active").asBoolean()).isFalse();
            assertThat(me.get("status").asText()).isEqualTo("deactivated");
            assertThat(AuthClient.error(createPost(target, token))).isEqualTo("401 AccountDeactivated: Account is deactivated");

            // createSession takes the DID as identifier too.
            var byDid = AuthClient.createSession(target, did, TestServer.PASSWORD);
            assertThat(byDid.statusCode()).as(byDid.body()).isEqualTo(200);

            // A blob uploaded before the import, the repository, then the other blobs.
            assertThat(uploadBlob(target, blobBytes(blobs.get(0)), token).statusCode()).isEqualTo(200);
            var imported = importRepo(target, oldCar, token);
            assertThat(imported.statusCode()).as(imported.body()).isEqualTo(200);
            var file = CarReader.readAll(oldCar);
            assertThat(target.alteran.repo().head().cid()).as("the old host's commit, as it was").isEqualTo(file.root());
            assertThat(target.alteran.sequence().lastSeq()).as("a deactivated account announces nothing").isZero();
            var missing = TestServer.json(AuthClient.getWithToken(target, "/xrpc/com.atproto.repo.listMissingBlobs", token)).get("blobs");
            assertThat(missing).extracting(b -> b.get("cid").asText())
                    .containsExactlyInAnyOrder(blobs.get(1).ref().toString(), blobs.get(2).ref().toString());
            var midway = status(target, token);
            assertThat(midway.get("expectedBlobs").asLong()).isEqualTo(3);
            assertThat(midway.get("importedBlobs").asLong()).isEqualTo(1);
            for (var ref : blobs.subList(1, 3)) assertThat(uploadBlob(target, blobBytes(ref), token).statusCode()).isEqualTo(200);
            assertThat(TestServer.json(AuthClient.getWithToken(target, "/xrpc/com.atproto.repo.listMissingBlobs", token)).get("blobs")).isEmpty();

            var status = status(target, token);
            assertThat(status.get("activated").asBoolean()).isFalse();
            assertThat(status.get("validDid").asBoolean()).isFalse();
            assertThat(status.get("repoCommit").asText()).isEqualTo(file.root().toString());
            assertThat(status.get("repoRev").asText()).isEqualTo(oldCommit.rev());
            assertThat(status.get("repoBlocks").asLong()).isEqualTo(Ops.count(target.alteran.database(), "repo_block"))
                    .isEqualTo(file.blocks().size());
            assertThat(status.get("indexedRecords").asLong()).isEqualTo(RECORDS);
            assertThat(status.get("privateStateValues").asLong()).isZero();
            assertThat(status.get("expectedBlobs").asLong()).isEqualTo(3);
            assertThat(status.get("importedBlobs").asLong()).isEqualTo(3);

            // Not before the document names this server and key.
            var before = State.of(target);
            var early = AuthClient.postNoBody(target, "/xrpc/com.atproto.server.activateAccount", "authorization", "Bearer " + token);
            assertThat(AuthClient.error(early)).isEqualTo("400 InvalidRequest: DID document atproto_pds service endpoint does not match PDS public url");
            document.set(document(target.url(""), OLD_KEY));
            var oldKey = AuthClient.postNoBody(target, "/xrpc/com.atproto.server.activateAccount", "authorization", "Bearer " + token);
            assertThat(AuthClient.error(oldKey)).isEqualTo("400 InvalidRequest: DID document verification method does not match expected signing key");
            assertThat(State.of(target)).isEqualTo(before);

            // The document moves here (the old host signed the PLC operation); activation announces the account.
            document.set(document(target.url(""), target.config.signingKey()));
            assertThat(status(target, token).get("validDid").asBoolean()).isTrue();
            while (relay.received.poll(3, TimeUnit.SECONDS) != null) { } // the announcement at start
            try (var firehose = FirehoseClient.connect(target.http, FirehoseClient.url(target, null), true)) {
                var activated = AuthClient.postNoBody(target, "/xrpc/com.atproto.server.activateAccount", "authorization", "Bearer " + token);
                assertThat(activated.statusCode()).as(activated.body()).isEqualTo(200);
                var events = firehose.take(3, 10_000);
                assertThat(events).extracting(FirehoseClient.Message::type).containsExactly("#identity", "#account", "#sync");
                assertThat(events.get(0).body()).containsEntry("did", did).containsEntry("handle", TestServer.HANDLE);
                assertThat(events.get(1).body()).containsEntry("did", did).containsEntry("active", true);
                var sync = events.get(2).body();
                var car = CarReader.readAll((byte[]) sync.get("blocks"));
                var commit = Commit.decode(car.blocks().get(car.root()));
                assertThat(commit.did()).isEqualTo(did);
                assertThat(commit.verify(target.config.signingKey().publicKey())).as("signed by the new host's key").isTrue();
                assertThat(commit.verify(OLD_KEY.publicKey())).isFalse();
                assertThat(commit.data()).as("the same records").isEqualTo(oldCommit.data());
                assertThat(commit.rev()).isGreaterThan(oldCommit.rev()).isEqualTo(sync.get("rev"));
                assertThat(target.alteran.repo().head().cid()).isEqualTo(car.root());
            }
            var crawl = relay.take();
            assertThat(crawl.path()).isEqualTo("/xrpc/com.atproto.sync.requestCrawl");
            assertThat(Json.READER.readTree(crawl.body()).get("hostname").asText()).isEqualTo(target.config.hostname());

            // Active: the status says so, and writes build on the new commit.
            var after = status(target, token);
            assertThat(after.get("activated").asBoolean()).isTrue();
            assertThat(after.get("validDid").asBoolean()).isTrue();
            assertThat(after.get("indexedRecords").asLong()).isEqualTo(RECORDS);
            assertThat(after.get("repoBlocks").asLong()).as("the old commit block replaced by ours").isEqualTo(file.blocks().size());
            assertThat(createPost(target, token).statusCode()).isEqualTo(200);
            assertThat(TestServer.json(AuthClient.getSession(target, token)).get("active").asBoolean()).isTrue();
            // Once active, createAccount is refused.
            var again = createAccount(target, serviceToken(target, did, target.config.signingKey(), "com.atproto.server.createAccount",
                    Clock.systemUTC()), accountInput(did, TestServer.HANDLE, TestServer.PASSWORD));
            assertThat(AuthClient.error(again)).isEqualTo("400 InvalidRequest: The account " + did + " is already active on this server");
        }
    }

    @Test
    void badInputsAreRefusedAndChangeNothing() throws Exception {
        try (var target = target()) {
            var before = State.of(target);
            var good = accountInput(did, TestServer.HANDLE, TestServer.PASSWORD);
            var now = Clock.systemUTC();
            var lxm = "com.atproto.server.createAccount";

            // No token; a session-less token another DID issued; one for another method; an expired one; one the new key signed
            // while the document still names the old one.
            assertThat(AuthClient.error(createAccount(target, null, good)))
                    .isEqualTo("401 AuthenticationRequired: Missing auth to create account with did: " + did);
            var other = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
            assertThat(AuthClient.error(createAccount(target, serviceToken(target, other, OLD_KEY, lxm, now), accountInput(other, TestServer.HANDLE,
                    TestServer.PASSWORD)))).as("another account's token: no caller, as the reference answers it")
                    .isEqualTo("401 AuthenticationRequired: Missing auth to create account with did: " + other);
            assertThat(AuthClient.error(createAccount(target, serviceToken(target, did, OLD_KEY, "com.atproto.repo.uploadBlob", now), good)))
                    .startsWith("401 BadJwtLexiconMethod");
            var anHourAgo = Clock.fixed(Instant.now().minusSeconds(3600), ZoneOffset.UTC);
            assertThat(AuthClient.error(createAccount(target, serviceToken(target, did, OLD_KEY, lxm, anHourAgo), good)))
                    .isEqualTo("401 JwtExpired: jwt expired");
            assertThat(AuthClient.error(createAccount(target, serviceToken(target, did, target.config.signingKey(), lxm, now), good)))
                    .startsWith("401 BadJwtSignature");
            var session = TestServer.json(AuthClient.createSession(target, did, TestServer.PASSWORD)).get("accessJwt").asText();
            assertThat(AuthClient.error(createAccount(target, session, good))).startsWith("401 BadJwt:");

            // A valid token, with inputs this server does not take.
            var token = serviceToken(target, did, OLD_KEY, lxm, now);
            assertThat(AuthClient.error(createAccount(target, token, accountInput(other, TestServer.HANDLE, TestServer.PASSWORD))))
                    .isEqualTo("401 AuthenticationRequired: Missing auth to create account with did: " + other);
            assertThat(AuthClient.error(createAccount(target, token, accountInput(null, TestServer.HANDLE, TestServer.PASSWORD))))
                    .isEqualTo("400 InvalidRequest: This server hosts a single account, " + did + "; it creates no new ones");
            assertThat(AuthClient.error(createAccount(target, token, accountInput(did, "bob.test", TestServer.PASSWORD))))
                    .isEqualTo("400 InvalidRequest: Handle must be this server's account handle: " + TestServer.HANDLE);
            assertThat(AuthClient.error(createAccount(target, token, accountInput(did, TestServer.HANDLE, null))))
                    .startsWith("400 InvalidRequest: Password is required");
            assertThat(AuthClient.error(createAccount(target, token, accountInput(did, TestServer.HANDLE, "wrong password"))))
                    .isEqualTo("401 AuthenticationRequired: Invalid identifier or password");
            var app = TestServer.json(target.post("/xrpc/com.atproto.server.createAppPassword", "{\"name\":\"mover\"}",
                    "authorization", "Bearer " + session)).get("password").asText();
            assertThat(AuthClient.error(createAccount(target, token, accountInput(did, TestServer.HANDLE, app))))
                    .as("an app password is not the account password").isEqualTo("401 AuthenticationRequired: Invalid identifier or password");
            var withOp = Json.object().put("handle", TestServer.HANDLE).put("did", did).put("password", TestServer.PASSWORD);
            withOp.putObject("plcOp").put("type", "plc_operation");
            assertThat(AuthClient.error(createAccount(target, token, withOp.toString()))).isEqualTo("400 InvalidRequest: Unsupported input: \"plcOp\"");

            // A CAR for another DID, and a truncated one.
            var otherCar = ImportRepoTest.resign(oldCar, OLD_KEY, other);
            ImportRepoTest.assertRefused(target, session, otherCar, "commit is for " + other + ", not " + did);
            ImportRepoTest.assertRefused(target, session, Arrays.copyOf(oldCar, oldCar.length / 2), "Invalid repository CAR");

            // Activation before the document names this server.
            var early = AuthClient.postNoBody(target, "/xrpc/com.atproto.server.activateAccount", "authorization", "Bearer " + session);
            assertThat(AuthClient.error(early)).isEqualTo("400 InvalidRequest: DID document atproto_pds service endpoint does not match PDS public url");

            assertThat(State.of(target)).isEqualTo(before);
        }
    }
}
