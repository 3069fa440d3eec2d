package dev.alteran.pds.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import dev.alteran.atproto.data.DataJson;
import dev.alteran.atproto.lexicon.Lexicons;
import dev.alteran.atproto.syntax.RecordKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a record as a client sent it (atproto JSON) into a {@link PreparedRecord}, with the checks of
 * the reference PDS: {@code $type} must be the collection (it is filled in when absent), the record
 * key must be valid, the record is validated against its Lexicon per {@code validate}, legacy blob
 * references are refused. Every refusal is a {@link RepoWriteException} (InvalidRequest).
 */
public final class RecordPreparer {
    /** The protocol's limit on one record's DAG-CBOR encoding. */
    public static final int MAX_RECORD_BYTES = 1 << 20;

    private final Lexicons lexicons;

    public RecordPreparer(Lexicons lexicons) {
        this.lexicons = lexicons;
    }

    /**
     * @param validate true: the record must match its Lexicon, and a type without one is an error;
     *                 null: known types are validated, unknown ones accepted as "unknown"; false: no validation
     */
    public PreparedRecord prepare(String collection, String rkey, JsonNode record, Boolean validate) {
        if (record == null || !record.isObject()) throw RepoWriteException.invalid("Invalid record: must be an object");
        var type = record.get("$type");
        ObjectNode typed;
        if (type == null) {
            typed = JsonNodeFactory.instance.objectNode();
            typed.put("$type", collection);
            typed.setAll((ObjectNode) record);
        } else if (type.isTextual() && type.textValue().equals(collection)) {
            typed = (ObjectNode) record;
        } else {
            throw RepoWriteException.invalid("Invalid $type: expected " + collection + ", got " + (type.isTextual() ? type.textValue() : type.toString()));
        }
        if (!RecordKey.isValid(rkey)) throw RepoWriteException.invalid("Invalid record key: " + rkey);

        var status = validate(collection, rkey, typed, validate);
        Map<String, Object> value;
        try {
            value = DataJson.fromJson(typed);
        } catch (IllegalArgumentException e) {
            throw RepoWriteException.invalid("Invalid " + collection + " record: " + e.getMessage());
        }
        var blobs = new ArrayList<Cid>();
        collectBlobs(value, blobs);
        byte[] bytes;
        try {
            bytes = DagCbor.encode(value);
        } catch (RuntimeException e) {
            throw RepoWriteException.invalid("Invalid " + collection + " record: " + e.getMessage());
        }
        if (bytes.length > MAX_RECORD_BYTES) {
            throw RepoWriteException.invalid("Record is too large: " + bytes.length + " bytes of DAG-CBOR, at most " + MAX_RECORD_BYTES);
        }
        return new PreparedRecord(value, bytes, Cid.ofDagCbor(bytes), blobs, status);
    }

    private String validate(String collection, String rkey, JsonNode record, Boolean validate) {
        if (Boolean.FALSE.equals(validate)) return null;
        var result = lexicons.validateRecord(collection, rkey, record);
        return switch (result.status()) {
            case VALID -> "valid";
            case UNKNOWN -> {
                if (Boolean.TRUE.equals(validate)) throw RepoWriteException.invalid("Unknown lexicon type: " + collection);
                yield "unknown";
            }
            case INVALID -> throw RepoWriteException.invalid("Invalid " + collection + " record: " + String.join("; ", result.errors()));
        };
    }

    /** Blob CIDs referenced anywhere in the record; a legacy blob reference ({cid, mimeType}) is refused. */
    private static void collectBlobs(Object v, List<Cid> out) {
        if (v instanceof Map<?, ?> m) {
            if ("blob".equals(m.get("$type")) && m.get("ref") instanceof Cid ref) {
                if (!out.contains(ref)) out.add(ref);
                return;
            }
            if (m.size() == 2 && m.get("cid") instanceof String cid && m.get("mimeType") instanceof String mime
                    && !mime.isEmpty() && Cid.isValidSyntax(cid)) {
                throw RepoWriteException.invalid("Legacy blobs are not allowed (" + cid + ")");
            }
            for (var item : m.values()) collectBlobs(item, out);
        } else if (v instanceof List<?> list) {
            for (var item : list) collectBlobs(item, out);
        }
    }
}
