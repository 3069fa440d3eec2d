package dev.alteran.atproto.lexicon;

/** A Lexicon schema document is malformed or breaks the Lexicon language rules. */
public final class LexiconException extends IllegalArgumentException {
    public LexiconException(String message) {
        super(message);
    }

    public LexiconException(String message, Throwable cause) {
        super(message, cause);
    }
}
