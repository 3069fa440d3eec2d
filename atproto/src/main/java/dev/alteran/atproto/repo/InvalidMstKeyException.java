package dev.alteran.atproto.repo;

/** A key that is not a valid {@code collection/rkey} MST key. */
public final class InvalidMstKeyException extends IllegalArgumentException {
    private final String key;

    public InvalidMstKeyException(String key) {
        super("not a valid MST key: " + (key.length() > 80 ? key.substring(0, 80) + "..." : key));
        this.key = key;
    }

    public String key() {
        return key;
    }
}
