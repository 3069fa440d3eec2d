package dev.alteran.atproto.syntax;

import java.util.regex.Pattern;

/**
 * A DID in the general syntax atproto accepts: {@code did:<method>:<identifier>}.
 * Method-specific rules (did:plc, did:web) are not checked here.
 */
public record Did(String value) implements AtIdentifier, Comparable<Did> {
    /** Spec: "DIDs are limited to 2 KB". */
    public static final int MAX_LENGTH = 2048;
    private static final Pattern SYNTAX = Pattern.compile("did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]");

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
        if (!SYNTAX.matcher(s).matches())
            return "expected did:<lowercase method>:<identifier of letters, digits, . _ : % -> not ending in : or %";
        return null;
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
