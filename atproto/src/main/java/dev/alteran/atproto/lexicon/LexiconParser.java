package dev.alteran.atproto.lexicon;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.lexicon.LexType.*;
import dev.alteran.atproto.syntax.Nsid;
import dev.alteran.atproto.syntax.RecordKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Turns Lexicon JSON into {@link LexType}s, rejecting anything the Lexicon language does not allow. */
final class LexiconParser {

    /** Where a type appears decides which types are allowed there. */
    private enum Position { DEF, MAIN_DEF, FIELD, ARRAY_ITEM, PARAMS, PARAM, PARAM_ITEM, BODY, MESSAGE, RECORD_BODY }

    private static final Set<String> PRIMARY = Set.of("record", "query", "procedure", "subscription", "permission-set");
    private static final Set<String> FIELD_TYPES = Set.of(
            "null", "boolean", "integer", "string", "bytes", "cid-link", "blob", "array", "object", "ref", "union", "unknown");
    private static final Set<String> PARAM_TYPES = Set.of("boolean", "integer", "string", "unknown", "array");
    private static final Set<String> PARAM_ITEM_TYPES = Set.of("boolean", "integer", "string", "unknown");
    private static final Set<String> NAMED_TYPES = Set.of(
            "null", "boolean", "integer", "string", "bytes", "cid-link", "blob", "array", "object", "token");

    private final String docId;

    private LexiconParser(String docId) {
        this.docId = docId;
    }

    static LexiconDocument parseDocument(JsonNode root) {
        if (root == null || !root.isObject()) throw new LexiconException("Lexicon document must be a JSON object");
        var lexicon = root.get("lexicon");
        if (lexicon == null || !lexicon.isIntegralNumber() || lexicon.asLong() != 1)
            throw new LexiconException("Lexicon document \"lexicon\" must be the integer 1");
        var idNode = root.get("id");
        if (idNode == null || !idNode.isTextual()) throw new LexiconException("Lexicon document \"id\" must be a string");
        var id = idNode.asText();
        if (!Nsid.isValid(id)) throw new LexiconException("Lexicon document id is not a valid NSID: " + id);
        var p = new LexiconParser(id);
        var revision = p.optInt(root, "revision", id);
        var description = p.optString(root, "description", id);
        var defsNode = root.get("defs");
        if (defsNode == null || !defsNode.isObject()) throw new LexiconException(id + ": \"defs\" must be an object");
        var defs = new LinkedHashMap<String, LexType>();
        for (var e : defsNode.properties()) {
            var name = e.getKey();
            if (name.isEmpty() || name.contains("#")) throw new LexiconException(id + ": invalid definition name \"" + name + "\"");
            var where = id + "#" + name;
            var pos = name.equals("main") ? Position.MAIN_DEF : Position.DEF;
            defs.put(name, p.type(e.getValue(), pos, where, name.equals("main") ? id : where));
        }
        return new LexiconDocument(1, id, revision, description, Collections.unmodifiableMap(defs));
    }

    private LexType type(JsonNode node, Position pos, String where) {
        return type(node, pos, where, null);
    }

    /** @param fullName the definition's own name, for tokens */
    private LexType type(JsonNode node, Position pos, String where, String fullName) {
        if (node == null || !node.isObject()) throw error(where, "schema must be an object");
        var typeNode = node.get("type");
        if (typeNode == null || !typeNode.isTextual()) throw error(where, "schema is missing a string \"type\"");
        var type = typeNode.asText();
        checkAllowed(type, pos, where);
        return switch (type) {
            case "null" -> new LexNull();
            case "boolean" -> new LexBoolean(optBool(node, "default", where), optBool(node, "const", where));
            case "integer" -> integer(node, where);
            case "string" -> string(node, where);
            case "bytes" -> {
                var min = optNonNegInt(node, "minLength", where);
                var max = optNonNegInt(node, "maxLength", where);
                checkRange(min, max, "minLength", "maxLength", where);
                yield new LexBytes(min, max);
            }
            case "cid-link" -> new LexCidLink();
            case "blob" -> {
                var accept = optStrings(node, "accept", where);
                if (accept != null) for (var a : accept) if (!MimeTypes.isPattern(a)) throw error(where, "invalid accept pattern " + a);
                var maxSize = optLong(node, "maxSize", where);
                if (maxSize != null && maxSize < 0) throw error(where, "maxSize must not be negative");
                yield new LexBlob(accept, maxSize);
            }
            case "array" -> {
                var itemPos = pos == Position.PARAM ? Position.PARAM_ITEM : Position.ARRAY_ITEM;
                var items = type(required(node, "items", where), itemPos, where + "/items");
                var min = optNonNegInt(node, "minLength", where);
                var max = optNonNegInt(node, "maxLength", where);
                checkRange(min, max, "minLength", "maxLength", where);
                yield new LexArray(items, min, max);
            }
            case "object" -> object(node, where);
            case "params" -> {
                var props = properties(node, Position.PARAM, where);
                var req = optStrings(node, "required", where);
                yield new LexParams(props, req == null ? List.of() : req);
            }
            case "token" -> new LexToken(fullName);
            case "ref" -> new LexRef(qualify(textField(node, "ref", where), where));
            case "union" -> {
                var refs = optStrings(node, "refs", where);
                if (refs == null) throw error(where, "union needs \"refs\"");
                var full = new ArrayList<String>(refs.size());
                for (var r : refs) full.add(qualify(r, where));
                var closed = optBool(node, "closed", where);
                yield new LexUnion(List.copyOf(full), closed != null && closed);
            }
            case "unknown" -> new LexUnknown();
            case "record" -> {
                var key = textField(node, "key", where);
                if (!isRecordKeyType(key)) throw error(where, "invalid record key type \"" + key + "\"");
                var body = type(required(node, "record", where), Position.RECORD_BODY, where + "/record");
                yield new LexRecord(key, (LexObject) body);
            }
            case "query" -> new LexQuery(params(node, where), body(node, "output", where), errors(node, where));
            case "procedure" -> new LexProcedure(params(node, where), body(node, "input", where),
                    body(node, "output", where), errors(node, where));
            case "subscription" -> {
                LexUnion message = null;
                var m = node.get("message");
                if (m != null) {
                    if (!m.isObject()) throw error(where, "\"message\" must be an object");
                    message = (LexUnion) type(required(m, "schema", where + "/message"), Position.MESSAGE, where + "/message/schema");
                }
                yield new LexSubscription(params(node, where), message, errors(node, where));
            }
            case "permission-set" -> permissionSet(node, where);
            default -> throw error(where, "unknown type \"" + type + "\"");
        };
    }

    private void checkAllowed(String type, Position pos, String where) {
        boolean ok = switch (pos) {
            case MAIN_DEF -> PRIMARY.contains(type) || NAMED_TYPES.contains(type);
            case DEF -> NAMED_TYPES.contains(type);
            case FIELD, ARRAY_ITEM -> FIELD_TYPES.contains(type);
            case PARAM -> PARAM_TYPES.contains(type);
            case PARAM_ITEM -> PARAM_ITEM_TYPES.contains(type);
            case BODY -> type.equals("object") || type.equals("ref") || type.equals("union");
            case PARAMS -> type.equals("params");
            case MESSAGE -> type.equals("union");
            case RECORD_BODY -> type.equals("object");
        };
        if (ok) return;
        if (pos == Position.DEF && PRIMARY.contains(type))
            throw error(where, "primary type \"" + type + "\" is only allowed as the \"main\" definition");
        throw error(where, "type \"" + type + "\" is not allowed here");
    }

    private LexInteger integer(JsonNode node, String where) {
        var min = optLong(node, "minimum", where);
        var max = optLong(node, "maximum", where);
        checkRange(min, max, "minimum", "maximum", where);
        List<Long> enumValues = null;
        var e = node.get("enum");
        if (e != null) {
            if (!e.isArray()) throw error(where, "\"enum\" must be an array");
            var values = new ArrayList<Long>();
            for (var v : e) {
                if (!v.isIntegralNumber() || !v.canConvertToLong()) throw error(where, "\"enum\" values must be integers");
                values.add(v.asLong());
            }
            enumValues = List.copyOf(values);
        }
        return new LexInteger(min, max, enumValues, optLong(node, "default", where), optLong(node, "const", where));
    }

    private LexString string(JsonNode node, String where) {
        StringFormat format = null;
        var f = optString(node, "format", where);
        if (f != null) {
            format = StringFormat.fromWireName(f);
            if (format == null) throw error(where, "unknown string format \"" + f + "\"");
        }
        var minLength = optNonNegInt(node, "minLength", where);
        var maxLength = optNonNegInt(node, "maxLength", where);
        checkRange(minLength, maxLength, "minLength", "maxLength", where);
        var minGraphemes = optNonNegInt(node, "minGraphemes", where);
        var maxGraphemes = optNonNegInt(node, "maxGraphemes", where);
        checkRange(minGraphemes, maxGraphemes, "minGraphemes", "maxGraphemes", where);
        return new LexString(format, minLength, maxLength, minGraphemes, maxGraphemes,
                optStrings(node, "enum", where), optString(node, "const", where), optString(node, "default", where),
                optStrings(node, "knownValues", where));
    }

    private LexObject object(JsonNode node, String where) {
        var props = properties(node, Position.FIELD, where);
        var required = optStrings(node, "required", where);
        var nullable = optStrings(node, "nullable", where);
        return new LexObject(props, required == null ? List.of() : required, nullable == null ? List.of() : nullable);
    }

    private Map<String, LexType> properties(JsonNode node, Position pos, String where) {
        var p = node.get("properties");
        if (p == null) return Map.of();
        if (!p.isObject()) throw error(where, "\"properties\" must be an object");
        var out = new LinkedHashMap<String, LexType>();
        for (var e : p.properties()) out.put(e.getKey(), type(e.getValue(), pos, where + "/" + e.getKey()));
        return Collections.unmodifiableMap(out);
    }

    private LexParams params(JsonNode node, String where) {
        var p = node.get("parameters");
        return p == null ? null : (LexParams) type(p, Position.PARAMS, where + "/parameters");
    }

    private LexBody body(JsonNode node, String key, String where) {
        var b = node.get(key);
        if (b == null) return null;
        var here = where + "/" + key;
        if (!b.isObject()) throw error(here, "must be an object");
        var encoding = textField(b, "encoding", here);
        var s = b.get("schema");
        return new LexBody(encoding, s == null ? null : type(s, Position.BODY, here + "/schema"));
    }

    private List<LexError> errors(JsonNode node, String where) {
        var e = node.get("errors");
        if (e == null) return List.of();
        if (!e.isArray()) throw error(where, "\"errors\" must be an array");
        var out = new ArrayList<LexError>();
        for (var item : e) {
            if (!item.isObject()) throw error(where, "\"errors\" entries must be objects");
            out.add(new LexError(textField(item, "name", where + "/errors"), optString(item, "description", where)));
        }
        return List.copyOf(out);
    }

    private LexPermissionSet permissionSet(JsonNode node, String where) {
        var p = required(node, "permissions", where);
        if (!p.isArray()) throw error(where, "\"permissions\" must be an array");
        var perms = new ArrayList<LexPermission>();
        int i = 0;
        for (var item : p) perms.add((LexPermission) permissionItem(item, where + "/permissions/" + i++));
        return new LexPermissionSet(optString(node, "title", where), optString(node, "detail", where), List.copyOf(perms));
    }

    private LexType permissionItem(JsonNode item, String where) {
        if (item == null || !item.isObject() || !"permission".equals(item.path("type").asText(null)))
            throw error(where, "permission-set entries must be objects of type \"permission\"");
        return permission(item, where);
    }

    private LexPermission permission(JsonNode node, String where) {
        var resource = textField(node, "resource", where);
        var attrs = new LinkedHashMap<String, JsonNode>();
        for (var e : node.properties()) {
            if (!e.getKey().equals("type") && !e.getKey().equals("resource")) attrs.put(e.getKey(), e.getValue());
        }
        return new LexPermission(resource, Collections.unmodifiableMap(attrs));
    }

    /** Makes a ref absolute: {@code #x} becomes {@code <doc>#x}, and {@code nsid#main} becomes {@code nsid}. */
    private String qualify(String ref, String where) {
        if (ref.isEmpty()) throw error(where, "empty ref");
        var full = ref.startsWith("#") ? docId + ref : ref;
        int hash = full.indexOf('#');
        var nsid = hash < 0 ? full : full.substring(0, hash);
        if (!Nsid.isValid(nsid)) throw error(where, "ref \"" + ref + "\" does not name a valid NSID");
        if (hash >= 0) {
            var name = full.substring(hash + 1);
            if (name.isEmpty() || name.contains("#")) throw error(where, "invalid ref \"" + ref + "\"");
            if (name.equals("main")) return nsid;
        }
        return full;
    }

    static boolean isRecordKeyType(String key) {
        return switch (key) {
            case "tid", "nsid", "any" -> true;
            default -> key.startsWith("literal:") && RecordKey.isValid(key.substring("literal:".length()));
        };
    }

    // --- typed field readers ---

    private static JsonNode required(JsonNode node, String key, String where) {
        var v = node.get(key);
        if (v == null) throw error(where, "missing \"" + key + "\"");
        return v;
    }

    private static String textField(JsonNode node, String key, String where) {
        var v = required(node, key, where);
        if (!v.isTextual()) throw error(where, "\"" + key + "\" must be a string");
        return v.asText();
    }

    private static String optString(JsonNode node, String key, String where) {
        var v = node.get(key);
        if (v == null) return null;
        if (!v.isTextual()) throw error(where, "\"" + key + "\" must be a string");
        return v.asText();
    }

    private static Boolean optBool(JsonNode node, String key, String where) {
        var v = node.get(key);
        if (v == null) return null;
        if (!v.isBoolean()) throw error(where, "\"" + key + "\" must be a boolean");
        return v.asBoolean();
    }

    private static Long optLong(JsonNode node, String key, String where) {
        var v = node.get(key);
        if (v == null) return null;
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw error(where, "\"" + key + "\" must be an integer");
        return v.asLong();
    }

    private static Integer optInt(JsonNode node, String key, String where) {
        var v = optLong(node, key, where);
        if (v != null && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) throw error(where, "\"" + key + "\" is too large");
        return v == null ? null : v.intValue();
    }

    private static Integer optNonNegInt(JsonNode node, String key, String where) {
        var v = optInt(node, key, where);
        if (v != null && v < 0) throw error(where, "\"" + key + "\" must not be negative");
        return v;
    }

    private static List<String> optStrings(JsonNode node, String key, String where) {
        var v = node.get(key);
        if (v == null) return null;
        if (!v.isArray()) throw error(where, "\"" + key + "\" must be an array of strings");
        var out = new ArrayList<String>(v.size());
        for (var item : v) {
            if (!item.isTextual()) throw error(where, "\"" + key + "\" must be an array of strings");
            out.add(item.asText());
        }
        return List.copyOf(out);
    }

    private static <T extends Comparable<T>> void checkRange(T min, T max, String minName, String maxName, String where) {
        if (min != null && max != null && min.compareTo(max) > 0)
            throw error(where, "\"" + minName + "\" is greater than \"" + maxName + "\"");
    }

    private static LexiconException error(String where, String message) {
        return new LexiconException(where + ": " + message);
    }
}
