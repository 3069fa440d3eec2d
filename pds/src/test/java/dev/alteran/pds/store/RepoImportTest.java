package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.data.Cid;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which blob references an imported record brings (listMissingBlobs and verify count the same ones). */
class RepoImportTest {
    static final Cid A = Cid.ofRaw(new byte[] {1});
    static final Cid B = Cid.ofRaw(new byte[] {2});
    static final Cid C = Cid.ofRaw(new byte[] {3});

    static Map<String, Object> blob(Cid cid) {
        return Map.of("$type", "blob", "ref", cid, "mimeType", "image/png", "size", 10L);
    }

    @Test
    void typedAndLegacyReferencesAnywhereInTheRecordEachOnce() {
        var record = Map.of(
                "$type", "app.bsky.feed.post",
                "embed", Map.of("images", List.of(Map.of("image", blob(A)), Map.of("image", blob(B)), Map.of("image", blob(A)))),
                // The reference PDS counts legacy {cid, mimeType} references on import too.
                "avatar", Map.of("cid", C.toString(), "mimeType", "image/jpeg"));
        assertThat(RepoImport.blobRefs(record)).containsExactlyInAnyOrder(A, B, C);
    }

    @Test
    void lookalikesAreNotReferences() {
        var record = Map.of(
                "notBlob", Map.of("$type", "blob", "ref", "not a cid"),
                "notLegacy", Map.of("cid", "nope", "mimeType", "image/png"),
                "link", A);
        assertThat(RepoImport.blobRefs(record)).isEmpty();
    }
}
