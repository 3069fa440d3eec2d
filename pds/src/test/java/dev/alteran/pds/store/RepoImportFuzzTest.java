package dev.alteran.pds.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.lexicon.Lexicons;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Fuzz target for the whole {@code com.atproto.repo.importRepo} path: a CAR file handed to
 * {@link RepoStore#importCar} over a real SQLite database (in a temporary directory, shared by all
 * inputs). Without {@code JAZZER_FUZZ=1} it replays the saved inputs under
 * {@code src/test/resources/dev/alteran/pds/store/RepoImportFuzzTestInputs/}; bench/fuzz.sh fuzzes it.
 * The seeds are exports of repositories of {@link #DID}.
 */
class RepoImportFuzzTest {
    static final String DID = "did:plc:abcdefghijklmnopqrstuvwx";
    static final Keypair KEY = Keypair.fromPrivateKey(Curve.K256,
            HexFormat.of().parseHex("9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c"));
    static final Path DIR;
    static final Database DB;
    static final RepoStore STORE;

    static {
        try {
            DIR = Files.createTempDirectory("import-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        DIR.toFile().deleteOnExit();
        DB = Database.openSqlite(DIR.resolve("alteran.sqlite"));
        STORE = RepoStore.open(DB, DID, KEY, new SequenceLog(DB, SequenceLog.DEFAULT_RETENTION, () -> 1));
        // Something to lose: a refused import must leave these records and their blocks as they were.
        var preparer = new RecordPreparer(Lexicons.loadBundled());
        var json = new ObjectMapper();
        var writes = new ArrayList<PreparedWrite>();
        for (int i = 0; i < 3; i++) {
            try {
                var record = json.readTree("{\"text\":\"post " + i + "\",\"createdAt\":\"2024-01-01T00:00:00.000Z\"}");
                var rkey = "3jzfcijpj2z2" + (char) ('a' + i);
                writes.add(new PreparedWrite.Create("app.bsky.feed.post", rkey, preparer.prepare("app.bsky.feed.post", rkey, record, true)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        STORE.applyWrites(writes, null);
    }

    /** Everything an import may change: the head, the blocks, the records and what they reference, the event log. */
    static List<String> state() {
        return DB.read(c -> {
            var out = new ArrayList<String>();
            for (var sql : List.of("SELECT did, hex(cid), rev FROM repo_root",
                    "SELECT hex(cid), hex(content) FROM repo_block ORDER BY cid",
                    "SELECT uri, hex(cid) FROM record ORDER BY uri",
                    "SELECT record_uri, blob_cid FROM record_blob ORDER BY record_uri, blob_cid",
                    "SELECT uri, path, link_to FROM backlink ORDER BY uri, path",
                    "SELECT MAX(seq) FROM seq_event")) {
                try (var st = c.createStatement(); var rs = st.executeQuery(sql)) {
                    int columns = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        var row = new StringBuilder();
                        for (int i = 1; i <= columns; i++) row.append(rs.getString(i)).append('|');
                        out.add(row.toString());
                    }
                }
            }
            return out;
        });
    }

    /**
     * Any bytes are either imported or refused with a {@link RepoWriteException}, nothing else, staged
     * either way. A
     * refused import writes nothing: the head, blocks, records, their blob references and backlinks
     * and the event log are as before. An accepted one leaves a repository that {@code verify} accepts,
     * signed by our key (only blobs still to be uploaded are missing), whose records are the ones the import counted.
     */
    @FuzzTest
    void refusedImportWritesNothing(byte[] input) throws IOException {
        var car = Files.createTempFile(DIR, "import", ".car");
        try {
            Files.write(car, input);
            var before = state();
            RepoImport.Result result;
            try {
                // Inputs of even length are staged in repo_block, as a CAR too large for memory is.
                result = STORE.importCar(car, true, Progress.NONE, input.length % 2 == 0 ? 0 : RepoImport.MEMORY_STAGING_BYTES);
            } catch (RepoWriteException e) {
                assertEquals(before, state(), "a refused import changed the database");
                assertEquals("InvalidRequest", e.error());
                return;
            }
            var report = RepoAudit.verify(DB, DID, KEY.publicKey(), cid -> true, Progress.NONE);
            // Blobs come after the CAR (listMissingBlobs, uploadBlob): only those may be missing.
            var problems = report.problems().stream().filter(p -> !p.endsWith("which is not stored")).toList();
            assertTrue(problems.isEmpty(), () -> "verify refuses the imported repository: " + report);
            assertEquals(result.commit(), STORE.head().cid());
            assertEquals(result.records(), report.records());
        } finally {
            Files.deleteIfExists(car);
        }
    }
}
