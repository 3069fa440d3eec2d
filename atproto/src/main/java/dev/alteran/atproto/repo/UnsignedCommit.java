package dev.alteran.atproto.repo;

import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/** A commit before signing; its DAG-CBOR encoding is the signed message. */
public record UnsignedCommit(String did, int version, Cid data, String rev, Cid prev) {
    public static final int VERSION = 3;

    public UnsignedCommit {
        Objects.requireNonNull(did, "did");
        Objects.requireNonNull(data, "data");
        if (version == VERSION) Objects.requireNonNull(rev, "rev");
    }

    /** A v3 commit ({@code prev} null). */
    public UnsignedCommit(String did, Cid data, String rev) {
        this(did, VERSION, data, rev, null);
    }

    Map<String, Object> toData() {
        var m = new HashMap<String, Object>(8);
        m.put("did", did);
        m.put("version", (long) version);
        m.put("data", data);
        if (rev != null) m.put("rev", rev);
        m.put("prev", prev); // present even when null: v3 keeps the field for v2 compatibility
        return m;
    }

    public byte[] encode() {
        return DagCbor.encode(toData());
    }

    public Commit sign(Keypair key) {
        return new Commit(did, version, data, rev, prev, key.sign(encode()));
    }
}
