package dev.alteran.pds.store;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.repo.CommitData;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Blocks to write to {@code repo_block}, and to delete, for one or more commits in a row
 * ({@link SqlBlockSource#write}: the deletes, then the inserts). Over several commits the MST nodes
 * and commit blocks are netted, so that a group-commit batch writes each once: record keys are TIDs,
 * so every commit rewrites the same right-hand path of the tree and drops the path the commit before
 * it wrote. Of a batch's paths only the last is inserted, and only the one stored before the batch is
 * deleted. The outcome is what the commits would have left one by one, down to the rev each block
 * carries. Record blocks are not netted: a replaced one is deleted only if no record row points at it,
 * which depends on the record rows at that commit.
 */
final class BlockChanges {
    /** A block to insert, and the rev of the commit that wrote it. */
    record Insert(byte[] content, String rev) {}

    private final Map<Cid, Insert> inserts = new LinkedHashMap<>();
    /** Nodes stored before these commits that they drop, or drop and write again (deleted first, so the rewrite carries its rev). */
    private final Set<Cid> deletes = new LinkedHashSet<>();
    /** Nodes these commits wrote that were not stored before: dropped again, they are simply not written. */
    private final Set<Cid> created = new HashSet<>();

    /**
     * Adds the MST nodes and the commit block {@code commit} wrote and dropped. None of those it wrote
     * was in the tree before it (the tree diff's), so none was stored unless an earlier commit here
     * dropped it.
     */
    void add(CommitData commit) {
        commit.newBlocks().asMap().forEach((cid, content) -> {
            if (!deletes.contains(cid)) created.add(cid);
            inserts.put(cid, new Insert(content, commit.rev()));
        });
        for (var cid : commit.removedCids()) {
            if (inserts.remove(cid) != null && created.contains(cid)) continue; // written and dropped again here
            deletes.add(cid);
        }
    }

    /** Adds blocks to insert as they are, written by the commit {@code rev}: one already stored is left as it is. */
    void add(String rev, Map<Cid, byte[]> blocks) {
        blocks.forEach((cid, content) -> inserts.putIfAbsent(cid, new Insert(content, rev)));
    }

    Set<Cid> deletes() {
        return deletes;
    }

    Map<Cid, Insert> inserts() {
        return inserts;
    }
}
