package dev.alteran.atproto.syntax;

/** A record key: 1-512 chars of {@code A-Za-z0-9 . - _ : ~}, not {@code .} or {@code ..}. */
public record RecordKey(String value) {
    public static final int MAX_LENGTH = 512;

    public RecordKey {
        var reason = problem(value);
        if (reason != null) throw InvalidSyntaxException.of("record key", value, reason);
    }

    public static boolean isValid(String s) {
        return problem(s) == null;
    }

    public static RecordKey parse(String s) {
        return new RecordKey(s);
    }

    private static String problem(String s) {
        if (s == null) return "null";
        if (s.isEmpty()) return "empty";
        if (s.length() > MAX_LENGTH) return "longer than " + MAX_LENGTH + " characters";
        if (s.equals(".") || s.equals("..")) return "\".\" and \"..\" are not allowed";
        for (int i = 0; i < s.length(); i++) {
            if (!isKeyChar(s.charAt(i))) return "character at index " + i + " is not one of A-Z a-z 0-9 . - _ : ~";
        }
        return null;
    }

    private static boolean isKeyChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '-' || c == '_' || c == ':' || c == '~';
    }

    @Override
    public String toString() {
        return value;
    }
}
