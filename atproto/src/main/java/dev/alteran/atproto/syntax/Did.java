package dev.alteran.atproto.syntax;

/**
 * A DID in the general syntax atproto accepts: {@code did:<method>:<identifier>}.
 * Method-specific rules (did:plc, did:web) are not checked here.
 */
public record Did(String value) implements AtIdentifier, Comparable<Did> {
    /** Spec: "DIDs are limited to 2 KB". */
    public static final int MAX_LENGTH = 2048;

    public Did {
        var reason = problem(value);
        if (reason != null) throw InvalidSyntaxException.of("DID", value, reason);
    }

    public static boolean isValid(String s) {
        return problem(s) == null;
    }

    public static Did parse(String s) {
        return new Did(s);
    }

    private static String problem(String s) {
        if (s == null) return "null";
        if (s.length() > MAX_LENGTH) return "longer than " + MAX_LENGTH + " characters";
        if (!s.startsWith("did:")) return "must start with \"did:\"";
        if (!syntaxOk(s))
            return "expected did:<lowercase method>:<identifier of letters, digits, . _ : % -> not ending in : or %";
        return null;
    }

    /**
     * {@code did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]} by hand: DIDs are checked on most requests,
     * and a regular expression costs several times more.
     */
    private static boolean syntaxOk(String s) {
        int n = s.length(), i = 4;
        while (i < n && s.charAt(i) >= 'a' && s.charAt(i) <= 'z') i++;
        if (i == 4 || i >= n - 1 || s.charAt(i) != ':') return false;
        for (i++; i < n; i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == ':' || c == '%' || c == '-';
            if (!ok) return false;
        }
        char last = s.charAt(n - 1);
        return last != ':' && last != '%';
    }

    /** The method name, e.g. {@code plc} or {@code web}. */
    public String method() {
        return value.substring(4, value.indexOf(':', 4));
    }

    /** Everything after the method, e.g. the PLC identifier or the (percent-encoded) web host. */
    public String identifier() {
        return value.substring(value.indexOf(':', 4) + 1);
    }

    public boolean isPlc() {
        return value.startsWith("did:plc:");
    }

    public boolean isWeb() {
        return value.startsWith("did:web:");
    }

    @Override
    public int compareTo(Did o) {
        return value.compareTo(o.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
