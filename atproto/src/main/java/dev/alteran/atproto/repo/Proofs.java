package dev.alteran.atproto.repo;

import dev.alteran.atproto.crypto.PublicKey;
import dev.alteran.atproto.data.Cid;
import java.util.Arrays;

/**
 * Inclusion and absence proofs: the MST nodes from the root to where a key is or would be. For a key
 * that is present the proof also holds the nodes along the inner edges of its two neighbouring
 * subtrees, which is what removing the key touches; so a proof for every op of a commit lets a
 * consumer invert the commit (firehose sync 1.1) as well as look the keys up. The caller adds the
 * commit block (and record blocks) for {@code com.atproto.sync.getRecord} or a firehose event.
 */
public final class Proofs {
    private Proofs() {}

    /** The blocks proving {@code key}'s value, or its absence, in {@code mst}. */
    public static BlockMap forKey(Mst mst, String key) {
        var out = new BlockMap();
        addForKey(mst, key, out);
        return out;
    }

    /** The union of the proofs of {@code keys}. */
    public static BlockMap forKeys(Mst mst, Iterable<String> keys) {
        var out = new BlockMap();
        for (var key : keys) addForKey(mst, key, out);
        return out;
    }

    private static void addForKey(Mst mst, String key, BlockMap out) {
        var n = mst.rootNode();
        while (n != null) {
            add(n, out);
            var c = n.content();
            int idx = Arrays.binarySearch(c.keys(), key);
            if (idx >= 0) {
                // Removing the key merges these two subtrees along their facing edges.
                for (var l = c.children()[idx]; l != null; l = last(l)) add(l, out);
                for (var r = c.children()[idx + 1]; r != null; r = r.content().children()[0]) add(r, out);
                return;
            }
            n = c.children()[-idx - 1];
        }
    }

    private static Node last(Node n) {
        var ch = n.content().children();
        return ch[ch.length - 1];
    }

    private static void add(Node n, BlockMap out) {
        var b = n.block();
        out.put(b.cid(), b.bytes());
    }

    /**
     * Checks a proof of {@code key} under the MST root {@code root}, treating the blocks as untrusted:
     * every block must match its CID, keys must be ordered and of their node's height. Returns the
     * value's CID, or null when the proof shows the key is absent.
     *
     * @throws MissingBlockException if the blocks do not reach the key's position
     * @throws RepoException if a block is malformed or inconsistent
     */
    public static Cid verifyKey(BlockSource blocks, Cid root, String key) {
        var n = Node.loadRoot(blocks.verifying(), root);
        while (n != null) {
            n.checkLayer();
            var c = n.content();
            int idx = Arrays.binarySearch(c.keys(), key);
            if (idx >= 0) return c.values()[idx];
            n = c.children()[-idx - 1];
        }
        return null;
    }

    /**
     * Checks the signed commit {@code commitCid} in {@code blocks} (block matches CID, commit is for
     * {@code did} and signed by {@code key}) and returns it.
     */
    public static Commit verifyCommit(BlockSource blocks, Cid commitCid, String did, PublicKey key) {
        var bytes = blocks.get(commitCid);
        if (bytes == null) throw new MissingBlockException(commitCid, "commit");
        if (!commitCid.matches(bytes)) throw new RepoException("commit block does not match its CID " + commitCid);
        var commit = Commit.decode(bytes);
        if (!commit.did().equals(did)) throw new RepoException("commit is for " + commit.did() + ", not " + did);
        if (!commit.verify(key)) throw new RepoException("invalid commit signature");
        return commit;
    }

    /**
     * Checks a record proof as served by {@code com.atproto.sync.getRecord}: a signed commit, the MST
     * path to {@code key}. Returns the record CID, or null when the key is proven absent.
     */
    public static Cid verifyRecord(BlockSource blocks, Cid commitCid, String did, PublicKey key, String recordKey) {
        var commit = verifyCommit(blocks, commitCid, did, key);
        return verifyKey(blocks, commit.data(), recordKey);
    }
}
