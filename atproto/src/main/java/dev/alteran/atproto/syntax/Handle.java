package dev.alteran.atproto.syntax;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A handle: a DNS hostname of at least two labels whose last label (TLD) starts with a letter.
 * Case-insensitive; compare {@link #normalized()} forms.
 */
public record Handle(String value) implements AtIdentifier {
    public static final int MAX_LENGTH = 253;
    /** The placeholder handle the spec uses for accounts whose handle fails verification. */
    public static final String INVALID = "handle.invalid";
    /**
     * TLDs the spec says must not be used for real handles, although they are syntactically valid
     * (the syntax check accepts them; registration and resolution should refuse them).
     */
    public static final List<String> DISALLOWED_TLDS =
            List.of(".alt", ".arpa", ".example", ".internal", ".invalid", ".local", ".localhost", ".onion");

    private static final Pattern SYNTAX = Pattern.compile(
            "([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?");

    public Handle {
        var reason = problem(value);
        if (reason != null) throw InvalidSyntaxException.of("handle", value, reason);
    }

    public static boolean isValid(String s) {
        return problem(s) == null;
    }

    public static Handle parse(String s) {
        return new Handle(s);
    }

    private static String problem(String s) {
        if (s == null) return "null";
        if (s.length() > MAX_LENGTH) return "longer than " + MAX_LENGTH + " characters";
        if (!SYNTAX.matcher(s).matches())
            return "expected ASCII hostname labels (letters, digits, inner hyphens, 1-63 chars) "
                    + "with at least two labels and a TLD starting with a letter";
        return null;
    }

    /** Lower-cases a handle (handles are case-insensitive). Does not validate. */
    public static String normalize(String handle) {
        return handle.toLowerCase(Locale.ROOT);
    }

    public Handle normalized() {
        var lower = normalize(value);
        return lower.equals(value) ? this : new Handle(lower);
    }

    /** True if the handle ends in a TLD the spec reserves (e.g. {@code .local}, {@code .onion}). */
    public static boolean isDisallowedTld(String handle) {
        var lower = normalize(handle);
        for (var tld : DISALLOWED_TLDS) if (lower.endsWith(tld)) return true;
        return false;
    }

    public boolean isDisallowedTld() {
        return isDisallowedTld(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
