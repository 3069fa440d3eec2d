package dev.alteran.pds.blob;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DataJson;
import org.junit.jupiter.api.Test;

/** Which records use which blob, and the listings built on that. */
class BlobReferencesTest extends BlobFixture {
    @Test
    void recordsReferenceUploadedBlobs() throws Exception {
        var blobs = blobs();
        var ref = upload(blobs, png(100), "image/png");
        write(URI_1, ref);
        assertThat(blobs.find(ref.ref()).orElseThrow().referenced()).isTrue();
        assertThat(blobs.listReferenced(null, null, 10)).containsExactly(ref.ref().toString());
    }

    @Test
    void aReferenceMustMatchAnUploadedBlob() throws Exception {
        var blobs = blobs();
        var ref = upload(blobs, png(100), "image/png");
        var missing = new BlobRef(Cid.ofRaw(png(10)), "image/png", 10);
        assertXrpc(() -> write(URI_1, ref, missing), 400, "BlobNotFound");
        assertXrpc(() -> write(URI_1, new BlobRef(ref.ref(), "image/jpeg", 100)), 400, "InvalidMimeType");
        assertXrpc(() -> write(URI_1, new BlobRef(ref.ref(), "image/png", 99)), 400, "InvalidSize");
        assertThat(blobs.find(ref.ref()).orElseThrow().referenced()).isFalse();
        assertThat(blobs.listReferenced(null, null, 10)).isEmpty();
    }

    @Test
    void listingPagesInCidOrder() throws Exception {
        var blobs = blobs();
        var refs = new java.util.ArrayList<String>();
        for (int i = 0; i < 5; i++) {
            var ref = upload(blobs, png(50 + i), "image/png");
            write("at://did:web:example.com/app.bsky.feed.post/" + i, ref);
            refs.add(ref.ref().toString());
        }
        java.util.Collections.sort(refs);
        var page1 = blobs.listReferenced(null, null, 3);
        assertThat(page1).containsExactlyElementsOf(refs.subList(0, 3));
        var page2 = blobs.listReferenced(null, page1.getLast(), 3);
        assertThat(page2).containsExactlyElementsOf(refs.subList(3, 5));
    }

    @Test
    void findsBlobRefsAnywhereInARecord() {
        var a = Cid.ofRaw(new byte[] {1});
        var b = Cid.ofRaw(new byte[] {2});
        var record = DataJson.fromJson("""
                {"$type":"app.bsky.feed.post","text":"hi","createdAt":"2025-01-01T00:00:00.000Z",
                 "embed":{"$type":"app.bsky.embed.images","images":[
                   {"alt":"one","image":{"$type":"blob","ref":{"$link":"%s"},"mimeType":"image/png","size":10}},
                   {"alt":"two","image":{"$type":"blob","ref":{"$link":"%s"},"mimeType":"image/jpeg","size":20}},
                   {"alt":"again","image":{"$type":"blob","ref":{"$link":"%s"},"mimeType":"image/png","size":10}}]},
                 "legacy":{"cid":"%s","mimeType":"image/png"}}""".formatted(a, b, a, a));
        assertThat(BlobReferences.findBlobRefs(record)).containsExactly(new BlobRef(a, "image/png", 10), new BlobRef(b, "image/jpeg", 20));
        assertThat(BlobReferences.findBlobRefs(DataJson.fromJson("{\"text\":\"no blobs\"}"))).isEmpty();
    }
}
