package dev.alteran.pds.oauth;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The parameter schema of one permission resource, and the two directions between a
 * {@link ScopeSyntax} and parameter values, with the rules of {@code @atproto/oauth-scopes}: unknown
 * parameters make the whole scope invalid, the positional form and the named form of the same
 * parameter may not be mixed, lists may not be empty, and formatting drops defaults, uses the
 * positional form for a single value and normalizes lists.
 */
final class ScopeParser {
    /**
     * One parameter. {@code fallback} is its value when absent (a String, a List of Strings or null);
     * {@code normalize} (lists only) gives the canonical list for formatting.
     */
    record Param(String name, boolean multiple, boolean required, Object fallback, Predicate<Object> valid,
                 UnaryOperator<List<String>> normalize) {
        static Param one(String name, boolean required, Predicate<Object> valid) {
            return new Param(name, false, required, null, valid, null);
        }

        static Param list(String name, boolean required, List<String> fallback, Predicate<Object> valid,
                          UnaryOperator<List<String>> normalize) {
            return new Param(name, true, required, fallback, valid, normalize);
        }
    }

    private final String prefix;
    private final List<Param> params;
    private final String positionalName;

    ScopeParser(String prefix, String positionalName, Param... params) {
        this.prefix = prefix;
        this.positionalName = positionalName;
        this.params = List.of(params);
    }

    String prefix() {
        return prefix;
    }

    /**
     * The values by parameter name (a String or an unmodifiable List of Strings, null for an absent
     * optional parameter without default), or null when {@code syntax} breaks a rule.
     */
    Map<String, Object> parse(ScopeSyntax syntax) {
        var names = new HashSet<String>();
        for (var p : params) names.add(p.name());
        for (var key : syntax.keys()) if (!names.contains(key)) return null;
        var result = new LinkedHashMap<String, Object>();
        for (var p : params) {
            boolean positional = p.name().equals(positionalName) && syntax.positional() != null;
            if (syntax.has(p.name())) {
                if (positional) return null; // both forms of one parameter
                if (p.multiple()) {
                    var values = syntax.multi(p.name()).orElse(null);
                    if (values == null || values.isEmpty() || !values.stream().allMatch(p.valid())) return null;
                    result.put(p.name(), values.stream().map(String.class::cast).toList());
                } else {
                    var value = syntax.single(p.name()).orElse(null);
                    if (value == null || !p.valid().test(value)) return null;
                    result.put(p.name(), value);
                }
            } else if (positional) {
                var value = syntax.positional();
                if (!p.valid().test(value)) return null;
                result.put(p.name(), p.multiple() ? List.of(value) : value);
            } else if (p.required()) {
                return null;
            } else {
                result.put(p.name(), p.fallback());
            }
        }
        return result;
    }

    /** The canonical scope string for {@code values} (same shapes as {@link #parse} gives). */
    String format(Map<String, Object> values) {
        var query = new ArrayList<Map.Entry<String, String>>();
        String positional = null;
        for (var p : params) {
            var value = values.get(p.name());
            if (value == null) continue;
            if (p.multiple() && p.normalize() != null) value = p.normalize().apply(strings(value));
            if (!p.required() && p.fallback() != null) {
                if (p.fallback().equals(value)) continue;
                if (p.multiple() && sameValues(strings(p.fallback()), strings(value))) continue;
            }
            if (value instanceof List<?> list) {
                if (p.name().equals(positionalName) && list.size() == 1) {
                    positional = (String) list.get(0);
                } else {
                    for (var v : new LinkedHashSet<>(strings(list))) query.add(Map.entry(p.name(), v));
                }
            } else if (p.name().equals(positionalName)) {
                positional = (String) value;
            } else {
                query.add(Map.entry(p.name(), (String) value));
            }
        }
        return new ScopeStringSyntax(prefix, positional, query).toString();
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object value) {
        return (List<String>) value;
    }

    /** Equal as sets: order and repeats do not matter. */
    private static boolean sameValues(List<String> a, List<String> b) {
        return new HashSet<>(a).equals(new HashSet<>(b));
    }

    /** A validator that accepts exactly these strings. */
    static Predicate<Object> oneOf(List<String> allowed) {
        return v -> v instanceof String s && allowed.contains(s);
    }
}
