package dev.alteran.atproto.data;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Strict, canonical DAG-CBOR for the atproto data model.
 *
 * <p>Java types: {@code Map<String,Object>}, {@code List<Object>}, {@code String}, {@code Long}
 * (encode also takes Integer/Short/Byte), {@code Boolean}, {@code null}, {@code byte[]} and
 * {@link Cid} (tag 42). No floats, no indefinite lengths, no other tags or simple values. Map keys
 * are written in canonical order (shorter first, then bytewise); decoding returns a {@code
 * LinkedHashMap} in that order and rejects anything non-canonical.
 */
public final class DagCbor {
  /** Deepest nesting of maps and lists accepted; guards the stack against hostile input. */
  public static final int MAX_DEPTH = 512;

  private DagCbor() {}

  public static byte[] encode(Object value) {
    var w = new DagCborWriter();
    w.write(value);
    return w.toByteArray();
  }

  /** Encodes {@code value} and writes it to {@code out} in one call. */
  public static void encode(Object value, OutputStream out) {
    var w = new DagCborWriter();
    w.write(value);
    try {
      w.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The CID (v1, dag-cbor, sha2-256) of the encoding of {@code value}. */
  public static Cid cid(Object value) {
    var w = new DagCborWriter();
    w.write(value);
    return w.cid();
  }

  public static Object decode(byte[] bytes) {
    return decode(bytes, 0, bytes.length);
  }

  /** Decodes exactly one value occupying {@code bytes[off..off+len)}. */
  public static Object decode(byte[] bytes, int off, int len) {
    return new DagCborReader(bytes, off, off + len).readTop();
  }

  /** Decodes a value that must be a map (records, commits, MST nodes). */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> decodeMap(byte[] bytes) {
    if (decode(bytes) instanceof Map<?, ?> m) return (Map<String, Object>) m;
    throw new DagCborException("expected a map at top level");
  }
}
