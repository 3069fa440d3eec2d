package dev.alteran.atproto.repo;

import dev.alteran.atproto.crypto.PublicKey;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A signed repository commit: {@code {did, version, data, rev, prev, sig}}, where {@code data} is the
 * MST root and {@code sig} signs the DAG-CBOR of the commit without {@code sig}. Version 3 is
 * written; version 2 (no {@code rev}) is still readable.
 */
public record Commit(String did, int version, Cid data, String rev, Cid prev, byte[] sig) {
    private static final Set<String> FIELDS = Set.of("did", "version", "data", "rev", "prev", "sig");

    public Commit {
        Objects.requireNonNull(did, "did");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(sig, "sig");
        sig = sig.clone();
    }

    @Override
    public byte[] sig() {
        return sig.clone();
    }

    public UnsignedCommit unsigned() {
        return new UnsignedCommit(did, version, data, rev, prev);
    }

    public Map<String, Object> toData() {
        var m = unsigned().toData();
        m.put("sig", sig);
        return m;
    }

    public byte[] encode() {
        return DagCbor.encode(toData());
    }

    public Cid cid() {
        return Cid.ofDagCbor(encode());
    }

    /** Whether {@code sig} is a valid signature of the unsigned commit by {@code key}. */
    public boolean verify(PublicKey key) {
        return key.verify(unsigned().encode(), sig);
    }

    /** Decodes a commit block strictly: known fields only, version 2 or 3. */
    public static Commit decode(byte[] bytes) {
        Map<String, Object> m;
        try {
            m = DagCbor.decodeMap(bytes);
        } catch (RuntimeException e) {
            throw new RepoException("undecodable commit", e);
        }
        if (!FIELDS.containsAll(m.keySet())) throw new RepoException("unexpected fields in commit: " + m.keySet());
        if (!(m.get("did") instanceof String did)) throw new RepoException("commit has no did");
        if (!(m.get("version") instanceof Long version) || (version != 3 && version != 2)) {
            throw new RepoException("unsupported commit version " + m.get("version"));
        }
        if (!(m.get("data") instanceof Cid data)) throw new RepoException("commit has no data CID");
        if (!(m.get("sig") instanceof byte[] sig)) throw new RepoException("commit has no signature");
        var rev = m.get("rev");
        if (version == 3 && !(rev instanceof String)) throw new RepoException("v3 commit has no rev");
        // Present means a string: a null rev (v2) would not re-encode to the same block, so not to the same CID.
        if (m.containsKey("rev") && !(rev instanceof String)) throw new RepoException("commit rev is not a string");
        if (!m.containsKey("prev")) throw new RepoException("commit has no prev field");
        var prev = m.get("prev");
        if (prev != null && !(prev instanceof Cid)) throw new RepoException("commit prev is not a CID");
        return new Commit(did, (int) (long) version, data, (String) rev, (Cid) prev, sig);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Commit c && did.equals(c.did) && version == c.version && data.equals(c.data)
                && Objects.equals(rev, c.rev) && Objects.equals(prev, c.prev) && Arrays.equals(sig, c.sig);
    }

    @Override
    public int hashCode() {
        return Objects.hash(did, version, data, rev, prev, Arrays.hashCode(sig));
    }

    @Override
    public String toString() {
        return "Commit[did=" + did + ", version=" + version + ", data=" + data + ", rev=" + rev + ", prev=" + prev
                + ", sig=" + HexFormat.of().formatHex(sig) + "]";
    }
}
