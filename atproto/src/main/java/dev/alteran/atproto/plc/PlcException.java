package dev.alteran.atproto.plc;

/** A did:plc operation or log that is malformed, breaks a rule of the method, or fails verification. */
public final class PlcException extends RuntimeException {
    public PlcException(String message) {
        super(message);
    }

    public PlcException(String message, Throwable cause) {
        super(message, cause);
    }
}
