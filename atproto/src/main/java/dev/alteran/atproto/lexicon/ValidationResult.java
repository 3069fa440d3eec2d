package dev.alteran.atproto.lexicon;

import java.util.List;

/**
 * The outcome of validating data against a Lexicon.
 *
 * @param status VALID, INVALID (see {@code errors}), or UNKNOWN when no schema for the type is loaded
 *               (the PDS then stores the record unvalidated and reports {@code validationStatus: "unknown"})
 * @param errors messages naming the failing path, e.g. {@code Record/text must not be longer than 300 graphemes}
 */
public record ValidationResult(Status status, List<String> errors) {
    public enum Status { VALID, INVALID, UNKNOWN }

    private static final ValidationResult VALID = new ValidationResult(Status.VALID, List.of());

    public ValidationResult {
        errors = List.copyOf(errors);
    }

    public static ValidationResult valid() {
        return VALID;
    }

    public static ValidationResult unknown(String message) {
        return new ValidationResult(Status.UNKNOWN, List.of(message));
    }

    public static ValidationResult invalid(List<String> errors) {
        return new ValidationResult(Status.INVALID, errors);
    }

    public boolean isValid() {
        return status == Status.VALID;
    }

    public boolean isInvalid() {
        return status == Status.INVALID;
    }

    /** The first error, or null. */
    public String message() {
        return errors.isEmpty() ? null : errors.getFirst();
    }

    /** Throws {@link LexiconValidationException} with the errors unless the data is valid. */
    public void throwIfInvalid() {
        if (status == Status.INVALID) throw new LexiconValidationException(errors);
    }
}
