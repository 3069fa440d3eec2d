package dev.alteran.pds.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.data.Cid;
import java.util.List;

/**
 * Creates or replaces one record through the repository write path, with putRecord's semantics: the
 * record is prepared ({@link RecordPreparer}), then committed as a create or an update, or not at all
 * when the record already has that content. For callers that already checked who may write
 * ({@code com.atproto.repo.putRecord}, the owner-only debug routes).
 */
public final class RecordWriter {
    private final RepoStore store;
    private final RecordPreparer preparer;

    public RecordWriter(RepoStore store, RecordPreparer preparer) {
        this.store = store;
        this.preparer = preparer;
    }

    /** What a put wrote: the record's URI, the record as prepared, and the commit (null when the content was already there). */
    public record Put(String uri, PreparedRecord record, AppliedCommit commit) {}

    /**
     * @param validate   as for {@link RecordPreparer#prepare}
     * @param swapRecord the record must be at this version (or absent); null for no check
     * @param swapCommit the head must be this commit; null for no check
     * @throws RepoWriteException when the record or a swap is refused (nothing is written)
     */
    public Put put(String collection, String rkey, JsonNode record, Boolean validate, RecordSwap swapRecord, Cid swapCommit) {
        var prepared = preparer.prepare(collection, rkey, record, validate);
        var key = collection + "/" + rkey;
        var commit = store.commit((head, c) -> {
            var current = head.get(key);
            if (current == null) return List.of(new PreparedWrite.Create(collection, rkey, prepared, swapRecord));
            if (current.equals(prepared.cid())) return null; // same content: nothing to commit
            return List.of(new PreparedWrite.Update(collection, rkey, prepared, swapRecord));
        }, swapCommit);
        return new Put(store.records().uri(collection, rkey), prepared, commit);
    }
}
