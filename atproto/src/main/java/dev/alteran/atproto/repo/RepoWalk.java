package dev.alteran.atproto.repo;

import dev.alteran.atproto.crypto.PublicKey;
import dev.alteran.atproto.data.Cid;

/**
 * A streaming walk over a whole repository: the commit, then every MST node (each before its
 * subtrees, keys in order) and every record, each handed to a {@link Visitor} as it is reached and
 * then dropped, so a repository of any size is walked in memory proportional to the tree's height.
 *
 * <p>Everything read is checked as untrusted input: every block matches its CID, the commit is a v3
 * commit for the expected DID signed by the expected key, MST nodes decode canonically, keys are
 * valid, in order and of their node's height, no node below the root is empty, and (when records
 * are read) every record block is present. Each failure goes to {@link Visitor#problem}, which by
 * default throws it: a strict walk stops at the first problem. A visitor that records problems
 * instead gets all of them; the walk then skips what it cannot read (a missing or broken node's
 * subtree) and carries on.
 */
public final class RepoWalk {
    private RepoWalk() {}

    /** What the walk reports. Blocks are passed as read; they are not kept. */
    public interface Visitor {
        /** The head commit (already checked against its CID; DID and signature problems are reported separately). */
        default void commit(Cid cid, byte[] bytes, Commit commit) {}

        /** An MST node that decoded. */
        default void node(Cid cid, byte[] bytes) {}

        /**
         * A record: its key ({@code collection/rkey}), CID and block. The block is null when records are
         * not read, or when it is missing (which is also reported as a problem).
         */
        default void record(String key, Cid cid, byte[] bytes) {}

        /** A problem found: throws it by default (a {@link MissingBlockException} for an absent block). */
        default void problem(RepoException problem) {
            throw problem;
        }
    }

    /**
     * Walks the repository whose head commit is {@code commitCid}. Returns the decoded commit, or null
     * when it could not be read (a problem already reported).
     *
     * @param key         the key the commit must be signed by; null skips the signature check
     * @param readRecords whether record blocks are read (and must be present)
     */
    public static Commit walk(BlockSource blocks, Cid commitCid, String did, PublicKey key, boolean readRecords, Visitor visitor) {
        var source = blocks.verifying();
        var commit = commit(source, commitCid, did, key, visitor);
        if (commit == null) return null;
        Node root;
        try {
            root = Node.loadRoot(source, commit.data());
        } catch (RepoException e) {
            visitor.problem(e);
            return commit;
        } catch (RuntimeException e) {
            visitor.problem(new RepoException("unreadable MST root " + commit.data() + ": " + e.getMessage(), e));
            return commit;
        }
        new Walker(source, readRecords, visitor).node(root, true);
        return commit;
    }

    private static Commit commit(BlockSource source, Cid cid, String did, PublicKey key, Visitor visitor) {
        byte[] bytes;
        Commit commit;
        try {
            bytes = source.get(cid);
            if (bytes == null) throw new MissingBlockException(cid, "commit");
            commit = Commit.decode(bytes);
        } catch (RepoException e) {
            visitor.problem(e);
            return null;
        }
        visitor.commit(cid, bytes, commit);
        if (commit.version() != UnsignedCommit.VERSION) {
            visitor.problem(new RepoException("not a v3 commit: version " + commit.version()));
        }
        if (did != null && !commit.did().equals(did)) {
            visitor.problem(new RepoException("commit is for " + commit.did() + ", not " + did));
        }
        if (key != null && !commit.verify(key)) visitor.problem(new RepoException("invalid commit signature"));
        return commit;
    }

    private static final class Walker {
        private final BlockSource source;
        private final boolean readRecords;
        private final Visitor visitor;
        private String lastKey;

        Walker(BlockSource source, boolean readRecords, Visitor visitor) {
            this.source = source;
            this.readRecords = readRecords;
            this.visitor = visitor;
        }

        void node(Node n, boolean isRoot) {
            Node.Content c;
            try {
                c = n.content();
                n.checkLayer();
            } catch (RepoException e) {
                visitor.problem(e);
                return;
            } catch (RuntimeException e) {
                visitor.problem(new RepoException("unreadable MST node " + n.cid() + ": " + e.getMessage(), e));
                return;
            }
            var block = n.block();
            visitor.node(block.cid(), block.bytes());
            if (!isRoot && c.keys().length == 0 && c.children()[0] == null) {
                visitor.problem(new RepoException("empty MST node " + n.cid()));
            }
            for (int i = 0; i <= c.keys().length; i++) {
                var child = c.children()[i];
                // A fresh stub per subtree: nothing below this node stays referenced once walked.
                if (child != null) node(Node.stub(source, child.cid(), n.layer - 1), false);
                if (i == c.keys().length) break;
                record(c.keys()[i], c.values()[i]);
            }
        }

        private void record(String key, Cid cid) {
            if (lastKey != null && lastKey.compareTo(key) >= 0) {
                visitor.problem(new RepoException("MST keys out of order at " + key));
            }
            lastKey = key;
            byte[] bytes = null;
            if (readRecords) {
                try {
                    bytes = source.get(cid);
                    if (bytes == null) visitor.problem(new MissingBlockException(cid, "record " + key));
                } catch (RepoException e) {
                    visitor.problem(e);
                }
            }
            visitor.record(key, cid, bytes);
        }
    }
}
