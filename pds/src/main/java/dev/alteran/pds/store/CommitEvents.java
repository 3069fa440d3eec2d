package dev.alteran.pds.store;

import dev.alteran.atproto.car.CarWriter;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.repo.BlockMap;
import dev.alteran.atproto.repo.CommitData;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Bodies of firehose events (without seq and time, which {@link SequenceLog#append} adds), shaped as
 * the reference PDS sends them.
 */
public final class CommitEvents {
    private CommitEvents() {}

    /**
     * {@code blocks} must hold the commit, the MST proof of every op and the new record blocks: a CAR of
     * them (rooted at the commit) is what a consumer verifies and inverts the commit with.
     */
    static Map<String, Object> commit(String did, CommitData data, BlockMap blocks) {
        var ops = new ArrayList<Object>(data.ops().size());
        for (var op : data.ops()) {
            var m = new HashMap<String, Object>(8);
            m.put("action", op.action().name().toLowerCase(Locale.ROOT));
            m.put("path", op.key());
            m.put("cid", op.cid()); // null for a delete
            if (op.prev() != null) m.put("prev", op.prev());
            ops.add(m);
        }
        var body = new HashMap<String, Object>(16);
        body.put("repo", did);
        body.put("commit", data.cid());
        body.put("rev", data.rev());
        body.put("since", data.since());
        body.put("blocks", car(data.cid(), blocks));
        body.put("ops", ops);
        if (data.prevData() != null) body.put("prevData", data.prevData());
        // Deprecated but still required by the lexicon; the reference PDS sends these values.
        body.put("rebase", false);
        body.put("tooBig", false);
        body.put("blobs", List.of());
        return body;
    }

    /** {@code #sync}: the repository is now at this commit; the CAR holds only the commit block. */
    static Map<String, Object> sync(String did, CommitData data) {
        var commitBlock = data.newBlocks().get(data.cid());
        if (commitBlock == null) throw new IllegalStateException("the commit block is not among the new blocks");
        return sync(did, data.cid(), data.rev(), commitBlock);
    }

    /** {@code #identity}: the account's handle (re)announced. */
    public static Map<String, Object> identity(String did, String handle) {
        var body = new HashMap<String, Object>(4);
        body.put("did", did);
        if (handle != null) body.put("handle", handle);
        return body;
    }

    /** {@code #account} for an active account. */
    public static Map<String, Object> accountActive(String did) {
        return account(did, null);
    }

    static byte[] car(Cid root, BlockMap blocks) {
        var out = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 64, blocks.byteSize() + 64L * blocks.size() + 64));
        try (var car = new CarWriter(out, root)) {
            blocks.forEach(car::write);
        }
        return out.toByteArray();
    }

    /** {@code #account}: active, or not with the reason ({@code deactivated}), as the reference PDS sends it. */
    static Map<String, Object> account(String did, String status) {
        var body = new HashMap<String, Object>(4);
        body.put("did", did);
        body.put("active", status == null);
        if (status != null) body.put("status", status);
        return body;
    }

    /** {@code #sync} for a commit known by its block. */
    static Map<String, Object> sync(String did, Cid commit, String rev, byte[] commitBlock) {
        var body = new HashMap<String, Object>(4);
        body.put("did", did);
        body.put("rev", rev);
        body.put("blocks", car(commit, new BlockMap().put(commit, commitBlock)));
        return body;
    }
}
