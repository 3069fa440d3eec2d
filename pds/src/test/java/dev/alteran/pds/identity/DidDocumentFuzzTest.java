package dev.alteran.pds.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.syntax.Handle;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.store.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Map;

/**
 * Fuzz target for DID documents as a resolver hands them over (the PLC directory's or a did:web
 * host's response body) and for the DIDs strangers name. Without {@code JAZZER_FUZZ=1} it replays the
 * saved inputs under {@code src/test/resources/dev/alteran/pds/identity/DidDocumentFuzzTestInputs/};
 * bench/fuzz.sh fuzzes it. The seeds are documents of {@link #DID}, one of them ours.
 */
class DidDocumentFuzzTest {
    static final String DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
    static final Keypair KEY = Keypair.fromPrivateKey(Curve.K256,
            HexFormat.of().parseHex("9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c"));
    static final DidDocuments DOCS;

    static {
        try {
            var dir = Files.createTempDirectory("did-fuzz");
            dir.toFile().deleteOnExit();
            var config = Config.from(Map.of("ALTERAN_ENV", "production", "PDS_DID", DID, "PDS_HANDLE", "alice.example.com",
                    "PDS_HOSTNAME", "pds.example.com", "REPO_SIGNING_KEY", HexFormat.of().formatHex(KEY.privateKeyBytes())));
            var db = Database.openSqlite(dir.resolve("alteran.sqlite"));
            DOCS = new DidDocuments(config, Identity.open(db, DID, "alice.example.com", Clock.systemUTC()), null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Any response body is either a document of the DID asked for (a JSON object with that {@code id})
     * or nothing, never an exception; what the server then reads from it (the handle it claims, its
     * {@code #atproto} key, whether it names this server as the PDS) is an answer or "none", never an
     * exception either, and a claimed handle is a valid, normalized one. The same bytes read as a DID
     * give a did:web host that is a plain host name (and port), or none.
     */
    @FuzzTest
    void documentIsReadOrIgnoredNeverThrows(byte[] input) {
        var document = DidDocuments.parseFor(DID, input);
        if (document.isPresent()) {
            var doc = document.get();
            assertTrue(doc.isObject());
            assertEquals(DID, doc.get("id").asText());
            DidDocuments.handleOf(doc).ifPresent(handle -> {
                assertTrue(Handle.isValid(handle), handle);
                assertEquals(Handle.normalize(handle), handle);
            });
            var key = DOCS.atprotoKeyOf(doc);
            var problem = DOCS.problemWith(doc, null);
            if (problem == null) assertEquals(KEY.publicKey().multikey(), key.multikey());
        }
        var host = DidDocuments.webHost(new String(input, StandardCharsets.UTF_8));
        if (host != null) assertTrue(host.matches("[a-z0-9.-]+(:[0-9]{1,5})?"), host);
    }
}
