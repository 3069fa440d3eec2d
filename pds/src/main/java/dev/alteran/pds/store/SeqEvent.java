package dev.alteran.pds.store;

import dev.alteran.atproto.data.DagCbor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One row of the sequencer log. {@code body} is the DAG-CBOR frame body exactly as the firehose sends
 * it (with {@code seq} and {@code time}); {@code type} is the message type without the {@code #}
 * ({@code commit}, {@code sync}, {@code identity}, {@code account}).
 */
public record SeqEvent(long seq, String did, String type, String time, byte[] body) {
    /** The whole event-stream frame: the header {@code {op: 1, t: "#type"}} followed by the body. */
    public byte[] frame() {
        var header = new LinkedHashMap<String, Object>();
        header.put("op", 1L);
        header.put("t", "#" + type);
        var h = DagCbor.encode(header);
        var out = new byte[h.length + body.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(body, 0, out, h.length, body.length);
        return out;
    }

    /** The decoded body. */
    public Map<String, Object> decodeBody() {
        return DagCbor.decodeMap(body);
    }
}
