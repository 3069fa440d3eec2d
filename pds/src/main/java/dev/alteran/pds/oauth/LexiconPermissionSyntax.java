package dev.alteran.pds.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A {@code permission} object of a Lexicon permission set read as a {@link ScopeSyntax}: its
 * {@code resource} is the prefix and its other fields (but {@code type}) the named parameters. A
 * field that should be a list must be a JSON array and a scalar must not be one; text values are
 * Strings, anything else stays a JsonNode, which no validator accepts.
 */
record LexiconPermissionSyntax(ObjectNode permission) implements ScopeSyntax {
    @Override
    public String prefix() {
        var resource = permission.get("resource");
        return resource != null && resource.isTextual() ? resource.textValue() : "";
    }

    @Override
    public String positional() {
        return null;
    }

    @Override
    public Collection<String> keys() {
        var out = new ArrayList<String>();
        permission.fieldNames().forEachRemaining(name -> {
            if (has(name)) out.add(name);
        });
        return out;
    }

    @Override
    public boolean has(String key) {
        return !key.equals("type") && !key.equals("resource") && permission.has(key);
    }

    @Override
    public Optional<Object> single(String key) {
        var node = permission.get(key);
        if (!has(key) || node.isArray()) return Optional.empty();
        return Optional.of(value(node));
    }

    @Override
    public Optional<List<Object>> multi(String key) {
        var node = permission.get(key);
        if (!has(key) || !node.isArray()) return Optional.empty();
        var out = new ArrayList<Object>();
        node.forEach(item -> out.add(value(item)));
        return Optional.of(out);
    }

    private static Object value(JsonNode node) {
        return node.isTextual() ? node.textValue() : node;
    }
}
