package dev.alteran.pds.blob;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Garbage collection: unreferenced blobs go after their grace period, finishing uploads stay. */
class BlobCollectorTest extends BlobFixture {
    @Test
    void deletingTheLastRecordThenCollectingRemovesTheBlob() throws Exception {
        var blobs = blobs();
        var gc = collector(blobs);
        var data = png(700);
        var ref = upload(blobs, data, "image/png");
        write(URI_1, ref);
        write(URI_2, ref);
        delete(URI_1);
        assertThat(blobs.find(ref.ref()).orElseThrow().referenced()).isTrue();
        assertThat(gc.collectGarbage(Duration.ZERO).deletedBlobs()).isZero();
        delete(URI_2);
        assertThat(blobs.find(ref.ref()).orElseThrow().referenced()).isFalse();
        assertThat(gc.collectGarbage(Duration.ofHours(1)).deletedBlobs()).isZero();
        clock.advance(Duration.ofMinutes(61));
        var result = gc.collectGarbage(Duration.ofHours(1));
        assertThat(result.deletedBlobs()).isEqualTo(1);
        assertThat(result.deletedBytes()).isEqualTo(700);
        assertThat(blobs.find(ref.ref())).isEmpty();
        assertThat(store.exists(ref.ref().toString())).isFalse();
        assertNothingLeft();
    }

    @Test
    void anUpdateThatDropsABlobReleasesIt() throws Exception {
        var blobs = blobs();
        var gc = collector(blobs);
        var a = upload(blobs, png(100), "image/png");
        var b = upload(blobs, png(200), "image/png");
        write(URI_1, a, b);
        write(URI_1, b);
        assertThat(blobs.find(a.ref()).orElseThrow().referenced()).isFalse();
        assertThat(blobs.find(b.ref()).orElseThrow().referenced()).isTrue();
        assertThat(gc.collectGarbage(Duration.ZERO).deletedBlobs()).isEqualTo(1);
        assertThat(blobs.find(b.ref())).isPresent();
        assertThat(store.exists(b.ref().toString())).isTrue();
    }

    @Test
    void unusedUploadsAreKeptForTheGracePeriodThenCollected() throws Exception {
        var blobs = blobs();
        var gc = collector(blobs);
        var early = upload(blobs, png(100), "image/png");
        clock.advance(Duration.ofMinutes(40));
        var late = upload(blobs, png(100), "image/png");
        clock.advance(Duration.ofMinutes(30));
        assertThat(gc.collectGarbage().deletedBlobs()).isEqualTo(1);
        assertThat(blobs.find(early.ref())).isEmpty();
        assertThat(blobs.find(late.ref())).isPresent();
        // Using it within its grace period keeps it for good.
        write(URI_1, late);
        clock.advance(Duration.ofDays(30));
        assertThat(gc.collectGarbage().deletedBlobs()).isZero();
    }

    @Test
    void uploadingAgainRestartsTheGracePeriod() throws Exception {
        var blobs = blobs();
        var gc = collector(blobs);
        var data = png(100);
        upload(blobs, data, "image/png");
        clock.advance(Duration.ofMinutes(50));
        upload(blobs, data, "image/png");
        clock.advance(Duration.ofMinutes(50));
        assertThat(gc.collectGarbage().deletedBlobs()).isZero();
    }

    @Test
    void collectionRepairsReferencesThatBypassedTheBlobSide() throws Exception {
        var blobs = blobs();
        var gc = collector(blobs);
        var ref = upload(blobs, png(100), "image/png");
        write(URI_1, ref);
        db.write(c -> c.createStatement().executeUpdate("DELETE FROM record_blob"));
        assertThat(gc.collectGarbage().deletedBlobs()).isZero(); // starts its grace period now
        assertThat(blobs.find(ref.ref()).orElseThrow().referenced()).isFalse();
        clock.advance(Duration.ofHours(2));
        assertThat(gc.collectGarbage().deletedBlobs()).isEqualTo(1);
    }

    @Test
    void collectionLeavesAnUploadThatIsStillFinishingAlone() throws Exception {
        var promoting = new CountDownLatch(1);
        var proceed = new CountDownLatch(1);
        var slow = new SlowPromote(store, promoting, proceed);
        var blobs = new Blobs(db, slow, defaultMime(), 1 << 20, 1 << 30, clock);
        var gc = collector(blobs);
        var data = png(1000);
        var upload = CompletableFuture.supplyAsync(() -> {
            try {
                return upload(blobs, data, "image/png");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(promoting.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(gc.collectGarbage(Duration.ZERO).deletedBlobs()).isZero();
        proceed.countDown();
        var ref = upload.get(10, TimeUnit.SECONDS);
        assertThat(blobs.find(ref.ref())).isPresent();
        assertThat(slow.exists(ref.ref().toString())).isTrue();
        // Once finished, an unused upload is fair game for a zero grace period.
        assertThat(gc.collectGarbage(Duration.ZERO).deletedBlobs()).isEqualTo(1);
    }
}
