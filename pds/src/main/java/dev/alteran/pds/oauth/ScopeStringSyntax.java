package dev.alteran.pds.oauth;

import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A scope string taken apart: {@code prefix[:positional][?name=value&...]}. Decoding and encoding
 * follow what {@code @atproto/oauth-scopes} gets from JavaScript: the positional part is
 * {@code decodeURIComponent}-decoded (malformed escapes make the scope unreadable), the query is read
 * as {@code application/x-www-form-urlencoded} (lenient, {@code +} is a space), and formatting leaves
 * {@code : / + , @ %} unescaped so that scopes stay readable.
 */
record ScopeStringSyntax(String prefix, String positional, List<Map.Entry<String, String>> params) implements ScopeSyntax {
    ScopeStringSyntax {
        params = params == null ? List.of() : List.copyOf(params);
    }

    /** True if {@code value} is {@code prefix} itself or starts with {@code prefix:} or {@code prefix?}. */
    static boolean isFor(String value, String prefix) {
        if (value.length() > prefix.length()) {
            char next = value.charAt(prefix.length());
            return (next == ':' || next == '?') && value.startsWith(prefix);
        }
        return value.equals(prefix);
    }

    /** The parts of {@code scope}, or null when its positional part has a malformed escape. */
    static ScopeStringSyntax parse(String scope) {
        int query = scope.indexOf('?');
        int colon = scope.indexOf(':');
        int end = query == -1 ? colon : colon == -1 ? query : Math.min(query, colon);
        if (end == -1) return new ScopeStringSyntax(scope, null, null);
        String positional = null;
        if (colon != -1 && (query == -1 || colon < query)) {
            positional = decodeComponent(scope.substring(colon + 1, query == -1 ? scope.length() : query));
            if (positional == null) return null;
        }
        List<Map.Entry<String, String>> params = null;
        if (query != -1 && query < scope.length() - 1) params = parseQuery(scope.substring(query + 1));
        return new ScopeStringSyntax(scope.substring(0, end), positional, params);
    }

    @Override
    public Collection<String> keys() {
        return params.stream().map(Map.Entry::getKey).toList();
    }

    @Override
    public boolean has(String key) {
        return params.stream().anyMatch(e -> e.getKey().equals(key));
    }

    @Override
    public Optional<Object> single(String key) {
        var all = all(key);
        return all.size() == 1 ? Optional.of(all.get(0)) : Optional.empty();
    }

    @Override
    public Optional<List<Object>> multi(String key) {
        return Optional.of(all(key));
    }

    private List<Object> all(String key) {
        var out = new ArrayList<Object>();
        for (var e : params) if (e.getKey().equals(key)) out.add(e.getValue());
        return out;
    }

    @Override
    public String toString() {
        var sb = new StringBuilder(prefix);
        if (positional != null) sb.append(':').append(unescapeAllowed(encodeComponent(positional)));
        if (!params.isEmpty()) {
            var query = new StringBuilder();
            for (var e : params) {
                if (!query.isEmpty()) query.append('&');
                query.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            }
            sb.append('?').append(unescapeAllowed(query.toString()));
        }
        return sb.toString();
    }

    /** Form-urlencoded pairs as a browser's URLSearchParams reads them: empty pieces skipped, no '=' means an empty value. */
    static List<Map.Entry<String, String>> parseQuery(String query) {
        var out = new ArrayList<Map.Entry<String, String>>();
        for (var piece : query.split("&", -1)) {
            if (piece.isEmpty()) continue;
            int eq = piece.indexOf('=');
            var name = eq == -1 ? piece : piece.substring(0, eq);
            var value = eq == -1 ? "" : piece.substring(eq + 1);
            out.add(Map.entry(decodeForm(name), decodeForm(value)));
        }
        return out;
    }

    /** {@code +} is a space; a {@code %} not followed by two hex digits stays as it is; bad UTF-8 becomes U+FFFD. */
    private static String decodeForm(String s) {
        var bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                bytes.write(' ');
            } else if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
                bytes.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
                i += 2;
            } else {
                i = copyRun(s, i, bytes);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** JavaScript's decodeURIComponent: null where it would throw (a bad escape or bad UTF-8). */
    static String decodeComponent(String s) {
        if (s.indexOf('%') == -1) return s;
        var bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length() || hex(s.charAt(i + 1)) < 0 || hex(s.charAt(i + 2)) < 0) return null;
                bytes.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
                i += 2;
            } else {
                i = copyRun(s, i, bytes);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** JavaScript's encodeURIComponent: form encoding, but a space is %20 and {@code ! ~ ' ( )} stay. */
    static String encodeComponent(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%21", "!")
                .replace("%7E", "~").replace("%27", "'").replace("%28", "(").replace("%29", ")");
    }

    /** Turns the escapes of {@code : / + , @ %} back into the characters, which scopes keep readable. */
    private static String unescapeAllowed(String encoded) {
        var sb = new StringBuilder(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%' && i + 2 < encoded.length()) {
                char plain = switch (encoded.substring(i + 1, i + 3)) {
                    case "3A" -> ':';
                    case "2F" -> '/';
                    case "2B" -> '+';
                    case "2C" -> ',';
                    case "40" -> '@';
                    case "25" -> '%';
                    default -> 0;
                };
                if (plain != 0) {
                    sb.append(plain);
                    i += 2;
                    continue;
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** Writes the UTF-8 of the characters from {@code i} up to the next {@code %} or {@code +}; returns the last index written. */
    private static int copyRun(String s, int i, ByteArrayOutputStream bytes) {
        int end = i;
        while (end < s.length() && s.charAt(end) != '%' && s.charAt(end) != '+') end++;
        if (end == i) end = i + 1; // a lone '+' in a positional part is a plain character
        bytes.writeBytes(s.substring(i, end).getBytes(StandardCharsets.UTF_8));
        return end - 1;
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }
}
