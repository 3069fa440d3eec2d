package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.plc.Plc;
import dev.alteran.atproto.plc.PlcOperation;
import dev.alteran.pds.config.ConfigSources;
import dev.alteran.pds.wire.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code alteran plc create} and {@code alteran plc show} against a stand-in PLC directory that verifies what
 * it is sent: the genesis operation, the DID it derives, the env file, and a server started from that file.
 */
class PlcCreateTest {
    private static final String ENDPOINT = "https://pds.example.com";
    private final Keypair recovery = Keypair.generate(Curve.K256);
    private StandInPlcDirectory plc;
    @TempDir
    Path dir;
    private Path envFile;

    record Run(int code, String out, String err) {}

    @BeforeEach
    void start() throws Exception {
        plc = new StandInPlcDirectory();
        envFile = dir.resolve("alteran.env");
        // The file `alteran secrets` writes for a did:plc still to be made (no --did), and where the directory is.
        var secrets = run("secrets", "--env", "dev", "--handle", TestServer.HANDLE, "--hostname", "pds.example.com", "--out", envFile.toString());
        assertThat(secrets.code()).as(secrets.err()).isZero();
        Files.writeString(envFile, "PDS_PLC_URL=" + plc.url() + "\nPDS_RECOVERY_DID_KEY=" + recovery.didKey()
                + "\nPDS_DATA_DIR=" + dir.resolve("data") + "\n", StandardOpenOption.APPEND);
    }

    @AfterEach
    void stop() {
        plc.close();
    }

    private static Run run(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        int code = AlteranServer.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private Map<String, String> env() {
        return ConfigSources.readEnvFile(envFile);
    }

    private static String didKey(String privateKeyHex) {
        return Keypair.parsePrivateKey(Curve.K256, privateKeyHex).didKey();
    }

    @Test
    void createSubmitsTheGenesisWritesPdsDidAndAServerFromTheFileServesTheDocument() throws Exception {
        var before = env();
        assertThat(before.get("PDS_DID")).isEmpty();
        var created = run("plc", "create", "--env-file", envFile.toString(), "--endpoint", ENDPOINT);
        assertThat(created.code()).as(created.err()).isZero();
        var did = created.out().lines().findFirst().orElseThrow();
        assertThat(Plc.isPlcDid(did)).as(created.out()).isTrue();

        // The directory has the operation, and it derives the DID.
        assertThat(plc.dids()).containsExactly(did);
        var genesis = (PlcOperation) plc.log(did).getFirst();
        assertThat(Plc.didForGenesis(genesis)).isEqualTo(did);
        var rotation = didKey(before.get("PDS_PLC_ROTATION_KEY"));
        assertThat(genesis.rotationKeys()).containsExactly(recovery.didKey(), rotation);
        assertThat(Plc.signer(genesis, List.of(rotation))).contains(rotation);
        assertThat(genesis.verificationMethods()).containsExactly(Map.entry("atproto", didKey(before.get("REPO_SIGNING_KEY"))));
        assertThat(genesis.alsoKnownAs()).containsExactly("at://" + TestServer.HANDLE);
        assertThat(genesis.services().get("atproto_pds").endpoint()).isEqualTo(ENDPOINT);

        // The env file names the DID; nothing else in it changed, and it is still the owner's alone.
        var after = env();
        assertThat(after).containsEntry("PDS_DID", did);
        after.remove("PDS_DID");
        before.remove("PDS_DID");
        assertThat(after).isEqualTo(before);
        assertThat(Files.readAllLines(envFile)).filteredOn(l -> l.startsWith("PDS_DID=")).hasSize(1);
        assertThat(Files.getPosixFilePermissions(envFile)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

        // Running it again finds the same genesis (deterministic signatures) already there and changes nothing.
        var again = run("plc", "create", "--env-file", envFile.toString(), "--endpoint", ENDPOINT);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).startsWith(did + "\n").contains("already created");
        assertThat(plc.log(did)).hasSize(1);

        // A server configured from the file serves the directory's document for its DID.
        var keys = Map.of("PDS_DID", did, "REPO_SIGNING_KEY", after.get("REPO_SIGNING_KEY"),
                "PDS_PLC_ROTATION_KEY", after.get("PDS_PLC_ROTATION_KEY"), "PDS_PLC_URL", plc.url(), "PDS_DATA_DIR", after.get("PDS_DATA_DIR"));
        try (var server = TestServer.start(keys)) {
            // A new account, made by create, not one moving in: active, its repository signed and announced.
            assertThat(server.alteran.accountStatus().isActive()).isTrue();
            assertThat(server.alteran.repo().head().did()).isEqualTo(did);
            assertThat(server.alteran.sequence().after(0, 10)).extracting(e -> e.type()).containsExactly("identity", "account", "commit", "sync");
            var r = server.get("/xrpc/com.atproto.identity.resolveDid?did=" + URLEncoder.encode(did, StandardCharsets.UTF_8));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            var doc = TestServer.json(r).path("didDoc");
            assertThat(doc.path("id").asText()).isEqualTo(did);
            assertThat(doc.at("/alsoKnownAs/0").asText()).isEqualTo("at://" + TestServer.HANDLE);
            assertThat(doc.at("/verificationMethod/0/publicKeyMultibase").asText())
                    .isEqualTo(server.config.signingKey().publicKey().multikey());
            assertThat(doc.at("/service/0/serviceEndpoint").asText()).isEqualTo(ENDPOINT);
            assertThat(server.get("/.well-known/atproto-did").body()).isEqualTo(did);
        }

        // show: the document, then the log, checked.
        var shown = run("plc", "show", "--env-file", envFile.toString());
        assertThat(shown.code()).as(shown.err()).isZero();
        assertThat(shown.out()).contains("# DID document of " + did).contains("\"id\" : \"" + did + "\"")
                .contains("# audit log: 1 operation").contains("\"cid\" : \"" + genesis.cid() + "\"")
                .contains("\"sig\" : \"" + genesis.sig() + "\"").contains("# the log verifies");
        var docJson = shown.out().substring(shown.out().indexOf('{'), shown.out().indexOf("# audit log"));
        assertThat(Json.READER.readTree(docJson)).isEqualTo(StandInPlcDirectory.document(Plc.verifyLog(did, plc.log(did)).data().orElseThrow()));

        // After a later operation, show lists both.
        var next = PlcOperation.after(genesis).withHandle("bob.test").sign(recovery);
        assertThat(plc.append(did, next)).isTrue();
        var shownAgain = run("plc", "show", "--env-file", envFile.toString());
        assertThat(shownAgain.code()).as(shownAgain.err()).isZero();
        assertThat(shownAgain.out()).contains("# audit log: 2 operations").contains("at://bob.test").contains("\"prev\" : \"" + genesis.cid() + "\"");
    }

    @Test
    void createRefusesToReplaceAnotherDidUnlessForced() throws Exception {
        var other = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
        Files.writeString(envFile, Files.readString(envFile).replace("PDS_DID=\n", "PDS_DID=" + other + "\n"));
        var refused = run("plc", "create", "--env-file", envFile.toString(), "--endpoint", ENDPOINT);
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err()).contains("already sets PDS_DID=" + other).contains("--force");
        assertThat(plc.dids()).isEmpty();
        assertThat(env()).containsEntry("PDS_DID", other);

        var forced = run("plc", "create", "--env-file", envFile.toString(), "--endpoint", ENDPOINT, "--handle", "Bob.Test", "--force");
        assertThat(forced.code()).as(forced.err()).isZero();
        var did = forced.out().lines().findFirst().orElseThrow();
        assertThat(plc.dids()).containsExactly(did);
        assertThat(((PlcOperation) plc.log(did).getFirst()).alsoKnownAs()).containsExactly("at://bob.test");
        // A handle other than PDS_HANDLE is written too, so the server says what the document says.
        assertThat(env()).containsEntry("PDS_DID", did).containsEntry("PDS_HANDLE", "bob.test");
    }

    @Test
    void createRefusesWithoutItsKeysOrItsFileAndSubmitsNothing() throws Exception {
        var noFile = run("plc", "create", "--endpoint", ENDPOINT);
        assertThat(noFile.code()).isEqualTo(1);
        assertThat(noFile.err()).contains("--env-file is required");

        Files.writeString(envFile, Files.readString(envFile).replaceAll("(?m)^PDS_PLC_ROTATION_KEY=.*$", "PDS_PLC_ROTATION_KEY="));
        var noKey = run("plc", "create", "--env-file", envFile.toString(), "--endpoint", ENDPOINT);
        assertThat(noKey.code()).isEqualTo(1);
        assertThat(noKey.err()).contains("PDS_PLC_ROTATION_KEY");

        Files.writeString(envFile, Files.readString(envFile).replaceAll("(?m)^PDS_PLC_ROTATION_KEY=$", "PDS_PLC_ROTATION_KEY=nothex")
                .replaceAll("(?m)^REPO_SIGNING_KEY=.*$", "REPO_SIGNING_KEY="));
        var bad = run("plc", "create", "--env-file", envFile.toString(), "--endpoint", ENDPOINT);
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("PDS_PLC_ROTATION_KEY: not a valid secp256k1 private key");

        for (var endpoint : List.of("ftp://pds.example.com", "https://pds.example.com/path", "https://user@pds.example.com")) {
            var r = run("plc", "create", "--env-file", envFile.toString(), "--endpoint", endpoint);
            assertThat(r.code()).as(endpoint).isEqualTo(1);
        }
        assertThat(plc.dids()).isEmpty();
        assertThat(env()).containsEntry("PDS_DID", "");
    }

    @Test
    void showRefusesWhatItCannotShow() throws Exception {
        var unknown = run("plc", "show", "--env-file", envFile.toString(), "--did", "did:plc:ewvi7nxzyoun6zhxrhs64oiz");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).startsWith("alteran: ").contains("does not know");
        var web = run("plc", "show", "--env-file", envFile.toString(), "--did", "did:web:example.com");
        assertThat(web.code()).isEqualTo(1);
        assertThat(web.err()).contains("not a did:plc");
        assertThat(Set.copyOf(plc.dids())).isEmpty();
    }
}
