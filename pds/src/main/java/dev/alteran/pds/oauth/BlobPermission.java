package dev.alteran.pds.oauth;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code blob:<accept>}: blob uploads whose MIME type matches one of the accept patterns
 * ({@code type/subtype}, {@code type/*} or {@code *}{@code /*}).
 */
public record BlobPermission(List<String> accept) implements Permission {
    private static final ScopeParser PARSER = new ScopeParser("blob", "accept",
            ScopeParser.Param.list("accept", true, null, BlobPermission::isAccept, BlobPermission::normalize));

    public BlobPermission {
        accept = List.copyOf(accept);
    }

    public static BlobPermission parse(String scope) {
        if (!ScopeStringSyntax.isFor(scope, "blob")) return null;
        var syntax = ScopeStringSyntax.parse(scope);
        return syntax == null ? null : from(syntax);
    }

    @SuppressWarnings("unchecked")
    static BlobPermission from(ScopeSyntax syntax) {
        var values = PARSER.parse(syntax);
        return values == null ? null : new BlobPermission((List<String>) values.get("accept"));
    }

    public boolean matches(String mime) {
        if (!isMime(mime)) return false;
        for (var a : accept) {
            if (a.equals("*/*") || (a.endsWith("/*") && mime.startsWith(a.substring(0, a.length() - 1))) || a.equals(mime)) return true;
        }
        return false;
    }

    public static String scopeNeededFor(String mime) {
        return PARSER.format(Map.of("accept", List.of(mime)));
    }

    @Override
    public String scope() {
        return PARSER.format(Map.of("accept", accept));
    }

    @Override
    public String toString() {
        return scope();
    }

    /** One slash with text on both sides, no space. */
    private static boolean slashed(String v) {
        int slash = v.indexOf('/');
        return slash > 0 && slash < v.length() - 1 && v.indexOf('/', slash + 1) == -1 && v.indexOf(' ') == -1;
    }

    /** A concrete MIME type: no wildcard. */
    static boolean isMime(String v) {
        return v != null && slashed(v) && v.indexOf('*') == -1;
    }

    /** A MIME type, {@code type/*} or {@code *}{@code /*}. */
    static boolean isAccept(Object value) {
        if (!(value instanceof String v)) return false;
        if (v.equals("*/*")) return true;
        return slashed(v) && (v.indexOf('*') == -1 || v.endsWith("/*"));
    }

    /** {@code *}{@code /*} alone if present; otherwise lower case, without types a {@code type/*} covers, sorted. */
    private static List<String> normalize(List<String> values) {
        if (values.contains("*/*")) return List.of("*/*");
        var lower = values.stream().map(v -> v.toLowerCase(Locale.ROOT)).toList();
        return lower.stream()
                .filter(v -> v.endsWith("/*") || v.indexOf('/') < 0 || !lower.contains(v.substring(0, v.indexOf('/')) + "/*"))
                .sorted().toList();
    }
}
