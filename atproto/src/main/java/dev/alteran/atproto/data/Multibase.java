package dev.alteran.atproto.data;

import java.util.Base64;

/** Multibase text: a one-character base prefix followed by the encoded bytes. */
public final class Multibase {
  public static final char BASE32 = 'b', BASE58BTC = 'z', BASE64 = 'm', BASE64URL = 'u';

  private Multibase() {}

  public static String encode(char base, byte[] data) {
    return switch (base) {
      case BASE32 -> Base32.encode(data, 0, data.length, BASE32);
      case BASE58BTC -> BASE58BTC + Base58.encode(data);
      case BASE64 -> BASE64 + Base64.getEncoder().withoutPadding().encodeToString(data);
      case BASE64URL -> BASE64URL + Base64.getUrlEncoder().withoutPadding().encodeToString(data);
      default -> throw new IllegalArgumentException("unsupported multibase '" + base + "'");
    };
  }

  /** Decodes multibase text; {@link IllegalArgumentException} on an unknown prefix or bad characters. */
  public static byte[] decode(String s) {
    if (s == null || s.isEmpty()) throw new IllegalArgumentException("empty multibase string");
    return switch (s.charAt(0)) {
      case BASE32 -> Base32.decode(s, 1);
      case BASE58BTC -> Base58.decode(s, 1);
      case BASE64 -> base64(Base64.getDecoder(), s);
      case BASE64URL -> base64(Base64.getUrlDecoder(), s);
      default -> throw new IllegalArgumentException("unsupported multibase '" + s.charAt(0) + "'");
    };
  }

  private static byte[] base64(Base64.Decoder decoder, String s) {
    if (s.indexOf('=') >= 0) throw new IllegalArgumentException("multibase base64 must be unpadded");
    return decoder.decode(s.substring(1));
  }
}
