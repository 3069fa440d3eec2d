package dev.alteran.pds.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.data.Base58;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.wire.Json;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Map;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whether a DID document makes this server the account's PDS (the condition of activateAccount). */
class DidDocumentsTest {
    static final String DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
    @TempDir
    Path dir;

    @Test
    void aDocumentPointsHereOnlyWithOurEndpointAndOurKey() {
        var key = Keypair.generate(Curve.K256);
        var config = Config.from(Map.of("ALTERAN_ENV", "production", "PDS_DID", DID, "PDS_HANDLE", "alice.example.com",
                "PDS_HOSTNAME", "pds.example.com", "REPO_SIGNING_KEY", HexFormat.of().formatHex(key.privateKeyBytes())));
        try (var db = Database.openSqlite(dir.resolve("alteran.sqlite"))) {
            var identity = Identity.open(db, DID, "alice.example.com", Clock.systemUTC());
            var docs = new DidDocuments(config, identity, null);
            var ours = docs.build("https://pds.example.com").toJson();
            assertThat(docs.problemWith(ours, null)).isNull();
            assertThat(docs.problemWith(docs.build("https://pds.example.com/").toJson(), null)).isNull();

            var elsewhere = docs.build("https://bsky.social").toJson();
            assertThat(docs.problemWith(elsewhere, null)).isEqualTo("DID document atproto_pds service endpoint does not match PDS public url");

            var otherKey = (com.fasterxml.jackson.databind.node.ObjectNode) ours.deepCopy();
            ((com.fasterxml.jackson.databind.node.ObjectNode) otherKey.get("verificationMethod").get(0))
                    .put("publicKeyMultibase", Keypair.generate(Curve.K256).publicKey().multikey());
            assertThat(docs.problemWith(otherKey, null)).isEqualTo("DID document verification method does not match expected signing key");
            assertThat(docs.problemWith(Json.object(), null)).startsWith("DID document atproto_pds");

            // The PLC directory's legacy form of the same key (what @did-plc/server still serves): still ours.
            var legacy = (com.fasterxml.jackson.databind.node.ObjectNode) ours.deepCopy();
            ((com.fasterxml.jackson.databind.node.ObjectNode) legacy.get("verificationMethod").get(0))
                    .put("type", "EcdsaSecp256k1VerificationKey2019").put("publicKeyMultibase", "z" + Base58.encode(uncompressed(key)));
            assertThat(docs.problemWith(legacy, null)).isNull();
            assertThat(docs.atprotoKeyOf(legacy)).isEqualTo(key.publicKey());
            var legacyOther = (com.fasterxml.jackson.databind.node.ObjectNode) legacy.deepCopy();
            ((com.fasterxml.jackson.databind.node.ObjectNode) legacyOther.get("verificationMethod").get(0))
                    .put("publicKeyMultibase", "z" + Base58.encode(uncompressed(Keypair.generate(Curve.K256))));
            assertThat(docs.problemWith(legacyOther, null)).isEqualTo("DID document verification method does not match expected signing key");
        }
    }

    private static byte[] uncompressed(Keypair key) {
        return CustomNamedCurves.getByName("secp256k1").getCurve().decodePoint(key.publicKey().compressed()).getEncoded(false);
    }
}
