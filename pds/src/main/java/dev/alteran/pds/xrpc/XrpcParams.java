package dev.alteran.pds.xrpc;

import dev.alteran.pds.wire.XrpcException;
import dev.alteran.atproto.lexicon.LexType;
import dev.alteran.atproto.lexicon.LexType.LexArray;
import dev.alteran.atproto.lexicon.LexType.LexBoolean;
import dev.alteran.atproto.lexicon.LexType.LexInteger;
import dev.alteran.atproto.lexicon.LexType.LexParams;
import dev.alteran.atproto.lexicon.LexType.LexProcedure;
import dev.alteran.atproto.lexicon.LexType.LexQuery;
import dev.alteran.atproto.lexicon.LexType.LexString;
import dev.alteran.atproto.lexicon.Lexicons;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Checks a request's query parameters against its method's Lexicon before the handler runs, as the
 * reference XRPC server does: required parameters, integer and boolean syntax and bounds, string
 * formats and lengths, enums. One place for every route, so a handler that only forwards its
 * parameters (to the AppView, say) cannot pass a malformed DID or NSID on. Parameters the Lexicon
 * does not name are left alone. Errors are 400 InvalidRequest in the reference's wording.
 */
public final class XrpcParams {
    private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,19}");
    private final Lexicons lexicons;
    /** Each method's parameters once found: every call is checked, and a Lexicon, once loaded, is never replaced. */
    private final ConcurrentHashMap<String, LexParams> byNsid = new ConcurrentHashMap<>();

    public XrpcParams(Lexicons lexicons) {
        this.lexicons = lexicons;
    }

    /** Checks {@code query} (name to values, empty values already meaning absent) for method {@code nsid}. */
    public void check(String nsid, Map<String, List<String>> query) {
        var params = byNsid.get(nsid);
        if (params == null) {
            params = switch (lexicons.getDef(nsid).orElse(null)) {
                case LexQuery q -> q.parameters();
                case LexProcedure p -> p.parameters();
                case null, default -> null;
            };
            if (params == null) return;
            byNsid.put(nsid, params);
        }
        check(params, query);
    }

    static void check(LexParams params, Map<String, List<String>> query) {
        for (var name : params.required()) {
            if (values(query, name).isEmpty()) throw invalid("Params must have the property \"" + name + "\"");
        }
        for (var e : params.properties().entrySet()) {
            var name = e.getKey();
            var values = values(query, name);
            if (values.isEmpty()) continue;
            if (e.getValue() instanceof LexArray array) {
                if (array.maxLength() != null && values.size() > array.maxLength()) {
                    throw invalid(name + " must not have more than " + array.maxLength() + " elements");
                }
                for (var v : values) checkValue(name, array.items(), v);
            } else {
                if (values.size() > 1) throw XrpcException.invalidRequest("Parameter '" + name + "' given more than once");
                checkValue(name, e.getValue(), values.get(0));
            }
        }
    }

    /** The values given for {@code name}; an empty value counts as absent, as {@link XrpcCall#param} reads it. */
    private static List<String> values(Map<String, List<String>> query, String name) {
        var all = query.get(name);
        if (all == null) return List.of();
        for (var v : all) {
            if (v.isEmpty()) return all.stream().filter(x -> !x.isEmpty()).toList();
        }
        return all; // the usual case, without a copy: every request checks each of its parameters
    }

    private static void checkValue(String name, LexType type, String value) {
        switch (type) {
            case LexInteger t -> {
                if (!INTEGER.matcher(value).matches()) throw invalid(name + " must be an integer");
                long n;
                try {
                    n = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw invalid(name + " must be an integer");
                }
                if (t.minimum() != null && n < t.minimum()) throw invalid(name + " can not be less than " + t.minimum());
                if (t.maximum() != null && n > t.maximum()) throw invalid(name + " can not be greater than " + t.maximum());
                if (t.enumValues() != null && !t.enumValues().contains(n)) throw invalid(name + " must be one of " + t.enumValues());
            }
            case LexBoolean t -> {
                switch (value.toLowerCase(Locale.ROOT)) {
                    case "true", "false", "1", "0" -> { }
                    default -> throw invalid(name + " must be a boolean");
                }
            }
            case LexString t -> {
                // No text anyone means holds a NUL, and PostgreSQL refuses it in a text value: a 400 here, not a 500 there.
                if (value.indexOf('\0') >= 0) throw invalid(name + " must not contain a NUL character");
                if (t.format() != null && !t.format().isValid(value)) throw invalid(name + " must be a valid " + t.format().wireName());
                if (t.maxLength() != null || t.minLength() != null) {
                    int bytes = LexString.utf8Length(value);
                    if (t.maxLength() != null && bytes > t.maxLength()) throw invalid(name + " must not be longer than " + t.maxLength() + " characters");
                    if (t.minLength() != null && bytes < t.minLength()) throw invalid(name + " must not be shorter than " + t.minLength() + " characters");
                }
                if (t.enumValues() != null && !t.enumValues().contains(value)) throw invalid(name + " must be one of " + t.enumValues());
            }
            default -> { } // unknown: anything the query string can carry
        }
    }

    private static XrpcException invalid(String message) {
        return XrpcException.invalidRequest("Error: " + message);
    }
}
