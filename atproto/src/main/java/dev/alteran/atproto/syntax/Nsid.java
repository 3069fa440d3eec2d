package dev.alteran.atproto.syntax;

/**
 * A Namespaced Identifier such as {@code app.bsky.feed.post}: a reversed domain authority plus a name.
 */
public record Nsid(String value) {
    public static final int MAX_LENGTH = 317;

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
        if (!syntaxOk(s))
            return "expected at least three dot-separated segments: domain labels (first starting with a letter) "
                    + "and a final name of letters and digits starting with a letter";
        return null;
    }

    /**
     * Three or more dot-separated segments of 1-63 characters: domain labels of letters, digits and
     * inner hyphens (the first starting with a letter), then a name of letters and digits starting
     * with a letter. By hand: NSIDs are checked on most requests.
     */
    private static boolean syntaxOk(String s) {
        int n = s.length(), segments = 0, start = 0;
        for (int i = 0; i <= n; i++) {
            if (i < n && s.charAt(i) != '.') continue;
            int len = i - start;
            if (len < 1 || len > 63) return false;
            boolean name = i == n;
            char first = s.charAt(start);
            if ((segments == 0 || name) ? !isLetter(first) : !isLetterOrDigit(first)) return false;
            if (s.charAt(i - 1) == '-') return false;
            for (int j = start + 1; j < i; j++) {
                char c = s.charAt(j);
                if (!isLetterOrDigit(c) && (name || c != '-')) return false;
            }
            segments++;
            start = i + 1;
        }
        return segments >= 3;
    }

    private static boolean isLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isLetterOrDigit(char c) {
        return isLetter(c) || (c >= '0' && c <= '9');
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
