package dev.alteran.pds.store;

/** A storage failure: unchecked so it crosses handler code; rendered as a bare 500. */
public final class StoreException extends RuntimeException {
    public StoreException(Throwable cause) {
        super(cause);
    }
}
