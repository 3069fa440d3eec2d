package dev.alteran.atproto.repo;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One MST node, immutable once built. A node is either a stub read from a {@link BlockSource} (CID
 * known, content decoded on first use) or built in memory by an edit (CID and encoding computed on
 * first use, then cached). Edits copy the path from the root to the change and share the rest.
 *
 * <p>Content: {@code keys[i]} with {@code values[i]}, all of height {@link #layer}; {@code
 * children[i]} is the subtree (layer - 1) holding the keys between {@code keys[i-1]} and {@code
 * keys[i]}, or null. So {@code children.length == keys.length + 1}; {@code children[0]} is the
 * node's {@code l} and {@code children[i+1]} is entry {@code i}'s {@code t}.
 *
 * <p>Lazily set fields hold immutable records (final fields), so racing readers see either null or a
 * complete value; the worst case is computing something twice.
 */
final class Node {
    static final String[] NO_KEYS = new String[0];
    static final Cid[] NO_VALUES = new Cid[0];

    record Content(String[] keys, Cid[] values, Node[] children) {}

    record Block(Cid cid, byte[] bytes) {}

    final int layer;
    /** Read from the source (so already stored there), as opposed to built by an edit. */
    final boolean stored;

    private final BlockSource source;
    private final Cid storedCid;
    private volatile Content content;
    private volatile Block block;

    private Node(int layer, BlockSource source, Cid storedCid, Content content, Block block) {
        this.layer = layer;
        this.stored = storedCid != null;
        this.source = source;
        this.storedCid = storedCid;
        this.content = content;
        this.block = block;
    }

    static Node stub(BlockSource source, Cid cid, int layer) {
        return new Node(layer, source, cid, null, null);
    }

    static Node built(int layer, String[] keys, Cid[] values, Node[] children) {
        return new Node(layer, null, null, new Content(keys, values, children), null);
    }

    /** A built node, or null when it would hold nothing (no keys and no subtree). */
    static Node make(int layer, String[] keys, Cid[] values, Node[] children) {
        if (keys.length == 0 && children[0] == null) return null;
        return built(layer, keys, values, children);
    }

    static Node empty() {
        return built(0, NO_KEYS, NO_VALUES, new Node[1]);
    }

    /**
     * {@code n} once every block of its tree is in {@code source}: a node built by an edit stays
     * decoded and encoded, now marked stored (an edit near it, such as the next TID key, needs no read); a node
     * read from the source becomes a bare stub again, its content dropped, and is read again (from the
     * source's cache, usually) if an edit reaches it. So what a long-lived tree holds is the paths its
     * latest edits built, not every node it ever read or built.
     */
    static Node settle(Node n, BlockSource source) {
        if (n == null) return null;
        if (n.stored) return n.content == null ? n : stub(source, n.storedCid, n.layer);
        var c = n.content;
        var children = new Node[c.children.length];
        for (int i = 0; i < children.length; i++) children[i] = settle(c.children[i], source);
        var b = n.block(); // kept: a proof of the next commit's key (its neighbour) adds these blocks
        return new Node(n.layer, source, b.cid, new Content(c.keys, c.values, children), b);
    }

    /** Reads a root node, whose layer is not known from a parent: the height of its first key, else one more than its child's. */
    static Node loadRoot(BlockSource source, Cid cid) {
        var bytes = read(source, cid);
        var raw = decode(cid, bytes);
        int layer;
        if (raw.keys.length > 0) {
            layer = MstKeys.height(raw.keys[0]);
        } else if (raw.children[0] != null) {
            layer = loadRoot(source, raw.children[0]).layer + 1;
        } else {
            layer = 0;
        }
        var node = new Node(layer, source, cid, null, new Block(cid, bytes));
        node.content = node.link(raw);
        return node;
    }

    // ---- content and encoding ----

    Content content() {
        var c = content;
        if (c == null) {
            var bytes = read(source, storedCid);
            block = new Block(storedCid, bytes);
            c = link(decode(storedCid, bytes));
            content = c;
        }
        return c;
    }

    boolean isEmpty() {
        var c = content();
        return c.keys.length == 0 && c.children[0] == null;
    }

    Cid cid() {
        if (storedCid != null) return storedCid;
        var b = block;
        return b != null ? b.cid : encode().cid;
    }

    /** The node's CID and DAG-CBOR bytes (read from the source for stubs, encoded for built nodes). */
    Block block() {
        var b = block;
        if (b != null && b.bytes != null) return b;
        if (storedCid != null) {
            b = new Block(storedCid, read(source, storedCid));
            block = b;
            return b;
        }
        return encode();
    }

    /** Whether this node's encoding is known, i.e. {@link #cid()} costs nothing. */
    boolean hasCid() {
        return storedCid != null || block != null;
    }

    private Block encode() {
        var c = content;
        var entries = new ArrayList<Object>(c.keys.length);
        var prev = "";
        for (int i = 0; i < c.keys.length; i++) {
            var key = c.keys[i];
            int p = MstKeys.commonPrefixLength(prev, key);
            var e = new HashMap<String, Object>(8);
            e.put("p", (long) p);
            e.put("k", key.substring(p).getBytes(StandardCharsets.ISO_8859_1));
            e.put("v", c.values[i]);
            e.put("t", cidOrNull(c.children[i + 1]));
            entries.add(e);
            prev = key;
        }
        var m = new HashMap<String, Object>(4);
        m.put("l", cidOrNull(c.children[0]));
        m.put("e", entries);
        var bytes = DagCbor.encode(m);
        var b = new Block(Cid.ofDagCbor(bytes), bytes);
        block = b;
        return b;
    }

    private static Cid cidOrNull(Node n) {
        return n == null ? null : n.cid();
    }

    private static byte[] read(BlockSource source, Cid cid) {
        var bytes = source.get(cid);
        if (bytes == null) throw new MissingBlockException(cid, "MST node");
        return bytes;
    }

    private record Raw(String[] keys, Cid[] values, Cid[] children) {}

    private Content link(Raw raw) {
        var children = new Node[raw.children.length];
        for (int i = 0; i < children.length; i++) {
            var cid = raw.children[i];
            if (cid == null) continue;
            if (layer == 0) throw new RepoException("MST node " + storedCid + " at layer 0 has a subtree");
            children[i] = stub(source, cid, layer - 1);
        }
        return new Content(raw.keys, raw.values, children);
    }

    /** Decodes {@code {l, e: [{p, k, v, t}]}}, strictly: the encoding must be the canonical one for its keys. */
    private static Raw decode(Cid cid, byte[] bytes) {
        try {
            Map<String, Object> m = DagCbor.decodeMap(bytes);
            if (m.size() != 2 || !m.containsKey("l") || !(m.get("e") instanceof List<?> list)) {
                throw new RepoException("not an MST node: " + cid);
            }
            int n = list.size();
            var keys = new String[n];
            var values = new Cid[n];
            var children = new Cid[n + 1];
            children[0] = optionalCid(m.get("l"), cid);
            var prev = "";
            for (int i = 0; i < n; i++) {
                if (!(list.get(i) instanceof Map<?, ?> e) || e.size() != 4
                        || !(e.get("p") instanceof Long p) || !(e.get("k") instanceof byte[] k)
                        || !(e.get("v") instanceof Cid v) || !e.containsKey("t")) {
                    throw new RepoException("malformed MST entry in " + cid);
                }
                if (p < 0 || p > prev.length()) throw new RepoException("bad key prefix length in MST node " + cid);
                var key = prev.substring(0, (int) (long) p) + new String(k, StandardCharsets.ISO_8859_1);
                if (!MstKeys.isValid(key)) throw new RepoException("invalid MST key in node " + cid);
                if (i > 0 && key.compareTo(prev) <= 0) throw new RepoException("MST keys out of order in node " + cid);
                if (p != MstKeys.commonPrefixLength(prev, key)) {
                    throw new RepoException("non-canonical key prefix in MST node " + cid);
                }
                keys[i] = key;
                values[i] = v;
                children[i + 1] = optionalCid(e.get("t"), cid);
                prev = key;
            }
            return new Raw(keys, values, children);
        } catch (RepoException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new RepoException("undecodable MST node " + cid, e);
        }
    }

    private static Cid optionalCid(Object o, Cid node) {
        if (o == null || o instanceof Cid) return (Cid) o;
        throw new RepoException("malformed subtree link in MST node " + node);
    }

    /** Checks that every key of this node has the node's height (untrusted input). */
    void checkLayer() {
        for (var key : content().keys) {
            if (MstKeys.height(key) != layer) {
                throw new RepoException("MST key " + key + " in node " + cid() + " is not of height " + layer);
            }
        }
    }

    // ---- lookups ----

    static Cid get(Node n, String key) {
        while (n != null) {
            var c = n.content();
            int i = Arrays.binarySearch(c.keys, key);
            if (i >= 0) return c.values[i];
            n = c.children[-i - 1];
        }
        return null;
    }

    // ---- edits; each returns a new node and leaves this one untouched ----

    /** Adds {@code key} (of height {@code h <= layer}). */
    Node insert(String key, Cid value, int h) {
        var c = content();
        int idx = Arrays.binarySearch(c.keys, key);
        if (idx >= 0) throw new IllegalArgumentException("MST already has key " + key);
        int i = -idx - 1;
        if (h == layer) {
            var split = split(c.children[i], key);
            int n = c.keys.length;
            var children = new Node[n + 2];
            System.arraycopy(c.children, 0, children, 0, i);
            children[i] = split[0];
            children[i + 1] = split[1];
            System.arraycopy(c.children, i + 1, children, i + 2, n - i);
            return built(layer, insertAt(c.keys, i, key), insertAt(c.values, i, value), children);
        }
        var child = c.children[i];
        var updated = child == null ? chain(key, value, h, layer - 1) : child.insert(key, value, h);
        return built(layer, c.keys, c.values, replaceAt(c.children, i, updated));
    }

    /** A subtree at {@code layer} holding only {@code key} (of height {@code h}): empty nodes down to layer h. */
    static Node chain(String key, Cid value, int h, int layer) {
        var n = built(h, new String[] {key}, new Cid[] {value}, new Node[2]);
        for (int l = h + 1; l <= layer; l++) n = built(l, NO_KEYS, NO_VALUES, new Node[] {n});
        return n;
    }

    /** Splits {@code n} into the parts below and above {@code key} (which it must not hold), each at n's layer or null. */
    static Node[] split(Node n, String key) {
        if (n == null) return new Node[2];
        var c = n.content();
        int idx = Arrays.binarySearch(c.keys, key);
        if (idx >= 0) throw new IllegalArgumentException("MST already has key " + key);
        int i = -idx - 1, len = c.keys.length;
        var sub = split(c.children[i], key);
        // Untouched sides are returned as is, so their CIDs stay cached.
        if (i == len && sub[0] == c.children[i]) return new Node[] {n, null};
        if (i == 0 && sub[1] == c.children[0]) return new Node[] {null, n};

        var leftChildren = Arrays.copyOf(c.children, i + 1);
        leftChildren[i] = sub[0];
        var left = make(n.layer, Arrays.copyOfRange(c.keys, 0, i), Arrays.copyOfRange(c.values, 0, i), leftChildren);

        var rightChildren = new Node[len - i + 1];
        rightChildren[0] = sub[1];
        System.arraycopy(c.children, i + 1, rightChildren, 1, len - i);
        var right = make(n.layer, Arrays.copyOfRange(c.keys, i, len), Arrays.copyOfRange(c.values, i, len), rightChildren);
        return new Node[] {left, right};
    }

    /** Removes {@code key}; null when the node ends up holding nothing. */
    Node delete(String key) {
        var c = content();
        int idx = Arrays.binarySearch(c.keys, key);
        int n = c.keys.length;
        if (idx >= 0) {
            var merged = merge(c.children[idx], c.children[idx + 1]);
            var children = new Node[n];
            System.arraycopy(c.children, 0, children, 0, idx);
            children[idx] = merged;
            System.arraycopy(c.children, idx + 2, children, idx + 1, n - idx - 1);
            return make(layer, removeAt(c.keys, idx), removeAt(c.values, idx), children);
        }
        int i = -idx - 1;
        var child = c.children[i];
        if (child == null) throw new IllegalArgumentException("MST has no key " + key);
        return make(layer, c.keys, c.values, replaceAt(c.children, i, child.delete(key)));
    }

    /** Joins two adjacent subtrees of the same layer (every key of a below every key of b). */
    static Node merge(Node a, Node b) {
        if (a == null) return b;
        if (b == null) return a;
        var ca = a.content();
        var cb = b.content();
        int an = ca.keys.length, bn = cb.keys.length;
        var keys = new String[an + bn];
        System.arraycopy(ca.keys, 0, keys, 0, an);
        System.arraycopy(cb.keys, 0, keys, an, bn);
        var values = new Cid[an + bn];
        System.arraycopy(ca.values, 0, values, 0, an);
        System.arraycopy(cb.values, 0, values, an, bn);
        var children = new Node[an + bn + 1];
        System.arraycopy(ca.children, 0, children, 0, an);
        children[an] = merge(ca.children[an], cb.children[0]);
        System.arraycopy(cb.children, 1, children, an + 1, bn);
        return built(a.layer, keys, values, children);
    }

    /** Replaces the value of an existing {@code key}. */
    Node update(String key, Cid value) {
        var c = content();
        int idx = Arrays.binarySearch(c.keys, key);
        if (idx >= 0) {
            if (c.values[idx].equals(value)) return this;
            var values = c.values.clone();
            values[idx] = value;
            return built(layer, c.keys, values, c.children);
        }
        int i = -idx - 1;
        var child = c.children[i];
        if (child == null) throw new IllegalArgumentException("MST has no key " + key);
        var updated = child.update(key, value);
        return updated == child ? this : built(layer, c.keys, c.values, replaceAt(c.children, i, updated));
    }

    // ---- array helpers ----

    private static <T> T[] insertAt(T[] a, int i, T v) {
        var r = Arrays.copyOf(a, a.length + 1);
        System.arraycopy(a, i, r, i + 1, a.length - i);
        r[i] = v;
        return r;
    }

    private static <T> T[] removeAt(T[] a, int i) {
        var r = Arrays.copyOf(a, a.length - 1);
        System.arraycopy(a, i + 1, r, i, a.length - i - 1);
        return r;
    }

    private static <T> T[] replaceAt(T[] a, int i, T v) {
        var r = a.clone();
        r[i] = v;
        return r;
    }
}
