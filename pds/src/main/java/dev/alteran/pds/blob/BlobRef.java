package dev.alteran.pds.blob;

import dev.alteran.atproto.data.Cid;
import java.util.LinkedHashMap;
import java.util.Map;

/** A blob as records reference it: {@code {"$type":"blob", ref, mimeType, size}}. */
public record BlobRef(Cid ref, String mimeType, long size) {
    /** The JSON form (uploadBlob output): {@code ref} as {@code {"$link": cid}}. */
    public Map<String, Object> toJson() {
        var m = new LinkedHashMap<String, Object>();
        m.put("$type", "blob");
        m.put("ref", Map.of("$link", ref.toString()));
        m.put("mimeType", mimeType);
        m.put("size", size);
        return m;
    }
}
