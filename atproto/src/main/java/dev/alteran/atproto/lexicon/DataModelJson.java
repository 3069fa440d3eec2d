package dev.alteran.atproto.lexicon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** Converts data-model values (Map, List, String, Long, Boolean, null, byte[], CID) to the atproto JSON form. */
final class DataModelJson {
    /**
     * CID links are recognised by class name so this package does not depend on the data-model package;
     * their {@code toString()} must be the CID's string form.
     */
    private static final String CID_CLASS = "dev.alteran.atproto.data.Cid";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private DataModelJson() {}

    static JsonNode toJson(Object value) {
        return switch (value) {
            case null -> NODES.nullNode();
            case String s -> NODES.textNode(s);
            case Boolean b -> NODES.booleanNode(b);
            case Long n -> NODES.numberNode(n);
            case Integer n -> NODES.numberNode(n.longValue());
            case Short n -> NODES.numberNode(n.longValue());
            case Byte n -> NODES.numberNode(n.longValue());
            case BigInteger n -> NODES.numberNode(n);
            // Floats are not in the data model; kept as floats so validation reports them.
            case Double n -> NODES.numberNode(n);
            case Float n -> NODES.numberNode(n);
            case BigDecimal n -> NODES.numberNode(n);
            case byte[] bytes -> NODES.objectNode()
                    .put("$bytes", Base64.getEncoder().withoutPadding().encodeToString(bytes));
            case List<?> list -> {
                ArrayNode out = NODES.arrayNode(list.size());
                for (var item : list) out.add(toJson(item));
                yield out;
            }
            case Map<?, ?> map -> {
                ObjectNode out = NODES.objectNode();
                for (var e : map.entrySet()) {
                    if (!(e.getKey() instanceof String key))
                        throw new IllegalArgumentException("data-model map keys must be strings: " + e.getKey());
                    out.set(key, toJson(e.getValue()));
                }
                yield out;
            }
            default -> {
                if (value.getClass().getName().equals(CID_CLASS)) yield NODES.objectNode().put("$link", value.toString());
                throw new IllegalArgumentException("not a data-model value: " + value.getClass().getName());
            }
        };
    }
}
