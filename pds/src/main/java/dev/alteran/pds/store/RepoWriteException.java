package dev.alteran.pds.store;

/**
 * A write refused for a reason the client can fix; {@code error} is the XRPC error name
 * ({@code InvalidRequest}, {@code InvalidSwap}). Nothing was written.
 */
public final class RepoWriteException extends RuntimeException {
    private final String error;

    public RepoWriteException(String error, String message) {
        super(message, null, false, false);
        this.error = error;
    }

    public static RepoWriteException invalid(String message) {
        return new RepoWriteException("InvalidRequest", message);
    }

    public static RepoWriteException swap(String message) {
        return new RepoWriteException("InvalidSwap", message);
    }

    public String error() {
        return error;
    }
}
