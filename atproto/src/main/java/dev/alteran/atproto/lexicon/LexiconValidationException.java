package dev.alteran.atproto.lexicon;

import java.util.List;

/** Data does not match its Lexicon; the message is the first error (with its path). */
public final class LexiconValidationException extends IllegalArgumentException {
    private final List<String> errors;

    public LexiconValidationException(List<String> errors) {
        super(errors.isEmpty() ? "Invalid data" : errors.getFirst());
        this.errors = List.copyOf(errors);
    }

    public List<String> errors() {
        return errors;
    }
}
