package dev.alteran.atproto.repo;

/** A repository structure that is invalid, inconsistent or fails verification. */
public class RepoException extends RuntimeException {
    public RepoException(String message) {
        super(message);
    }

    public RepoException(String message, Throwable cause) {
        super(message, cause);
    }
}
