package dev.alteran.atproto.repo;

import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.data.Cid;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** A repository at one commit: the signed commit and its MST. Applying writes yields the next commit. */
public final class Repo {
    private final BlockSource source;
    private final Cid cid;
    private final Commit commit;
    private final Mst data;

    private Repo(BlockSource source, Cid cid, Commit commit, Mst data) {
        this.source = source;
        this.cid = cid;
        this.commit = commit;
        this.data = data;
    }

    /** The repository whose head commit is {@code commitCid}. */
    public static Repo load(BlockSource source, Cid commitCid) {
        var bytes = source.get(commitCid);
        if (bytes == null) throw new MissingBlockException(commitCid, "commit");
        var commit = Commit.decode(bytes);
        return new Repo(source, commitCid, commit, Mst.load(source, commit.data()));
    }

    /** The first commit of a new repository holding {@code records} (key to record CID). */
    public static CommitData create(BlockSource source, String did, Keypair key, String rev, Map<String, Cid> records) {
        var mst = Mst.build(source, records);
        var commit = new UnsignedCommit(did, mst.root(), rev).sign(key);
        var commitBytes = commit.encode();
        var commitCid = Cid.ofDagCbor(commitBytes);
        var blocks = mst.newBlocks().put(commitCid, commitBytes);
        var ops = new ArrayList<MstDiff.Op>(records.size());
        mst.walk(e -> ops.add(MstDiff.Op.create(e.key(), e.value())));
        return new CommitData(commitCid, commit, null, null, ops, blocks, blocks, new HashSet<>(),
                new Repo(source, commitCid, commit, mst));
    }

    /**
     * Applies {@code writes} in order and signs the result as the next commit. A create of an existing
     * key, or an update or delete of a missing one, is an error; {@code rev} must sort after the
     * current rev.
     */
    public CommitData applyWrites(List<? extends Write> writes, Keypair key, String rev) {
        Objects.requireNonNull(rev, "rev");
        if (commit.rev() != null && rev.compareTo(commit.rev()) <= 0) {
            throw new IllegalArgumentException("rev " + rev + " does not follow " + commit.rev());
        }
        var mst = data;
        for (var w : writes) {
            mst = switch (w) {
                case Write.Create c -> mst.add(c.key(), c.cid());
                case Write.Update u -> {
                    if (!mst.contains(u.key())) throw new IllegalArgumentException("MST has no key " + u.key());
                    yield mst.update(u.key(), u.cid());
                }
                case Write.Delete d -> mst.delete(d.key());
            };
        }
        var diff = Mst.diff(data, mst);
        var next = new UnsignedCommit(commit.did(), mst.root(), rev).sign(key);
        var commitBytes = next.encode();
        var commitCid = Cid.ofDagCbor(commitBytes);

        var newBlocks = new BlockMap().putAll(diff.newBlocks()).put(commitCid, commitBytes);
        var relevant = new BlockMap().put(commitCid, commitBytes);
        for (var op : diff.ops()) relevant.putAll(Proofs.forKey(mst, op.key()));
        var removed = new HashSet<>(diff.removedCids());
        removed.add(cid);
        return new CommitData(commitCid, next, commit.rev(), data.root(), diff.ops(), newBlocks, relevant, removed,
                new Repo(source, commitCid, next, mst));
    }

    public Cid cid() {
        return cid;
    }

    public Commit commit() {
        return commit;
    }

    public String did() {
        return commit.did();
    }

    public String rev() {
        return commit.rev();
    }

    /** This commit with its tree {@link Mst#settled() settled}: for a head kept after its blocks are stored. */
    public Repo settled() {
        return new Repo(source, cid, commit, data.settled());
    }

    public Mst data() {
        return data;
    }

    public BlockSource source() {
        return source;
    }

    /** The CID of the record at {@code key} ({@code collection/rkey}), or null. */
    public Cid get(String key) {
        return data.get(key);
    }
}
