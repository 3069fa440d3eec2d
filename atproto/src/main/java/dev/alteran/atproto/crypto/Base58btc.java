package dev.alteran.atproto.crypto;

import java.util.Arrays;

// TODO(merge): use data.Base58
/** Bitcoin-alphabet base58, enough for did:key and multikey strings (short inputs, quadratic is fine). */
final class Base58btc {
    private static final char[] ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".toCharArray();
    private static final int[] INDEX = new int[128];

    static {
        Arrays.fill(INDEX, -1);
        for (int i = 0; i < ALPHABET.length; i++) INDEX[ALPHABET[i]] = i;
    }

    private Base58btc() {}

    static String encode(byte[] in) {
        int zeros = 0;
        while (zeros < in.length && in[zeros] == 0) zeros++;
        var digits = new byte[in.length * 138 / 100 + 1]; // base-58 digits, little-endian
        int len = 0;
        for (int i = zeros; i < in.length; i++) {
            int carry = in[i] & 0xff;
            for (int j = 0; j < len; j++) {
                carry += (digits[j] & 0xff) << 8;
                digits[j] = (byte) (carry % 58);
                carry /= 58;
            }
            while (carry > 0) {
                digits[len++] = (byte) (carry % 58);
                carry /= 58;
            }
        }
        var sb = new StringBuilder(zeros + len);
        sb.repeat('1', zeros);
        for (int j = len - 1; j >= 0; j--) sb.append(ALPHABET[digits[j]]);
        return sb.toString();
    }

    static byte[] decode(String s) {
        int zeros = 0;
        while (zeros < s.length() && s.charAt(zeros) == '1') zeros++;
        var bytes = new byte[s.length()]; // base-256 digits, little-endian
        int len = 0;
        for (int i = zeros; i < s.length(); i++) {
            char c = s.charAt(i);
            int carry = c < 128 ? INDEX[c] : -1;
            if (carry < 0) throw new IllegalArgumentException("invalid base58 character '" + c + "'");
            for (int j = 0; j < len; j++) {
                carry += (bytes[j] & 0xff) * 58;
                bytes[j] = (byte) carry;
                carry >>>= 8;
            }
            while (carry > 0) {
                bytes[len++] = (byte) carry;
                carry >>>= 8;
            }
        }
        var out = new byte[zeros + len];
        for (int j = 0; j < len; j++) out[zeros + j] = bytes[len - 1 - j];
        return out;
    }
}
