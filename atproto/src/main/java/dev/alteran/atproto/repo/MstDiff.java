package dev.alteran.atproto.repo;

import dev.alteran.atproto.data.Cid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The difference between two trees: record operations in key order, the MST node blocks of the new
 * tree that the old one lacks, and the CIDs of the old tree's nodes that the new one no longer uses.
 * Record blocks are not included (the ops name their CIDs).
 */
public record MstDiff(List<Op> ops, BlockMap newBlocks, Set<Cid> removedCids) {
    public enum Action { CREATE, UPDATE, DELETE }

    /** One record change: {@code cid} is null for a delete, {@code prev} is null for a create. */
    public record Op(Action action, String key, Cid cid, Cid prev) {
        public static Op create(String key, Cid cid) {
            return new Op(Action.CREATE, key, cid, null);
        }

        public static Op update(String key, Cid cid, Cid prev) {
            return new Op(Action.UPDATE, key, cid, prev);
        }

        public static Op delete(String key, Cid prev) {
            return new Op(Action.DELETE, key, null, prev);
        }
    }

    public MstDiff {
        ops = List.copyOf(ops);
        removedCids = Collections.unmodifiableSet(removedCids);
    }

    public boolean isEmpty() {
        return ops.isEmpty();
    }

    /**
     * Walks both trees in key order side by side, descending only into subtrees whose CIDs differ:
     * identical subtrees at the same layer are skipped whole, so the cost follows the size of the change.
     */
    static MstDiff of(Mst before, Mst after) {
        var ops = new ArrayList<Op>();
        var added = new LinkedHashMap<Cid, byte[]>();
        var removed = new LinkedHashSet<Cid>();
        var a = new Walker(before.rootNode());
        var b = new Walker(after.rootNode());
        while (!a.done() || !b.done()) {
            if (a.done()) {
                if (b.leaf()) {
                    ops.add(Op.create(b.key(), b.value()));
                    b.advance();
                } else {
                    putBlock(added, b.tree());
                    b.stepInto();
                }
            } else if (b.done()) {
                if (a.leaf()) {
                    ops.add(Op.delete(a.key(), a.value()));
                    a.advance();
                } else {
                    removed.add(a.tree().cid());
                    a.stepInto();
                }
            } else if (a.leaf() && b.leaf()) {
                int cmp = a.key().compareTo(b.key());
                if (cmp == 0) {
                    if (!a.value().equals(b.value())) ops.add(Op.update(b.key(), b.value(), a.value()));
                    a.advance();
                    b.advance();
                } else if (cmp < 0) {
                    ops.add(Op.delete(a.key(), a.value()));
                    a.advance();
                } else {
                    ops.add(Op.create(b.key(), b.value()));
                    b.advance();
                }
            } else if (!a.leaf() && !b.leaf()) {
                var ta = a.tree();
                var tb = b.tree();
                if (ta.layer == tb.layer && (ta == tb || ta.cid().equals(tb.cid()))) {
                    a.advance();
                    b.advance();
                } else {
                    // Descend the higher one first so both sides meet at the same layer.
                    if (ta.layer >= tb.layer) {
                        removed.add(ta.cid());
                        a.stepInto();
                    }
                    if (tb.layer >= ta.layer) {
                        putBlock(added, tb);
                        b.stepInto();
                    }
                }
            } else if (!a.leaf()) {
                removed.add(a.tree().cid());
                a.stepInto();
            } else {
                putBlock(added, b.tree());
                b.stepInto();
            }
        }
        // A node can be passed over on one side and entered on the other (e.g. after a layer change): not a change.
        var newBlocks = new BlockMap();
        added.forEach((cid, bytes) -> {
            if (!removed.remove(cid)) newBlocks.put(cid, bytes);
        });
        return new MstDiff(ops, newBlocks, removed);
    }

    private static void putBlock(LinkedHashMap<Cid, byte[]> added, Node n) {
        var b = n.block();
        added.put(b.cid(), b.bytes());
    }

    /**
     * In-order walk over one tree that can step over or into subtrees. The current item is either a
     * subtree or a key; frames hold (node, position) with position 2i = child i and 2i+1 = key i.
     */
    private static final class Walker {
        private Node[] nodes = new Node[16];
        private int[] positions = new int[16];
        private int depth;
        private Node tree; // current subtree, or null when at a key or done
        private Node.Content leafNode;
        private int leafIndex;

        Walker(Node root) {
            tree = root; // the root itself is the first item
        }

        boolean done() {
            return tree == null && leafNode == null;
        }

        boolean leaf() {
            return leafNode != null;
        }

        Node tree() {
            return tree;
        }

        String key() {
            return leafNode.keys()[leafIndex];
        }

        Cid value() {
            return leafNode.values()[leafIndex];
        }

        /** Moves past the current key, or past the current subtree without entering it. */
        void advance() {
            settle();
        }

        void stepInto() {
            var t = tree;
            push(t, 0);
            settle();
        }

        private void push(Node n, int pos) {
            if (depth == nodes.length) {
                nodes = Arrays.copyOf(nodes, depth * 2);
                positions = Arrays.copyOf(positions, depth * 2);
            }
            nodes[depth] = n;
            positions[depth++] = pos;
        }

        /** Finds the next item from the top frame. */
        private void settle() {
            tree = null;
            leafNode = null;
            while (depth > 0) {
                var c = nodes[depth - 1].content();
                int pos = positions[depth - 1]++;
                if (pos > 2 * c.keys().length) {
                    depth--;
                } else if ((pos & 1) == 0) {
                    var child = c.children()[pos / 2];
                    if (child != null) {
                        tree = child;
                        return;
                    }
                } else {
                    leafNode = c;
                    leafIndex = pos / 2;
                    return;
                }
            }
        }
    }
}
