package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.plc.Plc;
import dev.alteran.atproto.plc.PlcOperation;
import dev.alteran.pds.auth.PasswordHash;
import dev.alteran.pds.blob.BlobRef;
import dev.alteran.pds.xrpc.IdentityHandlers;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.SequenceInputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import picocli.CommandLine;

/**
 * {@code alteran migrate-in} and {@code migrate-out}, run in-process against real servers sharing a
 * stand-in PLC directory: a did:plc account with records, blobs and preferences on A moves to a fresh
 * install B (a wrong password first, which changes nothing; then a run stopped by a wrong PLC token,
 * which a second run resumes), and from B on to another fresh install C. The tests run in order: each
 * starts where the previous one left the account.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MigrateCommandsTest {
    static final int RECORDS = 30;
    static final String PREFERENCES = "[" + PreferencesTest.ADULT + "," + PreferencesTest.SAVED + "]";

    static final Keypair ROTATION_A = Keypair.generate(Curve.K256);
    static final Keypair ROTATION_B = Keypair.generate(Curve.K256);
    static final Keypair ROTATION_C = Keypair.generate(Curve.K256);
    static StandInPlcDirectory plc;
    static String did;
    static TestServer a, b, c;
    static List<BlobRef> blobs;
    static Snapshot before;

    /** What the move must carry: every record (uri -> cid), every blob CID, the preferences. */
    record Snapshot(Map<String, String> records, List<String> blobs, JsonNode preferences) {}

    @BeforeAll
    static void start() throws Exception {
        plc = new StandInPlcDirectory();
        var genesis = PlcOperation.atproto(List.of(ROTATION_A.didKey()), Keypair.generate(Curve.K256).didKey(), TestServer.HANDLE,
                "https://elsewhere.example").sign(ROTATION_A);
        did = plc.create(genesis);
        a = server(ROTATION_A);
        // The DID moves to A (its endpoint and key), which then activates: the account's home before these moves.
        assertThat(plc.append(did, PlcOperation.after(genesis).withPdsEndpoint(a.url("")).withAtprotoKey(a.config.signingKey().didKey())
                .sign(ROTATION_A))).isTrue();
        var token = AuthClient.login(a).path("accessJwt").asText();
        var activated = AuthClient.postNoBody(a, "/xrpc/com.atproto.server.activateAccount", "authorization", "Bearer " + token);
        assertThat(activated.statusCode()).as(activated.body()).isEqualTo(200);
        blobs = Ops.uploadBlobs(a, 4, 7);
        Ops.writePosts(a, RECORDS, blobs);
        var put = a.post("/xrpc/app.bsky.actor.putPreferences", "{\"preferences\":" + PREFERENCES + "}", "authorization", "Bearer " + token);
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        before = snapshot(a);
        assertThat(before.records()).hasSize(RECORDS);
        assertThat(before.blobs()).hasSize(4);

        b = server(ROTATION_B);
        c = server(ROTATION_C);
    }

    @AfterAll
    static void stop() throws Exception {
        for (var s : new TestServer[] {a, b, c}) if (s != null) s.close();
        if (plc != null) plc.close();
    }

    /** A fresh install for the account's DID with its own rotation key: deactivated, with an empty repository. */
    static TestServer server(Keypair rotation) throws Exception {
        return TestServer.start(Map.of("PDS_DID", did, "PDS_PLC_URL", plc.url(),
                "PDS_PLC_ROTATION_KEY", HexFormat.of().formatHex(rotation.privateKeyBytes())));
    }

    static Path envFile(TestServer server) throws IOException {
        return envFile(server, Map.of());
    }

    /** The server's settings as an env file for a CLI command, with {@code changes}. */
    static Path envFile(TestServer server, Map<String, String> changes) throws IOException {
        var file = server.dataDir.resolve("test.env");
        var settings = new TreeMap<>(server.settings);
        settings.putAll(changes);
        Files.writeString(file, Secrets.render(settings));
        return file;
    }

    /** {@code alteran <args>} in this JVM, the migration commands reading {@code stdin}. */
    static Ops.Run cli(InputStream stdin, String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        var cli = AlteranServer.commandLine(new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                if (cls == MigrateInCommand.class) return cls.cast(new MigrateInCommand(stdin));
                if (cls == MigrateOutCommand.class) return cls.cast(new MigrateOutCommand(stdin));
                return CommandLine.defaultFactory().create(cls);
            }
        });
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int status = cli.execute(args);
        return new Ops.Run(status, out.toString(), err.toString());
    }

    /** Standard input whose lines are made when they are read: a PLC token exists only once the command asked the old host for it. */
    @SafeVarargs
    static InputStream lines(Supplier<String>... lines) {
        var streams = new ArrayList<InputStream>();
        for (var line : lines) {
            streams.add(new InputStream() {
                InputStream made;

                private InputStream made() {
                    if (made == null) made = new ByteArrayInputStream((line.get() + "\n").getBytes(StandardCharsets.UTF_8));
                    return made;
                }

                @Override
                public int read() throws IOException {
                    return made().read();
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    return made().read(buf, off, len);
                }
            });
        }
        return new SequenceInputStream(Collections.enumeration(streams));
    }

    static Ops.Run migrateIn(InputStream stdin) throws IOException {
        return cli(stdin, "migrate-in", "--from", a.url(""), "--identifier", TestServer.HANDLE, "--to", b.url(""),
                "--data", b.dataDir.toString(), "--env-file", envFile(b).toString(), "--password-stdin");
    }

    /** The token A e-mails (this server writes it to plc-token.txt instead). */
    static String tokenOf(TestServer server) {
        try {
            return Files.readAllLines(server.dataDir.resolve(IdentityHandlers.TOKEN_FILE)).getFirst();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Snapshot snapshot(TestServer server) throws Exception {
        var records = new TreeMap<String, String>();
        var collections = TestServer.json(server.get("/xrpc/com.atproto.repo.describeRepo?repo=" + did)).path("collections");
        for (var collection : collections) {
            String cursor = null;
            do {
                var page = TestServer.json(server.get("/xrpc/com.atproto.repo.listRecords?limit=100&repo=" + did + "&collection="
                        + collection.asText() + (cursor == null ? "" : "&cursor=" + cursor)));
                for (var r : page.path("records")) records.put(r.path("uri").asText(), r.path("cid").asText());
                cursor = page.path("records").isEmpty() ? null : page.path("cursor").asText(null);
            } while (cursor != null);
        }
        var cids = new ArrayList<String>();
        for (var cid : TestServer.json(server.get("/xrpc/com.atproto.sync.listBlobs?limit=1000&did=" + did)).path("cids")) cids.add(cid.asText());
        Collections.sort(cids);
        var token = AuthClient.login(server).path("accessJwt").asText();
        var preferences = TestServer.json(AuthClient.getWithToken(server, "/xrpc/app.bsky.actor.getPreferences", token)).path("preferences");
        return new Snapshot(records, cids, preferences);
    }

    static JsonNode status(TestServer server) throws Exception {
        var token = AuthClient.login(server).path("accessJwt").asText();
        return TestServer.json(AuthClient.getWithToken(server, "/xrpc/com.atproto.server.checkAccountStatus", token));
    }

    @Test
    @Order(2)
    void aWrongPasswordOrAnUnreachableHostStopsBeforeAnythingChanges() throws Exception {
        var b0 = MigrationTest.State.of(b);
        var a0 = MigrationTest.State.of(a);
        var wrong = migrateIn(lines(() -> "not the password"));
        assertThat(wrong.status()).as(wrong.toString()).isEqualTo(1);
        assertThat(wrong.err()).as(wrong.toString()).contains("the old host refused the login of " + TestServer.HANDLE)
                .contains("check the identifier and the password");

        var unreachable = cli(lines(() -> TestServer.PASSWORD), "migrate-in", "--from", "http://127.0.0.1:1", "--identifier",
                TestServer.HANDLE, "--to", b.url(""), "--data", b.dataDir.toString(), "--env-file", envFile(b).toString(), "--password-stdin");
        assertThat(unreachable.status()).as(unreachable.toString()).isEqualTo(1);
        assertThat(unreachable.err()).as(unreachable.toString()).contains("cannot reach the old host at http://127.0.0.1:1: check --from");

        var noStdin = migrateIn(new ByteArrayInputStream(new byte[0]));
        assertThat(noStdin.status()).as(noStdin.toString()).isEqualTo(1);
        assertThat(noStdin.err()).contains("standard input ended before Password of " + TestServer.HANDLE);

        assertThat(MigrationTest.State.of(b)).isEqualTo(b0);
        assertThat(MigrationTest.State.of(a)).isEqualTo(a0);
        assertThat(b.dataDir.resolve("migrate-in.json")).doesNotExist();
        assertThat(plc.log(did)).hasSize(2);
    }

    @Test
    @Order(1)
    void aHostileOrWrongOldHostIsRefusedBeforeAnythingChanges() throws Exception {
        var b0 = MigrationTest.State.of(b);
        try (var hostile = new StandInService()) {
            var session = new java.util.concurrent.atomic.AtomicReference<String>();
            hostile.on("/xrpc/com.atproto.server.createSession", exchange -> StandInService.send(exchange, 200, "application/json", session.get()));
            Supplier<Ops.Run> run = () -> {
                try {
                    return cli(lines(() -> TestServer.PASSWORD), "migrate-in", "--from", hostile.url(), "--identifier", TestServer.HANDLE,
                            "--to", b.url(""), "--data", b.dataDir.toString(), "--env-file", envFile(b).toString(), "--password-stdin");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            };
            // Another account than the one this server is configured for.
            var other = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
            session.set("{\"accessJwt\":\"a\",\"refreshJwt\":\"r\",\"did\":\"" + other + "\",\"handle\":\"alice.test\"}");
            var wrongDid = run.get();
            assertThat(wrongDid.status()).as(wrongDid.toString()).isEqualTo(1);
            assertThat(wrongDid.err()).contains(TestServer.HANDLE + " is " + other + ", but this server is configured for " + did)
                    .contains("set PDS_DID to " + other);
            // An answer without end, and one that is not an XRPC output.
            session.set("{\"accessJwt\":\"" + "a".repeat(17 << 20) + "\"}");
            var endless = run.get();
            assertThat(endless.status()).as(endless.toString()).isEqualTo(1);
            assertThat(endless.err()).contains(hostile.url() + " answered com.atproto.server.createSession with an answer larger than");
            session.set("[1, 2]");
            var notAnObject = run.get();
            assertThat(notAnObject.err()).as(notAnObject.toString()).contains("with an answer that is not a JSON object");
        }
        var notAUrl = cli(lines(() -> TestServer.PASSWORD), "migrate-in", "--from", "file:///etc/passwd", "--identifier", TestServer.HANDLE,
                "--to", b.url(""), "--data", b.dataDir.toString(), "--env-file", envFile(b).toString(), "--password-stdin");
        assertThat(notAUrl.status()).isEqualTo(1);
        assertThat(notAUrl.err()).contains("--from must be the server's http(s) URL");
        assertThat(MigrationTest.State.of(b)).isEqualTo(b0);
        assertThat(b.dataDir.resolve("migrate-in.json")).doesNotExist();
    }

    @Test
    @Order(3)
    void aWrongPlcTokenStopsTheMoveAfterTheCopiesWithTheOldAccountStillActive() throws Exception {
        var run = migrateIn(lines(() -> TestServer.PASSWORD, () -> "AAAAA-AAAAA"));
        assertThat(run.status()).as(run.toString()).isEqualTo(1);
        assertThat(run.out()).as(run.toString())
                .contains("account: created on the new host")
                .containsPattern("repository: imported [0-9,]+ bytes: " + RECORDS + " records")
                .contains("blobs: copied 4 of 4 missing")
                .contains("preferences: copied 2")
                .contains("identity: the old host has sent a confirmation code");
        assertThat(run.err()).contains("the old host refused the PLC token").contains("run again");
        // Copied, not moved: B holds the data, deactivated; A is still the active host; the DID document is unchanged.
        var status = status(b);
        assertThat(status.path("activated").asBoolean()).isFalse();
        assertThat(status.path("validDid").asBoolean()).isFalse();
        assertThat(status.path("indexedRecords").asLong()).isEqualTo(RECORDS);
        assertThat(status.path("importedBlobs").asLong()).isEqualTo(4);
        assertThat(a.alteran.accountStatus().isActive()).isTrue();
        assertThat(plc.log(did)).hasSize(2);
        assertThat(b.dataDir.resolve("migrate-in.json")).exists();
    }

    @Test
    @Order(4)
    void aSecondRunResumesWhereTheFirstStoppedAndCompletesTheMove() throws Exception {
        var b0 = MigrationTest.State.of(b);
        var run = migrateIn(lines(() -> TestServer.PASSWORD, () -> tokenOf(a)));
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.out()).as(run.toString())
                .contains("resuming the move started earlier")
                .contains("account: created on the new host by an earlier run; logged in")
                .contains("repository: already imported (commit " + b0.head())
                .contains("blobs: none missing (4 stored)")
                .contains("identity: PLC operation signed by the old host and submitted by the new host")
                .contains("account: activated on the new host")
                .contains("verified: the new host is active and named by the DID document; " + RECORDS + " records")
                .contains("old host: account deactivated")
                .contains("done: " + did + " is hosted by " + b.url(""));
        assertThat(run.out()).doesNotContain("repository: imported").doesNotContain("blobs: copied");
        assertThat(b.dataDir.resolve("migrate-in.json")).doesNotExist();

        // The directory names B, with B's key and rotation key; B is active and holds everything; A is deactivated.
        var data = Plc.verifyAuditLog(did, plc.auditLog(did)).data().orElseThrow();
        assertThat(data.pdsEndpoint()).contains(b.url(""));
        assertThat(data.atprotoKey()).contains(b.config.signingKey().didKey());
        assertThat(data.rotationKeys()).contains(ROTATION_B.didKey());
        var status = status(b);
        assertThat(status.path("activated").asBoolean()).isTrue();
        assertThat(status.path("validDid").asBoolean()).isTrue();
        assertThat(b.alteran.accountStatus().isActive()).isTrue();
        assertThat(a.alteran.accountStatus().isActive()).isFalse();
        assertThat(snapshot(b)).isEqualTo(before);
        assertThat(Ops.count(b.alteran.database(), "blob")).isEqualTo(4);
        for (var ref : blobs) {
            try (var x = a.alteran.blobs().open(ref.ref()).orElseThrow(); var y = b.alteran.blobs().open(ref.ref()).orElseThrow()) {
                assertThat(y.readAllBytes()).isEqualTo(x.readAllBytes());
            }
        }

        // Once done, running it again changes nothing.
        var again = migrateIn(lines(() -> TestServer.PASSWORD));
        assertThat(again.status()).as(again.toString()).isZero();
        assertThat(again.out()).contains("account: logged in on the new host, where it is active already")
                .contains("copies: skipped, the account is active on the new host already").contains("the account is deactivated already");
        assertThat(plc.log(did)).hasSize(3);
    }

    @Test
    @Order(5)
    void migrateOutMovesTheAccountOnToAnotherHostWithATokenMadeHere() throws Exception {
        // USER_PASSWORD as a hash (the same password): the command asks for the password, after the new one.
        var hashed = envFile(b, Map.of("USER_PASSWORD", PasswordHash.Argon2id.create(TestServer.PASSWORD, 1024, 1, 1).encoded()));
        // The new host refuses a wrong password for the account: stopped there, nothing changed.
        var c0 = MigrationTest.State.of(c);
        var wrong = cli(lines(() -> "not the password", () -> TestServer.PASSWORD), "migrate-out", "--to", c.url(""), "--from", b.url(""),
                "--data", b.dataDir.toString(), "--env-file", hashed.toString(), "--password-stdin");
        assertThat(wrong.status()).as(wrong.toString()).isEqualTo(1);
        assertThat(wrong.err()).as(wrong.toString()).contains("the new host refused createAccount").contains("check the password for the new host");
        assertThat(MigrationTest.State.of(c)).isEqualTo(c0);
        assertThat(b.alteran.accountStatus().isActive()).isTrue();
        assertThat(b.dataDir.resolve("migrate-out.json")).doesNotExist();

        var run = cli(lines(() -> TestServer.PASSWORD, () -> TestServer.PASSWORD), "migrate-out", "--to", c.url(""), "--email",
                "alice@example.com", "--from", b.url(""), "--data", b.dataDir.toString(), "--env-file", hashed.toString(), "--password-stdin");
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.out()).as(run.toString())
                .contains("account: created on the new host")
                .containsPattern("repository: imported [0-9,]+ bytes: " + RECORDS + " records")
                .contains("blobs: copied 4 of 4 missing")
                .contains("preferences: copied 2")
                .contains("identity: made the token for signPlcOperation here (no e-mail needed)")
                .contains("identity: PLC operation signed by the old host and submitted by the new host")
                .contains("old host: account deactivated");
        var data = Plc.verifyAuditLog(did, plc.auditLog(did)).data().orElseThrow();
        assertThat(data.pdsEndpoint()).contains(c.url(""));
        assertThat(data.atprotoKey()).contains(c.config.signingKey().didKey());
        assertThat(c.alteran.accountStatus().isActive()).isTrue();
        assertThat(b.alteran.accountStatus().isActive()).isFalse();
        assertThat(snapshot(c)).isEqualTo(before);
        assertThat(b.dataDir.resolve("migrate-out.json")).doesNotExist();
        // B made the token itself: nothing was left in B's token file by a request.
        assertThat(b.dataDir.resolve(IdentityHandlers.TOKEN_FILE)).doesNotExist();
    }
}
