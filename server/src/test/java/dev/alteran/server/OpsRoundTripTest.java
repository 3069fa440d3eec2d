package dev.alteran.server;

import static dev.alteran.server.Ops.cli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.car.CarReader;
import dev.alteran.atproto.repo.RepoVerifier;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backup round trip of the operations issue: a repository of 20,000 records and 50 blobs is
 * exported (CAR and blob files), imported into a fresh data directory, and verified on both sides,
 * which end at the same head commit; the imported PDS then serves it.
 */
class OpsRoundTripTest {
    static final int RECORDS = 20_000;
    static final int BLOBS = 50;

    @TempDir
    Path tmp;

    @Test
    void twentyThousandRecordsAndFiftyBlobsSurviveExportImportAndVerify() throws Exception {
        try (var source = TestServer.start()) {
            long t0 = System.nanoTime();
            var blobs = Ops.uploadBlobs(source, BLOBS, 42);
            Ops.writePosts(source, RECORDS, blobs);
            System.out.printf("wrote %d records and %d blobs in %.1f s%n", RECORDS, BLOBS, (System.nanoTime() - t0) / 1e9);
            var head = source.alteran.repo().head().cid();
            var envA = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), source.config.dataDir());

            // Export while the source server runs (one read snapshot).
            var car = tmp.resolve("backup.car");
            var blobDir = tmp.resolve("blobs");
            var export = cli("export", "--env-file", envA.toString(), "--out", car.toString(), "--blobs", blobDir.toString());
            System.out.print("export: " + export.out());
            assertThat(export.status()).as(export.toString()).isZero();
            assertThat(export.out()).contains("exported " + head).contains("20,000 records").contains("exported 50 blobs");
            try (var files = Files.list(blobDir)) {
                assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
                        .containsExactlyElementsOf(blobs.stream().map(b -> b.ref().toString()).sorted().toList());
            }
            // The CAR is a whole, valid repository by the protocol library's own verifier.
            var verified = RepoVerifier.verifyCar(Files.newInputStream(car), source.config.did(), source.config.signingKey().publicKey());
            assertThat(verified.recordCount()).isEqualTo(RECORDS);
            assertThat(CarReader.open(Files.newInputStream(car)).roots()).containsExactly(head);

            var verifyA = cli("verify", "--env-file", envA.toString());
            System.out.print("verify source: " + verifyA.out());
            assertThat(verifyA.status()).as(verifyA.toString()).isZero();
            assertThat(verifyA.out()).contains("verified " + head).contains("20,000 records").contains("50 blob references")
                    .contains("0 unreachable blocks").doesNotContain("problem");

            // Import into a fresh data directory (no server on it), with the blobs.
            var dataB = tmp.resolve("b");
            var envB = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), dataB);
            var imported = cli("import", car.toString(), "--env-file", envB.toString(), "--blobs", blobDir.toString());
            System.out.print("import: " + imported.out());
            assertThat(imported.status()).as(imported.toString()).isZero();
            assertThat(imported.out()).contains("imported " + head).contains("20,000 records").contains("50 blob references")
                    .contains("stored 50 blobs");

            var verifyB = cli("verify", "--env-file", envB.toString());
            System.out.print("verify imported: " + verifyB.out());
            assertThat(verifyB.status()).as(verifyB.toString()).isZero();
            assertThat(verifyB.out()).contains("verified " + head).contains("20,000 records").contains("0 unreachable blocks");
            assertThat(Ops.head(dataB)).isEqualTo(head);

            // The imported repository exports to the very same bytes.
            var again = tmp.resolve("again.car");
            assertThat(cli("export", "--env-file", envB.toString(), "--out", again.toString()).status()).isZero();
            assertThat(Arrays.equals(Files.readAllBytes(again), Files.readAllBytes(car))).isTrue();

            // And a server on the imported data serves it: records, blobs, nothing missing.
            var overrides = new HashMap<>(Ops.sameAccount(source));
            overrides.put("PDS_DATA_DIR", dataB.toString());
            try (var target = TestServer.start(overrides)) {
                assertThat(target.alteran.repo().head().cid()).isEqualTo(head);
                var did = URLEncoder.encode(source.config.did(), StandardCharsets.UTF_8);
                var list = TestServer.json(target.get("/xrpc/com.atproto.repo.listRecords?repo=" + did + "&collection=app.bsky.feed.post&limit=100"));
                assertThat(list.get("records")).hasSize(100);
                var blob = target.get("/xrpc/com.atproto.sync.getBlob?did=" + did + "&cid=" + blobs.get(7).ref());
                assertThat(blob.statusCode()).isEqualTo(200);
                assertThat(target.alteran.blobs().listMissing(null, 10)).isEmpty();
                // Writes continue from the imported head, with a later rev.
                var next = Ops.writePosts(target, 1, java.util.List.of());
                assertThat(target.alteran.repo().head().rev()).isGreaterThan(verified.commit().rev());
                assertThat(next).hasSize(1);
            }
        }
    }

    @Test
    void aCarOfAnotherAccountIsRefusedAndChangesNothing() throws Exception {
        try (var source = TestServer.start()) {
            Ops.writePosts(source, 300, java.util.List.of());
            var car = tmp.resolve("other.car");
            var envA = Ops.envFile(tmp, source.config.did(), source.config.repoSigningKey(), source.config.dataDir());
            assertThat(cli("export", "--env-file", envA.toString(), "--out", car.toString()).status()).isZero();

            var dataB = tmp.resolve("b");
            var otherDid = "did:web:elsewhere.example.com";
            var envB = Ops.envFile(tmp, otherDid, source.config.repoSigningKey(), dataB);
            var run = cli("import", car.toString(), "--env-file", envB.toString());
            assertThat(run.status()).isEqualTo(1);
            assertThat(run.err()).contains("Invalid repository").contains("commit is for " + source.config.did() + ", not " + otherDid);
            assertThat(Ops.head(dataB)).isNull();

            // Same DID, another key: the signature does not verify.
            var envC = Ops.envFile(tmp, source.config.did(),
                    java.util.HexFormat.of().formatHex(dev.alteran.atproto.crypto.Keypair.generate(dev.alteran.atproto.crypto.Curve.K256).privateKeyBytes()), tmp.resolve("c"));
            var bad = cli("import", car.toString(), "--env-file", envC.toString());
            assertThat(bad.status()).isEqualTo(1);
            assertThat(bad.err()).contains("invalid commit signature");
            assertThat(Ops.head(tmp.resolve("c"))).isNull();

            // Moving from a PDS that held the key: --resign keeps the tree under a new commit signed by ours.
            var moved = cli("import", car.toString(), "--env-file", envC.toString(), "--resign");
            assertThat(moved.status()).as(moved.toString()).isZero();
            assertThat(moved.out()).contains("300 records");
            var verify = cli("verify", "--env-file", envC.toString());
            assertThat(verify.status()).as(verify.toString()).isZero();
            var newHead = Ops.head(tmp.resolve("c"));
            var sourceHead = source.alteran.repo().head();
            assertThat(newHead).isNotEqualTo(sourceHead.cid());
            try (var db = dev.alteran.pds.store.Database.openSqlite(tmp.resolve("c").resolve("alteran.sqlite"))) {
                var commit = dev.alteran.atproto.repo.Commit.decode(new dev.alteran.pds.store.SqlBlockSource(db).get(newHead));
                assertThat(commit.data()).isEqualTo(sourceHead.data().root());
                assertThat(commit.rev()).isGreaterThan(sourceHead.rev());
                // The source's own commit block was not kept.
                assertThat(new dev.alteran.pds.store.SqlBlockSource(db).get(sourceHead.cid())).isNull();
            }
        }
    }

    static Map<String, String> env(TestServer s) {
        return Ops.sameAccount(s);
    }
}
