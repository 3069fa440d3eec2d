package dev.alteran.pds.store;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import java.util.Map;

/** A current record as stored: its AT-URI, CID and DAG-CBOR block. */
public record StoredRecord(String uri, Cid cid, byte[] bytes) {
    /** The record in data-model form (CIDs as {@link Cid}, bytes as byte[]). */
    public Map<String, Object> value() {
        return DagCbor.decodeMap(bytes);
    }

    /** The record key: the last segment of the URI. */
    public String rkey() {
        return uri.substring(uri.lastIndexOf('/') + 1);
    }
}
