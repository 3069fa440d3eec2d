package dev.alteran.pds.firehose;

import dev.alteran.atproto.data.DagCbor;
import dev.alteran.pds.store.SeqEvent;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One event-stream frame as sent: a DAG-CBOR header then a DAG-CBOR body, in one binary WebSocket
 * message. {@code seq} orders message frames; {@link #info} and {@link #error} frames carry none (0).
 * A frame is encoded once and shared by every subscriber.
 */
public record Frame(long seq, byte[] bytes) {
    /** The {@code #info} name for a cursor older than the kept events. */
    public static final String OUTDATED_CURSOR = "OutdatedCursor";
    public static final String FUTURE_CURSOR = "FutureCursor";
    public static final String CONSUMER_TOO_SLOW = "ConsumerTooSlow";

    public static Frame of(SeqEvent event) {
        return new Frame(event.seq(), event.frame());
    }

    /** {@code {op: 1, t: "#info"}} {@code {name, message}}: not persisted, no seq. */
    public static Frame info(String name, String message) {
        var header = new LinkedHashMap<String, Object>();
        header.put("op", 1L);
        header.put("t", "#info");
        var body = new LinkedHashMap<String, Object>();
        body.put("name", name);
        if (message != null) body.put("message", message);
        return new Frame(0, concat(header, body));
    }

    /** {@code {op: -1}} {@code {error, message}}: the stream closes right after it. */
    public static Frame error(String error, String message) {
        var body = new LinkedHashMap<String, Object>();
        body.put("error", error);
        if (message != null) body.put("message", message);
        return new Frame(0, concat(Map.of("op", -1L), body));
    }

    private static byte[] concat(Map<String, Object> header, Map<String, Object> body) {
        var h = DagCbor.encode(header);
        var b = DagCbor.encode(body);
        var out = new byte[h.length + b.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(b, 0, out, h.length, b.length);
        return out;
    }
}
