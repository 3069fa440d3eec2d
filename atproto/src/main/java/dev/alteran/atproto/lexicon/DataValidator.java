package dev.alteran.atproto.lexicon;

import dev.alteran.atproto.data.Cid;
import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.lexicon.LexType.*;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Checks atproto JSON-form data ({@code $link}, {@code $bytes}, typed blobs) against Lexicon types,
 * collecting every error with its path.
 */
final class DataValidator {
    private static final int MAX_DEPTH = 128;

    private final Function<String, Optional<LexType>> resolve;
    final List<String> errors = new ArrayList<>();
    private int depth;

    DataValidator(Function<String, Optional<LexType>> resolve) {
        this.resolve = resolve;
    }

    void validate(LexType type, JsonNode value, String path) {
        if (++depth > MAX_DEPTH) {
            errors.add(path + " is nested too deeply");
            depth--;
            return;
        }
        try {
            switch (type) {
                case LexNull t -> { if (!value.isNull()) errors.add(path + " must be null"); }
                case LexBoolean t -> bool(t, value, path);
                case LexInteger t -> integer(t, value, path);
                case LexString t -> string(t, value, path);
                case LexBytes t -> bytes(t, value, path);
                case LexCidLink t -> { if (!isLink(value)) errors.add(path + " must be a CID link ({\"$link\": \"<cid>\"})"); }
                case LexBlob t -> blob(t, value, path);
                case LexArray t -> array(t, value, path);
                case LexObject t -> object(t, value, path);
                case LexRef t -> ref(t.ref(), value, path);
                case LexUnion t -> union(t, value, path);
                case LexUnknown t -> unknown(value, path);
                case LexToken t -> {
                    if (!value.isTextual() || !value.asText().equals(t.fullName()))
                        errors.add(path + " must be the token \"" + t.fullName() + "\"");
                }
                case LexRecord t -> object(t.record(), value, path);
                case LexParams t -> errors.add(path + " cannot be validated against a params definition");
                case LexQuery t -> errors.add(path + " cannot be validated against a query definition");
                case LexProcedure t -> errors.add(path + " cannot be validated against a procedure definition");
                case LexSubscription t -> errors.add(path + " cannot be validated against a subscription definition");
                case LexPermissionSet t -> errors.add(path + " cannot be validated against a permission-set definition");
                case LexPermission t -> errors.add(path + " cannot be validated against a permission definition");
            }
        } finally {
            depth--;
        }
    }

    private void bool(LexBoolean t, JsonNode v, String path) {
        if (!v.isBoolean()) {
            errors.add(path + " must be a boolean");
        } else if (t.constValue() != null && v.asBoolean() != t.constValue()) {
            errors.add(path + " must be " + t.constValue());
        }
    }

    private void integer(LexInteger t, JsonNode v, String path) {
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            errors.add(path + " must be an integer");
            return;
        }
        long n = v.asLong();
        if (t.constValue() != null && n != t.constValue()) errors.add(path + " must be " + t.constValue());
        if (t.enumValues() != null && !t.enumValues().contains(n)) errors.add(path + " must be one of " + t.enumValues());
        if (t.minimum() != null && n < t.minimum()) errors.add(path + " can not be less than " + t.minimum());
        if (t.maximum() != null && n > t.maximum()) errors.add(path + " can not be greater than " + t.maximum());
    }

    private void string(LexString t, JsonNode v, String path) {
        if (!v.isTextual()) {
            errors.add(path + " must be a string");
            return;
        }
        var s = v.asText();
        if (t.constValue() != null && !s.equals(t.constValue())) errors.add(path + " must be \"" + t.constValue() + "\"");
        if (t.enumValues() != null && !t.enumValues().contains(s)) errors.add(path + " must be one of " + t.enumValues());
        if (t.maxLength() != null && s.length() > t.maxLength() / 3 && LexString.utf8Length(s) > t.maxLength())
            errors.add(path + " must not be longer than " + t.maxLength() + " bytes (UTF-8)");
        if (t.minLength() != null && LexString.utf8Length(s) < t.minLength())
            errors.add(path + " must not be shorter than " + t.minLength() + " bytes (UTF-8)");
        // A grapheme has at least one UTF-16 char, so short strings skip the count.
        if (t.maxGraphemes() != null && s.length() > t.maxGraphemes() && Graphemes.count(s) > t.maxGraphemes())
            errors.add(path + " must not be longer than " + t.maxGraphemes() + " graphemes");
        if (t.minGraphemes() != null && (s.length() < t.minGraphemes() || Graphemes.count(s) < t.minGraphemes()))
            errors.add(path + " must not be shorter than " + t.minGraphemes() + " graphemes");
        if (t.format() != null && !t.format().isValid(s)) errors.add(path + " must be a valid " + t.format().wireName());
    }

    private void bytes(LexBytes t, JsonNode v, String path) {
        var decoded = decodeBytes(v);
        if (decoded == null) {
            errors.add(path + " must be bytes ({\"$bytes\": \"<base64>\"})");
            return;
        }
        if (t.minLength() != null && decoded.length < t.minLength())
            errors.add(path + " must not be smaller than " + t.minLength() + " bytes");
        if (t.maxLength() != null && decoded.length > t.maxLength())
            errors.add(path + " must not be larger than " + t.maxLength() + " bytes");
    }

    private void blob(LexBlob t, JsonNode v, String path) {
        if (!isBlob(v)) {
            errors.add(path + " must be a blob ({\"$type\": \"blob\", \"ref\": {\"$link\": ...}, \"mimeType\": ..., \"size\": ...})");
            return;
        }
        var mime = v.get("mimeType").asText();
        long size = v.get("size").asLong();
        if (t.accept() != null && !MimeTypes.matchesAny(t.accept(), mime))
            errors.add(path + " has MIME type " + mime + ", which is not accepted (" + String.join(", ", t.accept()) + ")");
        if (t.maxSize() != null && size > t.maxSize())
            errors.add(path + " is too large: " + size + " bytes, at most " + t.maxSize() + " allowed");
    }

    private void array(LexArray t, JsonNode v, String path) {
        if (!v.isArray()) {
            errors.add(path + " must be an array");
            return;
        }
        if (t.minLength() != null && v.size() < t.minLength())
            errors.add(path + " must not have fewer than " + t.minLength() + " elements");
        if (t.maxLength() != null && v.size() > t.maxLength())
            errors.add(path + " must not have more than " + t.maxLength() + " elements");
        for (int i = 0; i < v.size(); i++) validate(t.items(), v.get(i), path + "/" + i);
    }

    private void object(LexObject t, JsonNode v, String path) {
        if (!isPlainObject(v)) {
            errors.add(path + " must be an object");
            return;
        }
        for (var key : t.required()) {
            if (!v.has(key)) errors.add(path + " must have the property \"" + key + "\"");
        }
        for (var e : v.properties()) {
            var key = e.getKey();
            var value = e.getValue();
            var propType = t.properties().get(key);
            var here = path + "/" + key;
            if (propType == null) {
                if (key.equals("$type") && !isTypeName(value)) errors.add(here + " must be a non-empty string");
                else dataModel(value, here); // undeclared fields are allowed but must still be atproto data
            } else if (value.isNull() && t.nullable().contains(key)) {
                // explicitly nullable
            } else {
                validate(propType, value, here);
            }
        }
    }

    private void ref(String ref, JsonNode v, String path) {
        var target = resolve.apply(ref);
        if (target.isEmpty()) {
            errors.add(path + ": lexicon definition " + ref + " not found");
            return;
        }
        validate(target.get(), v, path);
    }

    private void union(LexUnion t, JsonNode v, String path) {
        if (!isPlainObject(v) || !isTypeName(v.path("$type"))) {
            errors.add(path + " must be an object which includes the \"$type\" property");
            return;
        }
        var type = normalizeRef(v.get("$type").asText());
        if (t.refs().contains(type)) {
            ref(type, v, path);
        } else if (t.closed()) {
            errors.add(path + " $type must be one of " + String.join(", ", t.refs()));
        } else {
            dataModel(v, path); // open union: other types are accepted as opaque data
        }
    }

    private void unknown(JsonNode v, String path) {
        if (!isPlainObject(v)) {
            errors.add(path + " must be an object");
            return;
        }
        dataModel(v, path);
    }

    /** Checks schema-less data follows the atproto data model: integers only, well-formed links, bytes and $type. */
    private void dataModel(JsonNode v, String path) {
        if (++depth > MAX_DEPTH) {
            errors.add(path + " is nested too deeply");
            depth--;
            return;
        }
        try {
            if (v.isNumber()) {
                if (!v.isIntegralNumber() || !v.canConvertToLong()) errors.add(path + " must be an integer (floats are not allowed)");
            } else if (v.isArray()) {
                for (int i = 0; i < v.size(); i++) dataModel(v.get(i), path + "/" + i);
            } else if (v.isObject()) {
                if (v.has("$link") && !isLink(v)) errors.add(path + " is a malformed CID link");
                else if (v.has("$bytes") && decodeBytes(v) == null) errors.add(path + " is malformed bytes");
                else if (v.has("$type") && !isTypeName(v.get("$type"))) errors.add(path + "/$type must be a non-empty string");
                else if ("blob".equals(v.path("$type").asText(null)) && !isBlob(v)) errors.add(path + " is a malformed blob");
                else if (!isLink(v) && decodeBytes(v) == null) {
                    for (var e : v.properties()) dataModel(e.getValue(), path + "/" + e.getKey());
                }
            }
        } finally {
            depth--;
        }
    }

    /** A {@code $type} value as the data model allows it: a non-empty string (DAG-CBOR conversion refuses others). */
    static boolean isTypeName(JsonNode v) {
        return v.isTextual() && !v.textValue().isEmpty();
    }

    static String normalizeRef(String ref) {
        return ref.endsWith("#main") ? ref.substring(0, ref.length() - "#main".length()) : ref;
    }

    /**
     * A link must decode as a CID (not merely look like one, as the "cid" string format): a record is
     * stored as DAG-CBOR, where a link is the CID's bytes.
     */
    static boolean isLink(JsonNode v) {
        if (!v.isObject() || v.size() != 1 || !v.path("$link").isTextual()) return false;
        try {
            Cid.parse(v.get("$link").asText());
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static byte[] decodeBytes(JsonNode v) {
        if (!v.isObject() || v.size() != 1 || !v.path("$bytes").isTextual()) return null;
        try {
            return Base64.getDecoder().decode(v.get("$bytes").asText());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Exactly {@code $type}, {@code ref}, {@code mimeType} and {@code size}, as the data model's blob (no other keys). */
    static boolean isBlob(JsonNode v) {
        return v.isObject() && v.size() == 4 && "blob".equals(v.path("$type").asText(null)) && isLink(v.path("ref"))
                && v.path("mimeType").isTextual() && v.path("size").isIntegralNumber() && v.get("size").canConvertToLong()
                && v.get("size").asLong() >= 0;
    }

    /** An object in the data-model sense: not the JSON encoding of a link, bytes or a blob. */
    static boolean isPlainObject(JsonNode v) {
        return v.isObject() && !v.has("$link") && !v.has("$bytes") && !"blob".equals(v.path("$type").asText(null));
    }
}
