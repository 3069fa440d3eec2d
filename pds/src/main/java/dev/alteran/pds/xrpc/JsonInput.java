package dev.alteran.pds.xrpc;

import dev.alteran.pds.wire.XrpcException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.syntax.AtIdentifier;
import dev.alteran.atproto.syntax.Nsid;
import dev.alteran.atproto.syntax.RecordKey;

/**
 * Typed, checked access to the fields of a JSON input object, following its Lexicon: a missing
 * required field, a wrong JSON type or a malformed format is a 400 InvalidRequest naming the path
 * ({@code Input/collection must be a valid nsid}). Absent optional fields read as null.
 */
public final class JsonInput {
    private final JsonNode node;
    private final String path;

    public JsonInput(JsonNode node, String path) {
        if (node == null || !node.isObject()) throw XrpcException.invalidRequest(path + " must be an object");
        this.node = node;
        this.path = path;
    }

    public static JsonInput of(JsonNode body) {
        return new JsonInput(body, "Input");
    }

    public String path() {
        return path;
    }

    public boolean has(String name) {
        return node.has(name);
    }

    /** Present with an explicit JSON null (for the lexicon's nullable fields). */
    public boolean isNull(String name) {
        return node.has(name) && node.get(name).isNull();
    }

    public JsonNode node(String name, boolean required) {
        var v = node.get(name);
        if (v == null) {
            if (required) throw XrpcException.invalidRequest(path + " must have the property \"" + name + "\"");
            return null;
        }
        return v;
    }

    public String string(String name, boolean required) {
        var v = node(name, required);
        if (v == null) return null;
        if (!v.isTextual()) throw invalid(name, "must be a string");
        if (v.textValue().indexOf('\0') >= 0) throw invalid(name, "must not contain a NUL character"); // see XrpcParams
        return v.textValue();
    }

    public String nsid(String name, boolean required) {
        var s = string(name, required);
        if (s != null && !Nsid.isValid(s)) throw invalid(name, "must be a valid nsid");
        return s;
    }

    public String atIdentifier(String name, boolean required) {
        var s = string(name, required);
        if (s != null && !AtIdentifier.isValid(s)) throw invalid(name, "must be a valid did or a handle");
        return s;
    }

    public String recordKey(String name, boolean required) {
        var s = string(name, required);
        if (s != null && !RecordKey.isValid(s)) throw invalid(name, "must be a valid Record Key");
        return s;
    }

    public Cid cid(String name) {
        var s = string(name, false);
        if (s == null) return null;
        try {
            return Cid.parse(s);
        } catch (IllegalArgumentException e) {
            throw invalid(name, "must be a cid string");
        }
    }

    public Boolean bool(String name) {
        var v = node(name, false);
        if (v == null) return null;
        if (!v.isBoolean()) throw invalid(name, "must be a boolean");
        return v.booleanValue();
    }

    /** A field of Lexicon type {@code unknown}: any object. */
    public JsonNode object(String name, boolean required) {
        var v = node(name, required);
        if (v != null && !v.isObject()) throw invalid(name, "must be an object");
        return v;
    }

    public JsonNode array(String name, boolean required) {
        var v = node(name, required);
        if (v != null && !v.isArray()) throw invalid(name, "must be an array");
        return v;
    }

    public String path(String name) {
        return path + "/" + name;
    }

    private XrpcException invalid(String name, String what) {
        return XrpcException.invalidRequest(path(name) + " " + what);
    }
}
