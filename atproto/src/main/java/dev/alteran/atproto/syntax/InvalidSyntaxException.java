package dev.alteran.atproto.syntax;

/** Thrown when a string does not follow the atproto syntax it was parsed as. */
public final class InvalidSyntaxException extends IllegalArgumentException {
    public InvalidSyntaxException(String message) {
        super(message);
    }

    static InvalidSyntaxException of(String kind, String input, String reason) {
        return new InvalidSyntaxException("Invalid " + kind + " " + quote(input) + ": " + reason);
    }

    /** Quotes the offending input, truncated so huge inputs do not flood logs. */
    static String quote(String input) {
        if (input == null) return "null";
        return input.length() > 120 ? '"' + input.substring(0, 120) + "…\"" : '"' + input + '"';
    }
}
