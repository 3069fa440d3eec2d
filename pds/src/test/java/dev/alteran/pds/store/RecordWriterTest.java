package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** putRecord's create-or-replace, below the XRPC layer. */
@ParameterizedClass(name = "{0}")
@EnumSource(Dialect.class)
class RecordWriterTest {
    @Parameter
    Dialect dialect;
    TestDatabase testDb;

    static final String POST = RepoStoreTest.POST;

    @TempDir
    Path dir;
    Database db;
    RepoStore store;
    RecordWriter writer;

    @BeforeEach
    void open() {
        testDb = TestDatabase.create(dialect, dir);
        db = testDb.open();
        store = RepoStore.open(db, RepoStoreTest.DID, Keypair.generate(Curve.K256), new SequenceLog(db));
        writer = new RecordWriter(store, new RecordPreparer(RepoStoreTest.LEXICONS));
    }

    @AfterEach
    void close() {
        db.close();
    }

    static JsonNode post(String text) throws Exception {
        return RepoStoreTest.JSON.readTree("{\"text\":\"" + text + "\",\"createdAt\":\"2024-01-01T00:00:00.000Z\"}");
    }

    @Test
    void createsThenReplacesAndCommitsNothingForTheSameContent() throws Exception {
        var created = writer.put(POST, "3jzfcijpj2z2a", post("one"), null, null, null);
        assertThat(created.uri()).isEqualTo("at://" + RepoStoreTest.DID + "/" + POST + "/3jzfcijpj2z2a");
        assertThat(created.record().validationStatus()).isEqualTo("valid");
        assertThat(created.commit().cid()).isEqualTo(store.head().cid());

        var same = writer.put(POST, "3jzfcijpj2z2a", post("one"), null, null, null);
        assertThat(same.commit()).isNull();
        assertThat(same.record().cid()).isEqualTo(created.record().cid());

        var replaced = writer.put(POST, "3jzfcijpj2z2a", post("two"), false, new RecordSwap(created.record().cid()), created.commit().cid());
        assertThat(replaced.record().validationStatus()).isNull();
        assertThat(store.getRecord(POST, "3jzfcijpj2z2a", null).cid()).isEqualTo(replaced.record().cid());
    }

    @Test
    void refusalsAreRepoWriteExceptionsAndWriteNothing() throws Exception {
        var created = writer.put(POST, "3jzfcijpj2z2a", post("one"), null, null, null);
        assertThatThrownBy(() -> writer.put(POST, "3jzfcijpj2z2a", post("two"), null, RecordSwap.ABSENT, null))
                .isInstanceOfSatisfying(RepoWriteException.class, e -> assertThat(e.error()).isEqualTo("InvalidSwap"));
        assertThatThrownBy(() -> writer.put(POST, "3jzfcijpj2z2a", RepoStoreTest.JSON.readTree("{\"text\":1}"), true, null, null))
                .isInstanceOfSatisfying(RepoWriteException.class, e -> assertThat(e.error()).isEqualTo("InvalidRequest"));
        assertThat(store.head().cid()).isEqualTo(created.commit().cid());
    }
}
