package dev.alteran.atproto.repo;

import dev.alteran.atproto.data.Cid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SortedMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A Merkle Search Tree (atproto repository spec): a persistent, deterministic sorted map from
 * {@code collection/rkey} keys to record CIDs. Values of this class are immutable; edits return a new
 * tree sharing every untouched node. Nodes are read from the {@link BlockSource} only when needed,
 * and node CIDs are computed once, on demand ({@link #root()}).
 *
 * <p>Safe to share between threads; edits of one tree from several threads each produce their own tree.
 */
public final class Mst implements Iterable<Mst.Entry> {
    /** One key and its value (the CID of a record). */
    public record Entry(String key, Cid value) {}

    private final BlockSource source;
    private final Node root;

    private Mst(BlockSource source, Node root) {
        this.source = source;
        this.root = root;
    }

    public static Mst empty(BlockSource source) {
        return new Mst(source, Node.empty());
    }

    /** The tree rooted at {@code root}; reads the root block (and, for a root with no keys, its leftmost descendants). */
    public static Mst load(BlockSource source, Cid root) {
        return new Mst(source, Node.loadRoot(source, root));
    }

    /**
     * Builds a tree from {@code entries} in one pass, without intermediate trees: the fast way to create a
     * tree from scratch (a TreeMap input skips sorting). Keys are validated.
     */
    public static Mst build(BlockSource source, Map<String, Cid> entries) {
        var keys = entries.keySet().toArray(new String[0]);
        // A SortedMap in natural order (e.g. a TreeMap) is already sorted.
        if (!(entries instanceof SortedMap<String, Cid> sm && sm.comparator() == null)) Arrays.sort(keys);
        int n = keys.length;
        var values = new Cid[n];
        var heights = new int[n];
        int top = 0;
        for (int i = 0; i < n; i++) {
            var key = keys[i];
            MstKeys.validate(key);
            values[i] = Objects.requireNonNull(entries.get(key), "value");
            heights[i] = MstKeys.height(key);
            top = Math.max(top, heights[i]);
        }
        if (n == 0) return empty(source);
        return new Mst(source, buildRange(keys, values, heights, 0, n, top));
    }

    /** The canonical subtree at {@code layer} for keys [from, to), all of height at most layer; null if empty. */
    private static Node buildRange(String[] keys, Cid[] values, int[] heights, int from, int to, int layer) {
        if (from == to) return null;
        int count = 0;
        for (int i = from; i < to; i++) if (heights[i] == layer) count++;
        var nodeKeys = new String[count];
        var nodeValues = new Cid[count];
        var children = new Node[count + 1];
        int start = from, k = 0;
        for (int i = from; i < to; i++) {
            if (heights[i] != layer) continue;
            children[k] = layer == 0 ? null : buildRange(keys, values, heights, start, i, layer - 1);
            nodeKeys[k] = keys[i];
            nodeValues[k++] = values[i];
            start = i + 1;
        }
        children[k] = layer == 0 ? null : buildRange(keys, values, heights, start, to, layer - 1);
        return Node.built(layer, nodeKeys, nodeValues, children);
    }

    public BlockSource source() {
        return source;
    }

    /** The CID of the root node, encoding whatever nodes changed since the tree was loaded. */
    public Cid root() {
        return root.cid();
    }

    /** Height of the root node: the greatest key height, 0 for an empty tree. */
    public int layer() {
        return root.layer;
    }

    public boolean isEmpty() {
        return root.isEmpty();
    }

    Node rootNode() {
        return root;
    }

    // ---- reads ----

    /** The value at {@code key}, or null. */
    public Cid get(String key) {
        return Node.get(root, key);
    }

    public boolean contains(String key) {
        return get(key) != null;
    }

    /** Entries in key order. */
    @Override
    public Iterator<Entry> iterator() {
        return new Cursor(root, null);
    }

    /** Entries with keys {@code >= from}, in key order. */
    public Iterator<Entry> iteratorFrom(String from) {
        return new Cursor(root, from);
    }

    /** Visits every entry in key order (faster than iterating). */
    public void walk(Consumer<Entry> action) {
        walk(root, action);
    }

    private static void walk(Node n, Consumer<Entry> action) {
        var c = n.content();
        for (int i = 0; i < c.keys().length; i++) {
            if (c.children()[i] != null) walk(c.children()[i], action);
            action.accept(new Entry(c.keys()[i], c.values()[i]));
        }
        var last = c.children()[c.keys().length];
        if (last != null) walk(last, action);
    }

    /** Visits every node block of the tree (root first, then each subtree in key order). */
    public void walkNodes(BiConsumer<Cid, byte[]> action) {
        walkNodes(root, action);
    }

    private static void walkNodes(Node n, BiConsumer<Cid, byte[]> action) {
        var b = n.block();
        action.accept(b.cid(), b.bytes());
        for (var child : n.content().children()) if (child != null) walkNodes(child, action);
    }

    /** Number of entries; walks the whole tree. */
    public int size() {
        int[] n = {0};
        walk(e -> n[0]++);
        return n[0];
    }

    /** Up to {@code limit} entries with keys strictly after {@code after} (null: from the start). */
    public List<Entry> list(String after, int limit) {
        var out = new ArrayList<Entry>(Math.min(limit, 64));
        var it = after == null ? iterator() : iteratorFrom(after);
        while (it.hasNext() && out.size() < limit) {
            var e = it.next();
            if (!e.key().equals(after)) out.add(e);
        }
        return out;
    }

    /** Up to {@code limit} entries whose keys start with {@code prefix} (e.g. {@code "app.bsky.feed.post/"}). */
    public List<Entry> listPrefix(String prefix, int limit) {
        var out = new ArrayList<Entry>(Math.min(limit, 64));
        var it = iteratorFrom(prefix);
        while (it.hasNext() && out.size() < limit) {
            var e = it.next();
            if (!e.key().startsWith(prefix)) break;
            out.add(e);
        }
        return out;
    }

    // ---- edits ----

    /** Adds a new key; an error if the key is present. */
    public Mst add(String key, Cid value) {
        MstKeys.validate(key);
        Objects.requireNonNull(value, "value");
        int h = MstKeys.height(key);
        if (h <= root.layer) return new Mst(source, root.insert(key, value, h));
        // The key goes above the current root: split the tree around it and lift both halves to layer h - 1.
        var halves = Node.split(root.isEmpty() ? null : root, key);
        for (int l = root.layer + 1; l < h; l++) {
            for (int s = 0; s < 2; s++) {
                if (halves[s] != null) halves[s] = Node.built(l, Node.NO_KEYS, Node.NO_VALUES, new Node[] {halves[s]});
            }
        }
        return new Mst(source, Node.built(h, new String[] {key}, new Cid[] {value}, halves));
    }

    /** Replaces the value of an existing key; an error if the key is absent. */
    public Mst update(String key, Cid value) {
        Objects.requireNonNull(value, "value");
        var updated = root.update(key, value);
        return updated == root ? this : new Mst(source, updated);
    }

    /** Adds or replaces. */
    public Mst put(String key, Cid value) {
        return contains(key) ? update(key, value) : add(key, value);
    }

    /** Removes an existing key; an error if the key is absent. */
    public Mst delete(String key) {
        var r = root.delete(key);
        if (r == null) return empty(source);
        // The root is as high as the highest key: drop roots left with a single subtree and no keys.
        while (r != null && r.content().keys().length == 0) r = r.content().children()[0];
        return r == null ? empty(source) : new Mst(source, r);
    }

    // ---- persistence ----

    /**
     * Blocks of this tree not yet in the source: the nodes built by edits since the tree was loaded,
     * minus any the source already has. Storing them makes {@link #root()} loadable from the source.
     */
    public BlockMap newBlocks() {
        var out = new BlockMap();
        collectNewBlocks(out::put);
        return out;
    }

    public void collectNewBlocks(BiConsumer<Cid, byte[]> sink) {
        collectNew(root, sink);
    }

    private void collectNew(Node n, BiConsumer<Cid, byte[]> sink) {
        if (n.stored) return;
        var b = n.block();
        if (source.has(b.cid())) return;
        sink.accept(b.cid(), b.bytes());
        for (var child : n.content().children()) if (child != null) collectNew(child, sink);
    }

    /**
     * This tree once {@link #newBlocks()} are stored in the source: the nodes its edits built stay
     * decoded, the nodes it read become stubs again. A tree kept across many commits (a repository's
     * head) calls this after each, so its memory stays a few paths instead of growing with every node
     * it has touched.
     */
    public Mst settled() {
        return new Mst(source, Node.settle(root, source));
    }

    /** The changes from {@code before} to {@code after}. */
    public static MstDiff diff(Mst before, Mst after) {
        return MstDiff.of(before, after);
    }

    @Override
    public String toString() {
        return "Mst[" + root() + "]";
    }

    /** In-order iteration: a stack of (node, position), position 2i = child i, 2i+1 = key i. */
    private static final class Cursor implements Iterator<Entry> {
        private Node[] nodes = new Node[16];
        private int[] positions = new int[16];
        private int depth;
        private Entry next;

        Cursor(Node root, String from) {
            if (from == null) {
                push(root, 0);
            } else {
                // Descend to where `from` is or would be; each level resumes at the first key >= from.
                var n = root;
                while (n != null) {
                    var c = n.content();
                    int idx = Arrays.binarySearch(c.keys(), from);
                    int i = idx >= 0 ? idx : -idx - 1;
                    push(n, 2 * i + 1);
                    n = idx >= 0 ? null : c.children()[i];
                }
            }
            advance();
        }

        private void push(Node n, int pos) {
            if (depth == nodes.length) {
                nodes = Arrays.copyOf(nodes, depth * 2);
                positions = Arrays.copyOf(positions, depth * 2);
            }
            nodes[depth] = n;
            positions[depth++] = pos;
        }

        private void advance() {
            next = null;
            while (depth > 0) {
                var c = nodes[depth - 1].content();
                int pos = positions[depth - 1]++;
                if (pos > 2 * c.keys().length) {
                    depth--;
                } else if ((pos & 1) == 0) {
                    var child = c.children()[pos / 2];
                    if (child != null) push(child, 0);
                } else {
                    next = new Entry(c.keys()[pos / 2], c.values()[pos / 2]);
                    return;
                }
            }
        }

        @Override
        public boolean hasNext() {
            return next != null;
        }

        @Override
        public Entry next() {
            if (next == null) throw new NoSuchElementException();
            var e = next;
            advance();
            return e;
        }
    }
}
