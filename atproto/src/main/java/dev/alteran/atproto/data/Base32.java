package dev.alteran.atproto.data;

/** RFC 4648 base32, lowercase alphabet, no padding (the multibase 'b' encoding). */
public final class Base32 {
  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
  private static final byte[] DECODE = new byte[128];

  static {
    java.util.Arrays.fill(DECODE, (byte) -1);
    for (int i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET[i]] = (byte) i;
  }

  private Base32() {}

  public static String encode(byte[] data) {
    return encode(data, 0, data.length, null);
  }

  /** Encodes {@code data[off..off+len)}, optionally after a one-character prefix. */
  static String encode(byte[] data, int off, int len, Character prefix) {
    int p = prefix == null ? 0 : 1;
    var out = new byte[p + (len * 8 + 4) / 5];
    if (prefix != null) out[0] = (byte) prefix.charValue();
    int o = p, buffer = 0, bits = 0;
    for (int i = off; i < off + len; i++) {
      buffer = (buffer << 8) | (data[i] & 0xFF);
      bits += 8;
      while (bits >= 5) {
        out[o++] = (byte) ALPHABET[(buffer >>> (bits - 5)) & 31];
        bits -= 5;
      }
    }
    if (bits > 0) out[o++] = (byte) ALPHABET[(buffer << (5 - bits)) & 31];
    return new String(out, 0, o, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  public static byte[] decode(CharSequence s) {
    return decode(s, 0);
  }

  /** Decodes {@code s} from index {@code start}; rejects foreign characters and non-zero pad bits. */
  static byte[] decode(CharSequence s, int start) {
    int n = s.length() - start;
    int rem = n % 8;
    if (rem == 1 || rem == 3 || rem == 6) throw new IllegalArgumentException("invalid base32 length");
    var out = new byte[n * 5 / 8];
    int o = 0, buffer = 0, bits = 0;
    for (int i = start; i < s.length(); i++) {
      char c = s.charAt(i);
      int v = c < 128 ? DECODE[c] : -1;
      if (v < 0) throw new IllegalArgumentException("invalid base32 character");
      buffer = (buffer << 5) | v;
      bits += 5;
      if (bits >= 8) {
        out[o++] = (byte) (buffer >>> (bits - 8));
        bits -= 8;
      }
    }
    if ((buffer & ((1 << bits) - 1)) != 0) throw new IllegalArgumentException("non-zero base32 padding bits");
    return out;
  }
}
