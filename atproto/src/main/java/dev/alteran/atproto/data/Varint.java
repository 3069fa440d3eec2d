package dev.alteran.atproto.data;

/**
 * Unsigned LEB128 varints as used by multiformats (CIDs, multihash) and CAR framing.
 * Decoding is strict: at most 9 bytes (63 bits) and minimal encoding only.
 */
public final class Varint {
  /** Longest varint accepted: 9 bytes carry 63 bits, the multiformats limit. */
  public static final int MAX_BYTES = 9;

  private Varint() {}

  /** Number of bytes needed to encode {@code value} (must be non-negative). */
  public static int size(long value) {
    if (value < 0) throw new IllegalArgumentException("negative varint");
    int n = 1;
    while ((value >>>= 7) != 0) n++;
    return n;
  }

  /** Writes {@code value} at {@code off}; returns the offset after it. */
  public static int write(long value, byte[] dst, int off) {
    if (value < 0) throw new IllegalArgumentException("negative varint");
    while ((value & ~0x7FL) != 0) {
      dst[off++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    dst[off++] = (byte) value;
    return off;
  }

  public static byte[] encode(long value) {
    var out = new byte[size(value)];
    write(value, out, 0);
    return out;
  }

  /**
   * Reads a varint at {@code off} in {@code buf[0..limit)}. Because only minimal encodings are
   * accepted, the number of bytes consumed is {@link #size}{@code (value)}.
   *
   * @throws IllegalArgumentException on truncation, overflow or non-minimal encoding
   */
  public static long read(byte[] buf, int off, int limit) {
    long value = 0;
    for (int i = 0; i < MAX_BYTES; i++) {
      if (off + i >= limit) throw new IllegalArgumentException("truncated varint");
      int b = buf[off + i] & 0xFF;
      value |= (long) (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0) throw new IllegalArgumentException("non-minimal varint");
        return value;
      }
    }
    throw new IllegalArgumentException("varint too long");
  }
}
