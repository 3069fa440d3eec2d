package dev.alteran.pds.blob;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.data.Cid;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Uploads: hashing, type sniffing, size limit and quota, nothing left behind on refusal. */
class BlobsTest extends BlobFixture {
    @Test
    void uploadStoresTheBytesUnderTheirRawCid() throws Exception {
        var blobs = blobs();
        var data = png(5000);
        var ref = upload(blobs, data, "image/png");
        assertThat(ref.ref()).isEqualTo(Cid.ofRaw(data));
        assertThat(ref.ref().codec()).isEqualTo(Cid.RAW);
        assertThat(ref.ref().toString()).startsWith("bafkrei");
        assertThat(ref.mimeType()).isEqualTo("image/png");
        assertThat(ref.size()).isEqualTo(5000);
        try (var in = blobs.open(ref.ref()).orElseThrow()) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        var stored = blobs.find(ref.ref()).orElseThrow();
        assertThat(stored.referenced()).isFalse();
        assertThat(stored.size()).isEqualTo(5000);
        assertThat(ref.toJson()).containsEntry("$type", "blob").containsEntry("mimeType", "image/png").containsEntry("size", 5000L);
    }

    @Test
    void theSameBytesTwiceAreOneBlob() throws Exception {
        var blobs = blobs();
        var data = png(3000);
        var a = upload(blobs, data, "image/png");
        var b = blobs.upload(new ByteArrayInputStream(data), "image/png", -1);
        assertThat(b).isEqualTo(a);
        assertThat(rows()).isEqualTo(1);
        assertThat(blobs.usedBytes()).isEqualTo(3000);
    }

    @Test
    void anExecutableCannotPassForAnImage() throws Exception {
        var blobs = blobs();
        assertXrpc(() -> upload(blobs, elf(4000), "image/png"), 400, "InvalidMimeType");
        assertXrpc(() -> upload(blobs, elf(4000), null), 400, "InvalidMimeType");
        assertXrpc(() -> upload(blobs, elf(4000), "application/octet-stream"), 400, "InvalidMimeType");
        assertNothingLeft();
    }

    @Test
    void aTypeOutsideTheAllowListIsRefusedBeforeReading() throws Exception {
        var blobs = blobs();
        var untouched = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the body must not be read");
            }
        };
        assertXrpc(() -> blobs.upload(untouched, "application/x-msdownload", 100), 400, "InvalidMimeType");
        assertXrpc(() -> blobs.upload(untouched, "text/html", -1), 400, "InvalidMimeType");
        assertNothingLeft();
    }

    @Test
    void theContentDecidesTheExactTypeWithinItsFamily() throws Exception {
        var blobs = blobs();
        assertThat(upload(blobs, png(100), "image/jpeg").mimeType()).isEqualTo("image/png");
        assertThat(upload(blobs, png(100), null).mimeType()).isEqualTo("image/png");
        assertThat(upload(blobs, png(100), "application/octet-stream").mimeType()).isEqualTo("image/png");
        assertXrpc(() -> upload(blobs, png(100), "video/mp4"), 400, "InvalidMimeType");
        // The content's type must be allowed too, not only the declared one.
        var pngOnly = blobs(1 << 20, 1 << 30, List.of("image/jpeg"));
        assertXrpc(() -> upload(pngOnly, png(100), "image/jpeg"), 400, "InvalidMimeType");
    }

    @Test
    void wildcardsAllowTypesWithoutASignature() throws Exception {
        var blobs = blobs(1 << 20, 1 << 30, List.of("image/*"));
        var svg = "<svg xmlns='http://www.w3.org/2000/svg'/>".getBytes();
        assertThat(upload(blobs, svg, "image/svg+xml").mimeType()).isEqualTo("image/svg+xml");
        assertXrpc(() -> upload(blobs, svg, "video/mp4"), 400, "InvalidMimeType");
    }

    @Test
    void tooLargeByContentLengthIsRefusedBeforeReading() throws Exception {
        var blobs = blobs(1000, 1 << 30, defaultMime());
        var untouched = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the body must not be read");
            }
        };
        assertXrpc(() -> blobs.upload(untouched, "image/png", 1001), 400, "BlobTooLarge");
        assertNothingLeft();
    }

    @Test
    void tooLargeWithoutOrWithALyingContentLengthLeavesNothing() throws Exception {
        var blobs = blobs(1000, 1 << 30, defaultMime());
        assertXrpc(() -> blobs.upload(new ByteArrayInputStream(png(1001)), "image/png", -1), 400, "BlobTooLarge");
        assertXrpc(() -> blobs.upload(new ByteArrayInputStream(png(50_000)), "image/png", 10), 400, "BlobTooLarge");
        assertNothingLeft();
    }

    @Test
    void exactlyTheLimitIsAccepted() throws Exception {
        var blobs = blobs(1000, 1 << 30, defaultMime());
        assertThat(blobs.upload(new ByteArrayInputStream(png(1000)), "image/png", -1).size()).isEqualTo(1000);
    }

    @Test
    void aBodyThatBreaksOffIsABadRequestAndLeavesNothing() throws Exception {
        var blobs = blobs();
        var head = png(600);
        var breaking = new java.io.SequenceInputStream(new ByteArrayInputStream(head), new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        });
        assertXrpc(() -> blobs.upload(breaking, "image/png", 5000), 400, "InvalidRequest");
        assertNothingLeft();
    }

    @Test
    void theQuotaCountsEveryStoredBlob() throws Exception {
        var blobs = blobs(1 << 20, 10_000, defaultMime());
        var first = png(6000);
        upload(blobs, first, "image/png");
        assertXrpc(() -> upload(blobs, png(5000), "image/png"), 400, "BlobQuotaExceeded");
        assertXrpc(() -> blobs.upload(new ByteArrayInputStream(png(5000)), "image/png", -1), 400, "BlobQuotaExceeded");
        // Bytes already stored cost nothing again.
        upload(blobs, first, "image/png");
        upload(blobs, png(4000), "image/png");
        assertThat(blobs.usedBytes()).isEqualTo(10_000);
        assertThat(rows()).isEqualTo(2);
    }

    @Test
    void aBlobUploadedForAnAlreadyIndexedRecordIsInUseAtOnce() throws Exception {
        var blobs = blobs();
        var data = png(100);
        var cid = Cid.ofRaw(data);
        db.write(c -> {
            try (var st = c.prepareStatement("INSERT INTO record_blob (record_uri, blob_cid) VALUES (?, ?)")) {
                st.setString(1, URI_1);
                st.setString(2, cid.toString());
                return st.executeUpdate();
            }
        });
        upload(blobs, data, "image/png");
        assertThat(blobs.find(cid).orElseThrow().referenced()).isTrue();
    }

    @Test
    void bytesThatCannotBeStoredLeaveNoRowBehind() throws Exception {
        // The disk fills up between the row and the bytes: promote fails as a full file system does.
        var full = (BlobStore) java.lang.reflect.Proxy.newProxyInstance(BlobStore.class.getClassLoader(), new Class<?>[] {BlobStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("promote")) throw new IOException("No space left on device");
                    try {
                        return method.invoke(store, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        var blobs = new Blobs(db, full, defaultMime(), 1 << 20, 1 << 30, clock);
        var data = png(4000);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> upload(blobs, data, "image/png"))
                .isInstanceOf(IOException.class).hasMessageContaining("No space left");
        assertNothingLeft();
        // Once there is room, the same upload goes through whole.
        var ref = upload(blobs(), data, "image/png");
        assertThat(store.exists(ref.ref().toString())).isTrue();
        assertThat(rows()).isEqualTo(1);
    }
}
