package dev.alteran.atproto.plc;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PLC operations in the JSON the directory takes and serves. Reading is strict: an operation must have exactly
 * the fields of its type, with the right JSON types, because a dropped or coerced field would change what was
 * signed and hashed. A missing {@code sig} reads as an unsigned operation. Errors are {@link PlcException}.
 */
public final class PlcJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Set<String> OPERATION_FIELDS =
            Set.of("type", "rotationKeys", "verificationMethods", "alsoKnownAs", "services", "prev", "sig");
    private static final Set<String> TOMBSTONE_FIELDS = Set.of("type", "prev", "sig");
    private static final Set<String> CREATE_FIELDS = Set.of("type", "signingKey", "recoveryKey", "handle", "service", "prev", "sig");
    private static final Set<String> DATA_FIELDS = Set.of("did", "rotationKeys", "verificationMethods", "alsoKnownAs", "services");

    private PlcJson() {}

    // ---- writing ----

    /** The operation as a JSON object ({@code sig} left out when unsigned). */
    public static ObjectNode toJson(PlcOp op) {
        var o = NODES.objectNode();
        o.put("type", op.type());
        switch (op) {
            case PlcOperation p -> {
                var keys = o.putArray("rotationKeys");
                p.rotationKeys().forEach(keys::add);
                var methods = o.putObject("verificationMethods");
                p.verificationMethods().forEach(methods::put);
                var aka = o.putArray("alsoKnownAs");
                p.alsoKnownAs().forEach(aka::add);
                var services = o.putObject("services");
                p.services().forEach((id, s) -> services.putObject(id).put("type", s.type()).put("endpoint", s.endpoint()));
            }
            case PlcLegacyCreate c -> o.put("signingKey", c.signingKey()).put("recoveryKey", c.recoveryKey())
                    .put("handle", c.handle()).put("service", c.service());
            case PlcTombstone t -> {}
        }
        if (op.prev() == null) o.putNull("prev");
        else o.put("prev", op.prev());
        if (op.sig() != null) o.put("sig", op.sig());
        return o;
    }

    public static String toJsonString(PlcOp op) {
        return toJson(op).toString();
    }

    /** The state as the directory's {@code /:did/data} shows it. */
    public static ObjectNode toJson(PlcData data) {
        var o = NODES.objectNode();
        o.put("did", data.did());
        var as = new PlcOperation(data.rotationKeys(), data.verificationMethods(), data.alsoKnownAs(), data.services(), null, null);
        var op = toJson(as);
        o.set("verificationMethods", op.get("verificationMethods"));
        o.set("rotationKeys", op.get("rotationKeys"));
        o.set("alsoKnownAs", op.get("alsoKnownAs"));
        o.set("services", op.get("services"));
        return o;
    }

    // ---- reading ----

    public static PlcOp parseOp(String json) {
        return parseOp(tree(json));
    }

    /** One operation of any type, chosen by its {@code type} field. */
    public static PlcOp parseOp(JsonNode node) {
        var o = object(node, "operation");
        var type = string(o, "type");
        return switch (type) {
            case PlcOperation.TYPE -> {
                onlyFields(o, OPERATION_FIELDS, type);
                yield new PlcOperation(stringList(o, "rotationKeys"), stringMap(o, "verificationMethods"),
                        stringList(o, "alsoKnownAs"), services(o), nullableString(o, "prev"), optionalString(o, "sig"));
            }
            case PlcTombstone.TYPE -> {
                onlyFields(o, TOMBSTONE_FIELDS, type);
                yield new PlcTombstone(string(o, "prev"), optionalString(o, "sig"));
            }
            case PlcLegacyCreate.TYPE -> {
                onlyFields(o, CREATE_FIELDS, type);
                if (!o.has("prev") || !o.get("prev").isNull()) throw new PlcException("a legacy create has prev null");
                yield new PlcLegacyCreate(string(o, "signingKey"), string(o, "recoveryKey"), string(o, "handle"),
                        string(o, "service"), optionalString(o, "sig"));
            }
            default -> throw new PlcException("unknown operation type: " + type);
        };
    }

    /** A JSON array of operations, as {@code /:did/log} returns. */
    public static List<PlcOp> parseLog(String json) {
        var node = tree(json);
        if (!node.isArray()) throw new PlcException("an operation log is a JSON array");
        var ops = new ArrayList<PlcOp>(node.size());
        for (var item : node) ops.add(parseOp(item));
        return ops;
    }

    /**
     * A JSON array of audit entries, as {@code /:did/log/audit} returns: {@code {did, operation, cid, nullified,
     * createdAt}}. Other fields of an entry (not of its operation) are ignored, so the directory can add some.
     */
    public static List<PlcAuditEntry> parseAuditLog(String json) {
        var node = tree(json);
        if (!node.isArray()) throw new PlcException("an audit log is a JSON array");
        var entries = new ArrayList<PlcAuditEntry>(node.size());
        for (var item : node) {
            var o = object(item, "audit entry");
            var nullified = o.get("nullified");
            if (nullified == null || !nullified.isBoolean()) throw new PlcException("audit entry needs a boolean nullified");
            entries.add(new PlcAuditEntry(string(o, "did"), parseOp(o.get("operation")), string(o, "cid"),
                    nullified.booleanValue(), optionalString(o, "createdAt")));
        }
        return entries;
    }

    /** The directory's {@code /:did/data}. */
    public static PlcData parseData(String json) {
        var o = object(tree(json), "DID data");
        onlyFields(o, DATA_FIELDS, "DID data");
        return new PlcData(string(o, "did"), stringList(o, "rotationKeys"), stringMap(o, "verificationMethods"),
                stringList(o, "alsoKnownAs"), services(o));
    }

    private static JsonNode tree(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new PlcException("invalid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static ObjectNode object(JsonNode node, String what) {
        if (node instanceof ObjectNode o) return o;
        throw new PlcException(what + " must be a JSON object");
    }

    private static void onlyFields(ObjectNode o, Set<String> allowed, String what) {
        for (var e : o.properties()) {
            if (!allowed.contains(e.getKey())) throw new PlcException("unexpected field in " + what + ": " + e.getKey());
        }
    }

    private static String string(ObjectNode o, String field) {
        var v = o.get(field);
        if (v == null || !v.isTextual()) throw new PlcException(field + " must be a string");
        return v.textValue();
    }

    /** Required field, string or null. */
    private static String nullableString(ObjectNode o, String field) {
        if (!o.has(field)) throw new PlcException(field + " is missing (null must be written out)");
        return o.get(field).isNull() ? null : string(o, field);
    }

    /** Absent means null; a JSON null is not accepted. */
    private static String optionalString(ObjectNode o, String field) {
        return o.has(field) ? string(o, field) : null;
    }

    private static List<String> stringList(ObjectNode o, String field) {
        var v = o.get(field);
        if (v == null || !v.isArray()) throw new PlcException(field + " must be an array of strings");
        var list = new ArrayList<String>(v.size());
        for (var item : v) {
            if (!item.isTextual()) throw new PlcException(field + " must be an array of strings");
            list.add(item.textValue());
        }
        return list;
    }

    private static Map<String, String> stringMap(ObjectNode o, String field) {
        var v = o.get(field);
        if (!(v instanceof ObjectNode m)) throw new PlcException(field + " must be an object of strings");
        var map = new LinkedHashMap<String, String>();
        for (var e : m.properties()) {
            if (!e.getValue().isTextual()) throw new PlcException(field + "." + e.getKey() + " must be a string");
            map.put(e.getKey(), e.getValue().textValue());
        }
        return map;
    }

    private static Map<String, PlcService> services(ObjectNode o) {
        var v = o.get("services");
        if (!(v instanceof ObjectNode m)) throw new PlcException("services must be an object");
        var map = new LinkedHashMap<String, PlcService>();
        for (var e : m.properties()) {
            var s = object(e.getValue(), "services." + e.getKey());
            onlyFields(s, Set.of("type", "endpoint"), "services." + e.getKey());
            map.put(e.getKey(), new PlcService(string(s, "type"), string(s, "endpoint")));
        }
        return map;
    }
}
