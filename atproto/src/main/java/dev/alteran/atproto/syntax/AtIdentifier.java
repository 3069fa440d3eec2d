package dev.alteran.atproto.syntax;

/** An account identifier in an AT-URI authority or an API parameter: either a DID or a handle. */
public sealed interface AtIdentifier permits Did, Handle {

    /** The identifier as written. */
    String value();

    static boolean isValid(String s) {
        return s != null && (s.startsWith("did:") ? Did.isValid(s) : Handle.isValid(s));
    }

    /** Parses a DID (anything starting with {@code did:}) or else a handle. */
    static AtIdentifier parse(String s) {
        if (s == null) throw new InvalidSyntaxException("Invalid at-identifier: null");
        if (s.startsWith("did:")) return Did.parse(s);
        if (!Handle.isValid(s)) throw InvalidSyntaxException.of("at-identifier", s, "neither a DID nor a handle");
        return new Handle(s);
    }

    default boolean isDid() {
        return this instanceof Did;
    }
}
