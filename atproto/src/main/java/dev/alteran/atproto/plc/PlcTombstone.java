package dev.alteran.atproto.plc;

import dev.alteran.atproto.crypto.Keypair;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/** {@code plc_tombstone}: deactivates the DID for good; signed by a rotation key of {@code prev}'s operation. */
public record PlcTombstone(String prev, String sig) implements PlcOp {
    public static final String TYPE = "plc_tombstone";

    public PlcTombstone {
        Objects.requireNonNull(prev, "a tombstone always has a prev");
    }

    /** The unsigned tombstone that ends the log at {@code last}. */
    public static PlcTombstone after(PlcOp last) {
        if (last instanceof PlcTombstone) throw new PlcException("nothing follows a tombstone");
        return new PlcTombstone(last.cid().toString(), null);
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public PlcTombstone withSig(String sig) {
        return new PlcTombstone(prev, sig);
    }

    @Override
    public Map<String, Object> unsignedData() {
        var m = new HashMap<String, Object>(4);
        m.put("type", TYPE);
        m.put("prev", prev);
        return m;
    }

    @Override
    public PlcTombstone sign(Keypair key) {
        Plc.parsePrev(prev);
        return withSig(Plc.encodeSig(key.sign(unsignedBytes())));
    }
}
