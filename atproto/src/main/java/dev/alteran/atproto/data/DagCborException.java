package dev.alteran.atproto.data;

/** A value or byte sequence that is not strict, canonical DAG-CBOR of the atproto data model. */
public final class DagCborException extends RuntimeException {
  public DagCborException(String message) {
    super(message);
  }

  public DagCborException(String message, Throwable cause) {
    super(message, cause);
  }
}
