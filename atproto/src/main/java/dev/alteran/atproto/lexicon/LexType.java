package dev.alteran.atproto.lexicon;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * A parsed Lexicon schema type. Field types describe data; primary types (record, query, procedure,
 * subscription, permission-set) may only be a document's {@code main} definition.
 * Optional constraints are null when absent. Refs are stored fully qualified ({@code nsid#name}, or
 * {@code nsid} for a main definition).
 */
public sealed interface LexType {

    /** The {@code type} name as written in schemas. */
    String typeName();

    record LexNull() implements LexType {
        public String typeName() { return "null"; }
    }

    record LexBoolean(Boolean defaultValue, Boolean constValue) implements LexType {
        public String typeName() { return "boolean"; }
    }

    record LexInteger(Long minimum, Long maximum, List<Long> enumValues, Long defaultValue, Long constValue)
            implements LexType {
        public String typeName() { return "integer"; }
    }

    /** {@code minLength}/{@code maxLength} count UTF-8 bytes; the grapheme limits count user-perceived characters. */
    record LexString(StringFormat format, Integer minLength, Integer maxLength, Integer minGraphemes,
                     Integer maxGraphemes, List<String> enumValues, String constValue, String defaultValue,
                     List<String> knownValues) implements LexType {
        public String typeName() { return "string"; }

        /**
         * The length of {@code s} in UTF-8, what a Lexicon's {@code maxLength} and {@code minLength} count,
         * without encoding it; as {@code getBytes(UTF_8).length} counts it (a lone surrogate, which DAG-CBOR
         * refuses anyway, is one byte, '?').
         */
        public static int utf8Length(String s) {
            int n = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c < 0x80) n++;
                else if (c < 0x800) n += 2;
                else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    n += 4;
                    i++;
                } else if (Character.isSurrogate(c)) n++;
                else n += 3;
            }
            return n;
        }
    }

    record LexBytes(Integer minLength, Integer maxLength) implements LexType {
        public String typeName() { return "bytes"; }
    }

    record LexCidLink() implements LexType {
        public String typeName() { return "cid-link"; }
    }

    /** {@code accept} holds MIME patterns such as {@code image/*} or {@code *}{@code /*}; null accepts anything. */
    record LexBlob(List<String> accept, Long maxSize) implements LexType {
        public String typeName() { return "blob"; }
    }

    record LexArray(LexType items, Integer minLength, Integer maxLength) implements LexType {
        public String typeName() { return "array"; }
    }

    record LexObject(Map<String, LexType> properties, List<String> required, List<String> nullable)
            implements LexType {
        public String typeName() { return "object"; }
    }

    /** XRPC query parameters: only boolean, integer, string, unknown and arrays of those. */
    record LexParams(Map<String, LexType> properties, List<String> required) implements LexType {
        public String typeName() { return "params"; }
    }

    /** A named constant; its value in data is its fully qualified name. */
    record LexToken(String fullName) implements LexType {
        public String typeName() { return "token"; }
    }

    record LexRef(String ref) implements LexType {
        public String typeName() { return "ref"; }
    }

    record LexUnion(List<String> refs, boolean closed) implements LexType {
        public String typeName() { return "union"; }
    }

    /** Any data-model object (not bytes, link or blob). */
    record LexUnknown() implements LexType {
        public String typeName() { return "unknown"; }
    }

    /** {@code key} is the record-key type: {@code tid}, {@code nsid}, {@code any} or {@code literal:<value>}. */
    record LexRecord(String key, LexObject record) implements LexType {
        public String typeName() { return "record"; }
    }

    /** An XRPC request or response body; {@code schema} (object, ref or union) is null for non-JSON bodies. */
    record LexBody(String encoding, LexType schema) {}

    record LexError(String name, String description) {}

    record LexQuery(LexParams parameters, LexBody output, List<LexError> errors) implements LexType {
        public String typeName() { return "query"; }
    }

    record LexProcedure(LexParams parameters, LexBody input, LexBody output, List<LexError> errors)
            implements LexType {
        public String typeName() { return "procedure"; }
    }

    record LexSubscription(LexParams parameters, LexUnion message, List<LexError> errors) implements LexType {
        public String typeName() { return "subscription"; }
    }

    /** One permission of a permission set; its attributes depend on {@code resource} and are kept as JSON. */
    record LexPermission(String resource, Map<String, JsonNode> attributes) implements LexType {
        public String typeName() { return "permission"; }
    }

    record LexPermissionSet(String title, String detail, List<LexPermission> permissions) implements LexType {
        public String typeName() { return "permission-set"; }
    }
}
