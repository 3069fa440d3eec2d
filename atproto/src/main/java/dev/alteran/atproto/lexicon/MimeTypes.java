package dev.alteran.atproto.lexicon;

import java.util.List;
import java.util.Locale;

/** Blob {@code accept} patterns: an exact {@code type/subtype}, {@code type/*}, or {@code *}{@code /*}. */
final class MimeTypes {
    private MimeTypes() {}

    static boolean isPattern(String p) {
        int slash = p.indexOf('/');
        return slash > 0 && slash < p.length() - 1 && p.indexOf('/', slash + 1) < 0 && p.indexOf(' ') < 0;
    }

    static boolean matchesAny(List<String> patterns, String mimeType) {
        for (var p : patterns) if (matches(p, mimeType)) return true;
        return false;
    }

    static boolean matches(String pattern, String mimeType) {
        var p = pattern.toLowerCase(Locale.ROOT);
        var m = mimeType.toLowerCase(Locale.ROOT);
        int semi = m.indexOf(';'); // parameters such as "; charset=utf-8" do not affect the type
        if (semi >= 0) m = m.substring(0, semi).trim();
        if (p.equals("*/*")) return m.indexOf('/') > 0;
        if (p.endsWith("/*")) return m.startsWith(p.substring(0, p.length() - 1)) && m.length() > p.length() - 1;
        return p.equals(m);
    }
}
