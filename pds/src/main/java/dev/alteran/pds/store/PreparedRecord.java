package dev.alteran.pds.store;

import dev.alteran.atproto.data.Cid;
import java.util.List;
import java.util.Map;

/**
 * A record ready to be written: its data-model value, its DAG-CBOR block and CID, the blobs it
 * references, and how it was validated ({@code "valid"}, {@code "unknown"}, or null when validation
 * was skipped). Made by {@link RecordPreparer}.
 */
public record PreparedRecord(Map<String, Object> value, byte[] bytes, Cid cid, List<Cid> blobs, String validationStatus) {
    public PreparedRecord {
        blobs = List.copyOf(blobs);
    }

    public String type() {
        return (String) value.get("$type");
    }
}
