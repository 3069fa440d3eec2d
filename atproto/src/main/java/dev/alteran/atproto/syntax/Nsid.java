package dev.alteran.atproto.syntax;

import java.util.regex.Pattern;

/**
 * A Namespaced Identifier such as {@code app.bsky.feed.post}: a reversed domain authority plus a name.
 */
public record Nsid(String value) {
    public static final int MAX_LENGTH = 317;
    private static final Pattern SYNTAX = Pattern.compile(
            "[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
                    + "(\\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+"
                    + "\\.[a-zA-Z][a-zA-Z0-9]{0,62}");

    public Nsid {
        var reason = problem(value);
        if (reason != null) throw InvalidSyntaxException.of("NSID", value, reason);
    }

    public static boolean isValid(String s) {
        return problem(s) == null;
    }

    public static Nsid parse(String s) {
        return new Nsid(s);
    }

    private static String problem(String s) {
        if (s == null) return "null";
        if (s.length() > MAX_LENGTH) return "longer than " + MAX_LENGTH + " characters";
        if (!SYNTAX.matcher(s).matches())
            return "expected at least three dot-separated segments: domain labels (first starting with a letter) "
                    + "and a final name of letters and digits starting with a letter";
        return null;
    }

    /** The authority as a domain name, e.g. {@code feed.bsky.app} for {@code app.bsky.feed.post}. */
    public String authority() {
        var parts = value.substring(0, value.lastIndexOf('.')).split("\\.");
        var sb = new StringBuilder(value.length());
        for (int i = parts.length - 1; i >= 0; i--) {
            sb.append(parts[i]);
            if (i > 0) sb.append('.');
        }
        return sb.toString();
    }

    /** The final segment, e.g. {@code post}. */
    public String name() {
        return value.substring(value.lastIndexOf('.') + 1);
    }

    @Override
    public String toString() {
        return value;
    }
}
