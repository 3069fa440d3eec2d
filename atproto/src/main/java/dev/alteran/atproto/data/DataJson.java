package dev.alteran.atproto.data;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The atproto data model in JSON: {@code {"$link": cid}} for CIDs, {@code {"$bytes": base64}} for
 * bytes (standard alphabet, no padding), blobs as {@code {"$type":"blob", "ref", "mimeType",
 * "size"}}. Integers only: a JSON number with a fractional part is rejected, an integral one such
 * as {@code 123.0} becomes a {@code Long}. Errors are {@link IllegalArgumentException}.
 */
public final class DataJson {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();

  private DataJson() {}

  // ---- JSON -> data model ----

  /** Parses JSON text whose top level must be an object. */
  public static Map<String, Object> fromJson(String json) {
    try {
      return fromJson(MAPPER.readTree(json));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** Converts a JSON tree whose top level must be an object (a data model node). */
  public static Map<String, Object> fromJson(JsonNode node) {
    if (node == null || !node.isObject()) throw new IllegalArgumentException("top level of data must be an object");
    if (object((ObjectNode) node, 0) instanceof Map<?, ?> m) return cast(m);
    throw new IllegalArgumentException("top level of data must be a plain object, not a $link or $bytes");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }

  /** Converts any JSON value (object, array or scalar) to its data model form. */
  public static Object fromJsonValue(JsonNode node) {
    return value(node, 0);
  }

  private static Object value(JsonNode node, int depth) {
    if (depth > DagCbor.MAX_DEPTH) throw new IllegalArgumentException("nesting too deep");
    return switch (node.getNodeType()) {
      case STRING -> string(node.textValue());
      case OBJECT -> object((ObjectNode) node, depth);
      case ARRAY -> {
        var list = new ArrayList<Object>(node.size());
        for (var item : node) list.add(value(item, depth + 1));
        yield list;
      }
      case NUMBER -> integer(node);
      case BOOLEAN -> node.booleanValue();
      case NULL -> null;
      default -> throw new IllegalArgumentException("unsupported JSON value: " + node.getNodeType());
    };
  }

  private static Object object(ObjectNode node, int depth) {
    if (node.has("$link")) {
      var link = node.get("$link");
      if (node.size() != 1 || !link.isTextual()) throw new IllegalArgumentException("invalid $link object");
      var cid = Cid.parse(link.textValue());
      if (cid.version() != 1) throw new IllegalArgumentException("$link must be a CIDv1");
      return cid;
    }
    if (node.has("$bytes")) {
      var bytes = node.get("$bytes");
      if (node.size() != 1 || !bytes.isTextual()) throw new IllegalArgumentException("invalid $bytes object");
      try {
        return Base64.getDecoder().decode(bytes.textValue());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("invalid $bytes base64", e);
      }
    }
    var type = node.get("$type");
    if (type != null) {
      if (!type.isTextual() || type.textValue().isEmpty()) throw new IllegalArgumentException("$type must be a non-empty string");
      if (type.textValue().equals("blob")) checkBlob(node);
    }
    var map = LinkedHashMap.<String, Object>newLinkedHashMap(node.size());
    for (var e : node.properties()) {
      map.put(string(e.getKey()), value(e.getValue(), depth + 1));
    }
    return map;
  }

  private static void checkBlob(ObjectNode node) {
    var ref = node.get("ref");
    var mime = node.get("mimeType");
    var size = node.get("size");
    if (node.size() != 4 || ref == null || !ref.isObject() || !ref.has("$link")
        || mime == null || !mime.isTextual() || size == null || !size.isIntegralNumber()) {
      throw new IllegalArgumentException("invalid blob: needs exactly ref ($link), mimeType (string), size (integer)");
    }
  }

  private static String string(String s) {
    try {
      DagCborWriter.utf8Length(s); // rejects unpaired surrogates, which DAG-CBOR cannot carry
    } catch (DagCborException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return s;
  }

  private static Long integer(JsonNode n) {
    if (n.canConvertToExactIntegral() && n.canConvertToLong()) return n.longValue();
    throw new IllegalArgumentException("numbers must be integers in the signed 64-bit range: " + n);
  }

  // ---- data model -> JSON ----

  public static JsonNode toJson(Object value) {
    return node(value, 0);
  }

  public static String toJsonString(Object value) {
    var out = new StringWriter();
    try (var gen = MAPPER.getFactory().createGenerator(out)) {
      writeJson(value, gen);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** Streams {@code value} as JSON without building a tree. */
  public static void writeJson(Object value, JsonGenerator gen) throws IOException {
    write(value, gen, 0);
  }

  /**
   * Streams a DAG-CBOR encoded value as JSON, as {@code writeJson(DagCbor.decode(cbor), gen)} would,
   * with the same checks, but without decoding it first: the read path of stored records.
   */
  public static void writeCborAsJson(byte[] cbor, JsonGenerator gen) throws IOException {
    new DagCborReader(cbor, 0, cbor.length).writeJsonTop(gen);
  }

  static String base64(byte[] b) {
    return B64.encodeToString(b);
  }

  private static JsonNode node(Object v, int depth) {
    if (depth > DagCbor.MAX_DEPTH) throw new IllegalArgumentException("nesting too deep");
    if (v instanceof String s) return NODES.textNode(s);
    if (v instanceof Map<?, ?> m) {
      ObjectNode o = NODES.objectNode();
      for (var e : m.entrySet()) o.set(key(e.getKey()), node(e.getValue(), depth + 1));
      return o;
    }
    if (v instanceof List<?> list) {
      ArrayNode a = NODES.arrayNode(list.size());
      for (var item : list) a.add(node(item, depth + 1));
      return a;
    }
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      long l = ((Number) v).longValue();
      return l == (int) l ? NODES.numberNode((int) l) : NODES.numberNode(l);
    }
    if (v instanceof Boolean b) return NODES.booleanNode(b);
    if (v == null) return NODES.nullNode();
    if (v instanceof Cid c) return NODES.objectNode().put("$link", c.toString());
    if (v instanceof byte[] b) return NODES.objectNode().put("$bytes", B64.encodeToString(b));
    throw new IllegalArgumentException("not an atproto data model value: " + v.getClass().getName());
  }

  private static void write(Object v, JsonGenerator g, int depth) throws IOException {
    if (depth > DagCbor.MAX_DEPTH) throw new IllegalArgumentException("nesting too deep");
    if (v instanceof String s) {
      g.writeString(s);
    } else if (v instanceof Map<?, ?> m) {
      g.writeStartObject();
      for (var e : m.entrySet()) {
        g.writeFieldName(key(e.getKey()));
        write(e.getValue(), g, depth + 1);
      }
      g.writeEndObject();
    } else if (v instanceof List<?> list) {
      g.writeStartArray();
      for (var item : list) write(item, g, depth + 1);
      g.writeEndArray();
    } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      g.writeNumber(((Number) v).longValue());
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v == null) {
      g.writeNull();
    } else if (v instanceof Cid c) {
      g.writeStartObject();
      g.writeStringField("$link", c.toString());
      g.writeEndObject();
    } else if (v instanceof byte[] b) {
      g.writeStartObject();
      g.writeStringField("$bytes", B64.encodeToString(b));
      g.writeEndObject();
    } else {
      throw new IllegalArgumentException("not an atproto data model value: " + v.getClass().getName());
    }
  }

  private static String key(Object k) {
    if (k instanceof String s) return s;
    throw new IllegalArgumentException("map keys must be strings");
  }
}
