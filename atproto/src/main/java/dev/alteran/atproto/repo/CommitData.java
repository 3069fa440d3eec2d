package dev.alteran.atproto.repo;

import dev.alteran.atproto.data.Cid;
import java.util.List;
import java.util.Set;

/**
 * The result of a commit: what to store, what to drop, and what to announce.
 *
 * @param cid the new commit's CID
 * @param since rev of the previous commit, null for a new repository
 * @param prevData MST root of the previous commit, null for a new repository
 * @param ops record operations in key order
 * @param newBlocks blocks to store: new MST nodes and the commit (record blocks are the caller's to add)
 * @param relevantBlocks blocks for a firehose event: the commit and proofs of every op (add record blocks)
 * @param removedCids MST nodes and the previous commit no longer referenced
 * @param repo the repository after the commit, reading unchanged nodes from the same source
 */
public record CommitData(Cid cid, Commit commit, String since, Cid prevData, List<MstDiff.Op> ops,
        BlockMap newBlocks, BlockMap relevantBlocks, Set<Cid> removedCids, Repo repo) {
    public String rev() {
        return commit.rev();
    }
}
