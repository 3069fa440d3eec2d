package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import dev.alteran.atproto.lexicon.Lexicons;
import org.junit.jupiter.api.Test;

class RecordPreparerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String POST = "app.bsky.feed.post";
    static final String OK_POST = "{\"text\":\"hi\",\"createdAt\":\"2024-01-01T00:00:00.000Z\"}";
    final RecordPreparer preparer = new RecordPreparer(Lexicons.loadBundled());

    PreparedRecord prepare(String collection, String rkey, String json, Boolean validate) throws Exception {
        return preparer.prepare(collection, rkey, JSON.readTree(json), validate);
    }

    void refused(String collection, String rkey, String json, Boolean validate, String message) {
        assertThatThrownBy(() -> prepare(collection, rkey, json, validate)).isInstanceOfSatisfying(RepoWriteException.class, e -> {
            assertThat(e.error()).isEqualTo("InvalidRequest");
            assertThat(e.getMessage()).contains(message);
        });
    }

    @Test
    void fillsInAMissingTypeAndHashesTheDagCbor() throws Exception {
        var r = prepare(POST, "3jzfcijpj2z2a", OK_POST, null);
        assertThat(r.value()).containsEntry("$type", POST).containsEntry("text", "hi");
        assertThat(r.cid()).isEqualTo(Cid.ofDagCbor(r.bytes()));
        assertThat(DagCbor.decodeMap(r.bytes())).isEqualTo(r.value());
        assertThat(r.validationStatus()).isEqualTo("valid");
        assertThat(r.cid()).isEqualTo(prepare(POST, "3jzfcijpj2z2a", "{\"$type\":\"" + POST + "\"," + OK_POST.substring(1), null).cid());
    }

    @Test
    void typeMustBeTheCollection() {
        refused(POST, "3jzfcijpj2z2a", "{\"$type\":\"app.bsky.feed.like\",\"text\":\"x\"}", null, "Invalid $type: expected app.bsky.feed.post, got app.bsky.feed.like");
        refused(POST, "3jzfcijpj2z2a", "{\"$type\":7}", false, "Invalid $type");
    }

    @Test
    void recordKeysMustBeValid() {
        for (var bad : new String[] {".", "..", "a/b", "a b", "", "x".repeat(513), "a\\b", "é"}) {
            refused("com.example.thing", bad, "{}", false, "Invalid record key");
        }
    }

    @Test
    void validateModes() throws Exception {
        // unknown type: accepted as "unknown" when unset, refused when required, unlabelled when skipped
        assertThat(prepare("com.example.thing", "k", "{\"n\":1}", null).validationStatus()).isEqualTo("unknown");
        refused("com.example.thing", "k", "{\"n\":1}", true, "Unknown lexicon type: com.example.thing");
        assertThat(prepare("com.example.thing", "k", "{\"n\":1}", false).validationStatus()).isNull();
        // known type: validated unless skipped
        assertThat(prepare(POST, "3jzfcijpj2z2a", OK_POST, true).validationStatus()).isEqualTo("valid");
        refused(POST, "3jzfcijpj2z2a", "{\"text\":5,\"createdAt\":\"2024-01-01T00:00:00.000Z\"}", null, "Invalid app.bsky.feed.post record");
        refused(POST, "3jzfcijpj2z2a", "{\"text\":\"x\"}", true, "createdAt");
        assertThat(prepare(POST, "3jzfcijpj2z2a", "{\"text\":5}", false).validationStatus()).isNull();
        // the record key is checked against the lexicon's key type too
        refused("app.bsky.actor.profile", "3jzfcijpj2z2a", "{}", null, "Invalid app.bsky.actor.profile record");
        assertThat(prepare("app.bsky.actor.profile", "self", "{}", null).validationStatus()).isEqualTo("valid");
    }

    @Test
    void dataModelViolationsAreRefusedEvenUnvalidated() {
        refused("com.example.thing", "k", "{\"n\":1.5}", false, "Invalid com.example.thing record");
        refused("com.example.thing", "k", "{\"l\":{\"$link\":\"nope\"}}", false, "Invalid com.example.thing record");
        refused("com.example.thing", "k", "{\"b\":{\"$type\":\"blob\",\"ref\":{\"$link\":\"bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm\"}}}", false, "Invalid");
    }

    @Test
    void legacyBlobsAreRefusedAndBlobsAreCollected() throws Exception {
        var cid = "bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm";
        refused("com.example.thing", "k", "{\"avatar\":{\"cid\":\"" + cid + "\",\"mimeType\":\"image/png\"}}", false, "Legacy blobs are not allowed (" + cid + ")");
        var blob = "{\"$type\":\"blob\",\"ref\":{\"$link\":\"" + cid + "\"},\"mimeType\":\"image/png\",\"size\":3}";
        var r = prepare("com.example.thing", "k", "{\"a\":" + blob + ",\"b\":[" + blob + "]}", false);
        assertThat(r.blobs()).extracting(Cid::toString).containsExactly(cid);
    }

    @Test
    void recordsOverOneMebibyteOfDagCborAreRefused() throws Exception {
        var text = "x".repeat(RecordPreparer.MAX_RECORD_BYTES);
        refused("com.example.thing", "k", "{\"t\":\"" + text + "\"}", false, "Record is too large");
        assertThat(prepare("com.example.thing", "k", "{\"t\":\"" + "x".repeat(RecordPreparer.MAX_RECORD_BYTES - 100) + "\"}", false).bytes().length)
                .isLessThanOrEqualTo(RecordPreparer.MAX_RECORD_BYTES);
    }
}
