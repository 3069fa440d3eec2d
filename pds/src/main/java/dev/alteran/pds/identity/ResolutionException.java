package dev.alteran.pds.identity;

/**
 * A DID or handle could not be resolved for a reason other than "it does not exist": the upstream
 * server was unreachable, slow, or answered with an error of its own.
 */
public class ResolutionException extends RuntimeException {
    public ResolutionException(String message) {
        super(message);
    }

    public ResolutionException(String message, Throwable cause) {
        super(message, cause);
    }
}
