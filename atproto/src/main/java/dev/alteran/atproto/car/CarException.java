package dev.alteran.atproto.car;

/** Malformed, truncated or unverifiable CAR data. */
public final class CarException extends RuntimeException {
  public CarException(String message) {
    super(message);
  }

  public CarException(String message, Throwable cause) {
    super(message, cause);
  }
}
