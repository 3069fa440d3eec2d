package dev.alteran.server;

import dev.alteran.pds.Alteran;
import dev.alteran.pds.store.AppliedCommit;
import dev.alteran.pds.store.PreparedRecord;
import dev.alteran.pds.store.PreparedWrite;
import dev.alteran.pds.store.RecordPreparer;
import dev.alteran.pds.wire.Json;
import java.util.ArrayList;
import java.util.List;

/** Fast repository writes for the sync and firehose tests: straight to the RepoStore, no HTTP. */
final class Writes {
    static final String POST = "app.bsky.feed.post";
    static final String BLOB = "com.example.filler";

    private final Alteran alteran;
    private final RecordPreparer preparer;

    Writes(Alteran alteran) {
        this.alteran = alteran;
        this.preparer = new RecordPreparer(alteran.lexicons());
    }

    PreparedRecord post(String rkey, String text) {
        var json = Json.object().put("$type", POST).put("text", text).put("createdAt", "2024-01-01T00:00:00.000Z");
        return preparer.prepare(POST, rkey, json, null);
    }

    /** A record of an unknown collection with {@code size} characters of filler. */
    PreparedRecord filler(String rkey, int size) {
        var json = Json.object().put("$type", BLOB).put("data", "x".repeat(size)).put("rkey", rkey);
        return preparer.prepare(BLOB, rkey, json, false);
    }

    AppliedCommit createPost(String text) {
        var rkey = alteran.repo().nextTid();
        return alteran.repo().applyWrites(List.of(new PreparedWrite.Create(POST, rkey, post(rkey, text))), null);
    }

    AppliedCommit createFiller(int size) {
        var rkey = alteran.repo().nextTid();
        return alteran.repo().applyWrites(List.of(new PreparedWrite.Create(BLOB, rkey, filler(rkey, size))), null);
    }

    /** {@code count} posts in commits of {@code batch} writes; returns the rkeys. */
    List<String> createPosts(int count, int batch) {
        var rkeys = new ArrayList<String>(count);
        var writes = new ArrayList<PreparedWrite>(batch);
        for (int i = 0; i < count; i++) {
            var rkey = alteran.repo().nextTid();
            rkeys.add(rkey);
            writes.add(new PreparedWrite.Create(POST, rkey, post(rkey, "post number " + i)));
            if (writes.size() == batch || i == count - 1) {
                alteran.repo().applyWrites(List.copyOf(writes), null);
                writes.clear();
            }
        }
        return rkeys;
    }
}
