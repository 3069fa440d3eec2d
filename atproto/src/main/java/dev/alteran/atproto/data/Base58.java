package dev.alteran.atproto.data;

import java.util.Arrays;

/** Base58 with the Bitcoin alphabet (the multibase 'z' encoding, also used by did:key). */
public final class Base58 {
  private static final char[] ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".toCharArray();
  private static final byte[] DECODE = new byte[128];

  static {
    Arrays.fill(DECODE, (byte) -1);
    for (int i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET[i]] = (byte) i;
  }

  private Base58() {}

  public static String encode(byte[] input) {
    int zeros = 0;
    while (zeros < input.length && input[zeros] == 0) zeros++;
    // Big-number division by 58, working on a copy in place.
    var digits = new byte[input.length * 138 / 100 + 1];
    int len = 0;
    for (int i = zeros; i < input.length; i++) {
      int carry = input[i] & 0xFF;
      for (int j = 0; j < len; j++) {
        carry += (digits[j] & 0xFF) << 8;
        digits[j] = (byte) (carry % 58);
        carry /= 58;
      }
      while (carry > 0) {
        digits[len++] = (byte) (carry % 58);
        carry /= 58;
      }
    }
    var sb = new StringBuilder(zeros + len);
    for (int i = 0; i < zeros; i++) sb.append('1');
    for (int i = len - 1; i >= 0; i--) sb.append(ALPHABET[digits[i]]);
    return sb.toString();
  }

  public static byte[] decode(CharSequence s) {
    return decode(s, 0);
  }

  static byte[] decode(CharSequence s, int start) {
    int zeros = 0;
    while (start + zeros < s.length() && s.charAt(start + zeros) == '1') zeros++;
    var bytes = new byte[s.length() - start]; // little-endian base-256 accumulator
    int len = 0;
    for (int i = start + zeros; i < s.length(); i++) {
      char c = s.charAt(i);
      int carry = c < 128 ? DECODE[c] : -1;
      if (carry < 0) throw new IllegalArgumentException("invalid base58 character");
      for (int j = 0; j < len; j++) {
        carry += (bytes[j] & 0xFF) * 58;
        bytes[j] = (byte) carry;
        carry >>>= 8;
      }
      while (carry > 0) {
        bytes[len++] = (byte) carry;
        carry >>>= 8;
      }
    }
    var out = new byte[zeros + len];
    for (int i = 0; i < len; i++) out[zeros + i] = bytes[len - 1 - i];
    return out;
  }
}
