package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.plc.Plc;
import dev.alteran.atproto.plc.PlcJson;
import dev.alteran.atproto.plc.PlcOperation;
import dev.alteran.pds.auth.PlcTokens;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.wire.Json;
import dev.alteran.pds.xrpc.IdentityHandlers;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The did:plc operations of account migration against a stand-in PLC directory that verifies every
 * operation it is sent: recommended credentials, the token, signing and submitting.
 */
class PlcOperationsTest {
    private final Keypair signing = Keypair.generate(Curve.K256);
    private final Keypair rotation = Keypair.generate(Curve.K256);
    /** The owner's own key (PDS_RECOVERY_DID_KEY), also a rotation key of the genesis. */
    private final Keypair recovery = Keypair.generate(Curve.K256);
    private StandInPlcDirectory plc;
    private TestServer server;
    private String did;
    private String accessJwt;

    @BeforeEach
    void start() throws Exception {
        plc = new StandInPlcDirectory();
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) server.close();
        plc.close();
    }

    /** A DID created elsewhere (its old PDS) whose rotation keys are {@code rotationKeys}, and this server for it. */
    private void startServer(List<Keypair> rotationKeys) throws Exception {
        var genesis = PlcOperation.atproto(rotationKeys.stream().map(Keypair::didKey).toList(), Keypair.generate(Curve.K256).didKey(),
                TestServer.HANDLE, "https://old-pds.example.com").sign(recovery);
        did = plc.create(genesis);
        server = TestServer.start(Map.of(
                "PDS_DID", did,
                "REPO_SIGNING_KEY", HexFormat.of().formatHex(signing.privateKeyBytes()),
                "PDS_PLC_ROTATION_KEY", HexFormat.of().formatHex(rotation.privateKeyBytes()),
                "PDS_RECOVERY_DID_KEY", recovery.didKey(),
                "PDS_PLC_URL", plc.url()));
        accessJwt = AuthClient.login(server).path("accessJwt").asText();
    }

    private HttpResponse<String> post(String nsid, String body) throws Exception {
        var request = HttpRequest.newBuilder(URI.create(server.url("/xrpc/" + nsid)))
                .header("authorization", "Bearer " + accessJwt);
        request = body == null ? request.POST(HttpRequest.BodyPublishers.noBody())
                : request.header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        return server.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode recommended() throws Exception {
        var r = AuthClient.getWithToken(server, "/xrpc/com.atproto.identity.getRecommendedDidCredentials", accessJwt);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return TestServer.json(r);
    }

    /** What {@code alteran plc token} prints first: a fresh token, made beside the running server. */
    private String cliToken() {
        var out = new StringWriter();
        int code = AlteranServer.commandLine().setOut(new PrintWriter(out))
                .execute("plc", "token", "--data", server.dataDir.toString());
        assertThat(code).as(out.toString()).isZero();
        return out.toString().lines().findFirst().orElseThrow();
    }

    private static String signInput(String token, JsonNode credentials) {
        var input = credentials.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) input).put("token", token);
        return input.toString();
    }

    private static void assertError(HttpResponse<String> r, int status, String error) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(TestServer.json(r).path("error").asText()).as(r.body()).isEqualTo(error);
    }

    @Test
    void recommendedCredentialsNameTheRecoveryKeyOurRotationKeySigningKeyHandleAndEndpoint() throws Exception {
        startServer(List.of(recovery, rotation));
        var c = recommended();
        assertThat(c.path("rotationKeys")).extracting(JsonNode::asText).containsExactly(recovery.didKey(), rotation.didKey());
        assertThat(c.path("rotationKeys").toString()).doesNotContain(signing.didKey());
        assertThat(c.path("verificationMethods")).isEqualTo(Json.object().put("atproto", signing.didKey()));
        assertThat(c.path("alsoKnownAs")).extracting(JsonNode::asText).containsExactly("at://" + TestServer.HANDLE);
        assertThat(c.path("services").path("atproto_pds")).isEqualTo(Json.object()
                .put("type", "AtprotoPersonalDataServer").put("endpoint", server.url("")));
        assertError(server.get("/xrpc/com.atproto.identity.getRecommendedDidCredentials"), 401, "AuthMissing");
    }

    @Test
    void requestedTokenThenCliTokenThenSignThenSubmitMovesTheDidHereAndAnnouncesIt() throws Exception {
        startServer(List.of(recovery, rotation));
        // The XRPC request leaves its token in the data directory (the e-mail this server cannot send).
        var requested = post("com.atproto.identity.requestPlcOperationSignature", null);
        assertThat(requested.statusCode()).as(requested.body()).isEqualTo(200);
        var tokenFile = server.dataDir.resolve(IdentityHandlers.TOKEN_FILE);
        var fromFile = Files.readAllLines(tokenFile).getFirst();
        assertThat(fromFile).matches("[A-Z2-7]{5}-[A-Z2-7]{5}");
        assertThat(Files.getPosixFilePermissions(tokenFile)).extracting(Object::toString).containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");

        // The CLI makes a fresh one, which replaces it.
        var token = cliToken();
        assertThat(token).matches("[A-Z2-7]{5}-[A-Z2-7]{5}").isNotEqualTo(fromFile);
        var credentials = recommended();
        assertError(post("com.atproto.identity.signPlcOperation", signInput(fromFile, credentials)), 400, "InvalidToken");
        assertError(post("com.atproto.identity.signPlcOperation", signInput("AAAAA-AAAAA", credentials)), 400, "InvalidToken");
        assertError(post("com.atproto.identity.signPlcOperation", credentials.toString()), 400, "InvalidRequest");

        var signed = post("com.atproto.identity.signPlcOperation", signInput(token.toLowerCase(), credentials));
        assertThat(signed.statusCode()).as(signed.body()).isEqualTo(200);
        var operation = TestServer.json(signed).path("operation");
        var op = (PlcOperation) PlcJson.parseOp(operation);
        assertThat(op.prev()).isEqualTo(plc.log(did).getLast().cid().toString());
        assertThat(op.rotationKeys()).containsExactly(recovery.didKey(), rotation.didKey());
        assertThat(op.verificationMethods()).containsExactly(Map.entry("atproto", signing.didKey()));
        assertThat(op.services().get("atproto_pds").endpoint()).isEqualTo(server.url(""));
        assertThat(Plc.signer(op, List.of(rotation.didKey()))).contains(rotation.didKey());
        assertThat(plc.log(did)).hasSize(1); // signing does not submit
        // Used: a token works once.
        assertError(post("com.atproto.identity.signPlcOperation", signInput(token, credentials)), 400, "InvalidToken");

        long seqBefore = server.alteran.sequence().lastSeq();
        var submitted = post("com.atproto.identity.submitPlcOperation", Json.object().set("operation", operation).toString());
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(200);
        var log = plc.log(did);
        assertThat(log).hasSize(2);
        assertThat(PlcJson.toJson(log.getLast())).isEqualTo(operation);
        var history = Plc.verifyAuditLog(did, plc.auditLog(did));
        assertThat(history.data().orElseThrow().pdsEndpoint()).contains(server.url(""));
        assertThat(history.data().orElseThrow().atprotoKey()).contains(signing.didKey());

        // #identity on the firehose, sequenced by the submission.
        var types = new ArrayList<String>();
        try (var client = FirehoseClient.connect(server.http, FirehoseClient.url(server, "cursor=" + seqBefore), true)) {
            for (var m = client.next(5_000); m != null; m = client.next(1_000)) {
                types.add(m.type());
                if (m.type().equals("#identity")) {
                    assertThat(m.body()).containsEntry("did", did).containsEntry("handle", TestServer.HANDLE);
                    break;
                }
            }
        }
        assertThat(types).endsWith("#identity").filteredOn("#identity"::equals).hasSize(1);
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        startServer(List.of(recovery, rotation));
        try (var db = Database.openSqlite(server.dataDir.resolve("alteran.sqlite"))) {
            var old = new PlcTokens(db, Clock.offset(Clock.systemUTC(), PlcTokens.TTL.plus(Duration.ofMinutes(1)).negated())).create();
            assertError(post("com.atproto.identity.signPlcOperation", signInput(old.token(), recommended())), 400, "ExpiredToken");
            // and it is gone
            assertError(post("com.atproto.identity.signPlcOperation", signInput(old.token(), recommended())), 400, "InvalidToken");
        }
        assertThat(plc.log(did)).hasSize(1);
    }

    @Test
    void submitRefusesAnOperationThatDropsOurRotationKey() throws Exception {
        startServer(List.of(recovery, rotation));
        var credentials = (com.fasterxml.jackson.databind.node.ObjectNode) recommended();
        credentials.putArray("rotationKeys").add(recovery.didKey());
        var signed = post("com.atproto.identity.signPlcOperation", signInput(cliToken(), credentials));
        assertThat(signed.statusCode()).as(signed.body()).isEqualTo(200);
        var r = post("com.atproto.identity.submitPlcOperation", Json.object().set("operation", TestServer.json(signed).path("operation")).toString());
        assertError(r, 400, "InvalidRequest");
        assertThat(TestServer.json(r).path("message").asText()).isEqualTo("Rotation keys do not include server's rotation key");

        // Other fields the reference checks, on an operation the owner signed with the recovery key.
        var base = PlcOperation.after(plc.log(did).getLast()).withRotationKeys(List.of(recovery.didKey(), rotation.didKey()))
                .withAtprotoKey(signing.didKey()).withPdsEndpoint(server.url(""));
        for (var c : Map.of(
                base.withPdsEndpoint("https://elsewhere.example.com"), "Incorrect endpoint on atproto_pds service",
                base.withAtprotoKey(recovery.didKey()), "Incorrect signing key",
                base.withHandle("bob.test"), "Incorrect handle in alsoKnownAs").entrySet()) {
            var bad = post("com.atproto.identity.submitPlcOperation", Json.object().set("operation", PlcJson.toJson(c.getKey().sign(recovery))).toString());
            assertError(bad, 400, "InvalidRequest");
            assertThat(TestServer.json(bad).path("message").asText()).isEqualTo(c.getValue());
        }
        var unsigned = post("com.atproto.identity.submitPlcOperation", Json.object().set("operation", PlcJson.toJson(base)).toString());
        assertError(unsigned, 400, "InvalidRequest");
        assertThat(plc.log(did)).hasSize(1);

        // The directory's own refusal (a signature by no rotation key) is a 400 with its message.
        var forged = post("com.atproto.identity.submitPlcOperation", Json.object().set("operation", PlcJson.toJson(base.sign(signing))).toString());
        assertError(forged, 400, "InvalidRequest");
        assertThat(TestServer.json(forged).path("message").asText()).contains("The PLC directory refused the operation");
        assertThat(plc.log(did)).hasSize(1);
    }

    @Test
    void signIsRefusedWhenOurKeyIsNotARotationKey() throws Exception {
        startServer(List.of(recovery));
        var r = post("com.atproto.identity.signPlcOperation", signInput(cliToken(), recommended()));
        assertError(r, 400, "InvalidRequest");
        assertThat(TestServer.json(r).path("message").asText()).contains(rotation.didKey()).contains("not among the DID's current rotation keys");
        assertThat(plc.log(did)).hasSize(1);
    }

    @Test
    void withoutARotationKeyTheOperationsAskTheOperatorForOne() throws Exception {
        var genesis = PlcOperation.atproto(List.of(recovery.didKey()), signing.didKey(), TestServer.HANDLE, "https://old-pds.example.com").sign(recovery);
        did = plc.create(genesis);
        server = TestServer.start(Map.of("PDS_DID", did, "PDS_PLC_ROTATION_KEY", "", "PDS_PLC_URL", plc.url()));
        accessJwt = AuthClient.login(server).path("accessJwt").asText();
        var r = AuthClient.getWithToken(server, "/xrpc/com.atproto.identity.getRecommendedDidCredentials", accessJwt);
        assertError(r, 400, "InvalidRequest");
        assertThat(TestServer.json(r).path("message").asText()).contains("PDS_PLC_ROTATION_KEY");
        assertError(post("com.atproto.identity.requestPlcOperationSignature", null), 400, "InvalidRequest");
    }

    /** The #identity events after {@code seq}, as (did, handle) bodies, reading until one names {@code handle}. */
    private List<Map<String, Object>> identityEventsUntil(long seq, String handle) throws Exception {
        var events = new ArrayList<Map<String, Object>>();
        try (var client = FirehoseClient.connect(server.http, FirehoseClient.url(server, "cursor=" + seq), true)) {
            for (var m = client.next(5_000); m != null; m = client.next(1_000)) {
                if (!m.type().equals("#identity")) continue;
                events.add(m.body());
                if (handle.equals(m.body().get("handle"))) break;
            }
        }
        return events;
    }

    @Test
    void updateHandlePutsTheHandleInThePlcDocumentWithOurKeyThenAnnouncesIt() throws Exception {
        startServer(List.of(recovery, rotation));
        var before = (PlcOperation) plc.log(did).getLast();
        long seqBefore = server.alteran.sequence().lastSeq();
        var r = post("com.atproto.identity.updateHandle", "{\"handle\":\"Bob.Test\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);

        var log = plc.log(did);
        assertThat(log).hasSize(2);
        var op = (PlcOperation) log.getLast();
        assertThat(op.prev()).isEqualTo(before.cid().toString());
        assertThat(op.alsoKnownAs()).containsExactly("at://bob.test");
        assertThat(Plc.signer(op, before.rotationKeys())).contains(rotation.didKey());
        // Only the handle changed.
        assertThat(op.rotationKeys()).isEqualTo(before.rotationKeys());
        assertThat(op.verificationMethods()).isEqualTo(before.verificationMethods());
        assertThat(op.services()).isEqualTo(before.services());
        assertThat(server.alteran.identity().handle()).isEqualTo("bob.test");
        assertThat(identityEventsUntil(seqBefore, "bob.test")).extracting(e -> e.get("handle")).containsExactly("bob.test");

        // And back: one more operation.
        assertThat(post("com.atproto.identity.updateHandle", "{\"handle\":\"" + TestServer.HANDLE + "\"}").statusCode()).isEqualTo(200);
        assertThat(plc.log(did)).hasSize(3);
        assertThat(((PlcOperation) plc.log(did).getLast()).alsoKnownAs()).containsExactly("at://" + TestServer.HANDLE);
    }

    @Test
    void updateHandleIsRefusedAndChangesNothingWhenOurKeyIsNotARotationKey() throws Exception {
        startServer(List.of(recovery));
        long seqBefore = server.alteran.sequence().lastSeq();
        var r = post("com.atproto.identity.updateHandle", "{\"handle\":\"bob.test\"}");
        assertError(r, 400, "InvalidRequest");
        assertThat(TestServer.json(r).path("message").asText()).contains(rotation.didKey()).contains("not among the DID's current rotation keys");
        assertThat(plc.log(did)).hasSize(1);
        assertThat(server.alteran.identity().handle()).isEqualTo(TestServer.HANDLE);
        assertThat(server.alteran.sequence().lastSeq()).isEqualTo(seqBefore);

        // Once the owner has put the handle in the document with their own key, the local change goes through.
        var owners = PlcOperation.after(plc.log(did).getLast()).withHandle("bob.test").sign(recovery);
        assertThat(plc.append(did, owners)).isTrue();
        var ok = post("com.atproto.identity.updateHandle", "{\"handle\":\"bob.test\"}");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(plc.log(did)).hasSize(2); // nothing more to submit
        assertThat(server.alteran.identity().handle()).isEqualTo("bob.test");
        assertThat(identityEventsUntil(seqBefore, "bob.test")).extracting(e -> e.get("handle")).containsExactly("bob.test");
    }

    @Test
    void malformedInputsAreRefusedWith4xxNever5xx() throws Exception {
        startServer(List.of(recovery, rotation));
        var ok = PlcJson.toJson(PlcOperation.after(plc.log(did).getLast()).sign(recovery));
        var operations = new ArrayList<String>(List.of("{}", "{\"type\":\"plc_operation\"}", "{\"type\":\"plc_tombstone\",\"prev\":\"x\"}",
                "{\"type\":\"create\",\"prev\":null}", "{\"type\":\"nope\"}", "{\"type\":42}"));
        for (var field : List.of("rotationKeys", "verificationMethods", "alsoKnownAs", "services", "prev", "sig")) {
            for (var value : List.of("null", "42", "\"x\"", "[]", "{}", "[1]", "{\"a\":1}", "{\"atproto_pds\":{\"type\":1}}")) {
                operations.add(ok.deepCopy().set(field, Json.READER.readTree(value)).toString());
            }
        }
        operations.add(ok.deepCopy().put("extra", 1).toString());
        for (var op : operations) {
            var r = post("com.atproto.identity.submitPlcOperation", "{\"operation\":" + op + "}");
            assertThat(r.statusCode()).as(op + " -> " + r.body()).isBetween(400, 499);
        }
        var inputs = List.of("{\"token\":\"AAAAA-AAAAA\",\"verificationMethods\":{\"atproto\":1}}",
                "{\"token\":\"AAAAA-AAAAA\",\"verificationMethods\":{\"atproto\":\"did:key:nope\"}}",
                "{\"token\":\"AAAAA-AAAAA\",\"services\":{\"atproto_pds\":\"x\"}}",
                "{\"token\":\"AAAAA-AAAAA\",\"services\":{\"atproto_pds\":{\"type\":\"x\",\"endpoint\":\"y\",\"z\":1}}}",
                "{\"token\":\"AAAAA-AAAAA\",\"rotationKeys\":[1]}", "{\"token\":42}", "{\"token\":\"\"}",
                "{\"token\":\"" + "A".repeat(5000) + "\"}");
        for (var input : inputs) {
            var r = post("com.atproto.identity.signPlcOperation", input);
            assertThat(r.statusCode()).as(input + " -> " + r.body()).isBetween(400, 499);
        }
        // With a good token, operations the directory's rules refuse are refused before anything is signed.
        var credentials = (com.fasterxml.jackson.databind.node.ObjectNode) recommended();
        credentials.putArray("rotationKeys").add("did:key:nope");
        var r = post("com.atproto.identity.signPlcOperation", signInput(cliToken(), credentials));
        assertError(r, 400, "InvalidRequest");
        credentials.putArray("rotationKeys");
        assertError(post("com.atproto.identity.signPlcOperation", signInput(cliToken(), credentials)), 400, "InvalidRequest");
        assertThat(plc.log(did)).hasSize(1);
    }
}
