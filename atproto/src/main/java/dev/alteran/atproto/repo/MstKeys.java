package dev.alteran.atproto.repo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** MST key rules from the repository spec: layer (height) of a key, prefix compression, key syntax. */
public final class MstKeys {
    /** Spec limit on the full key length (bytes; keys are ASCII). */
    public static final int MAX_KEY_LENGTH = 1024;

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    private MstKeys() {}

    /** Leading zero bits of SHA-256(key), counted in 2-bit chunks (fanout 4). */
    public static int height(String key) {
        return height(key.getBytes(StandardCharsets.UTF_8));
    }

    public static int height(byte[] key) {
        var hash = SHA256.get().digest(key);
        int zeros = 0;
        for (byte b : hash) {
            int v = b & 0xff;
            if (v == 0) {
                zeros += 4;
                continue;
            }
            zeros += (Integer.numberOfLeadingZeros(v) - 24) / 2;
            break;
        }
        return zeros;
    }

    /** Number of leading characters shared by {@code a} and {@code b}. */
    public static int commonPrefixLength(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            if (a.charAt(i) != b.charAt(i)) return i;
        }
        return n;
    }

    /** {@code collection/rkey}: exactly one slash, both parts non-empty, chars {@code [a-zA-Z0-9_~\-:.]}, at most 1024 chars. */
    public static boolean isValid(String key) {
        int len = key.length();
        if (len == 0 || len > MAX_KEY_LENGTH) return false;
        int slash = -1;
        for (int i = 0; i < len; i++) {
            char c = key.charAt(i);
            if (c == '/') {
                if (slash >= 0) return false;
                slash = i;
            } else if (!allowed(c)) {
                return false;
            }
        }
        return slash > 0 && slash < len - 1;
    }

    public static void validate(String key) {
        if (!isValid(key)) throw new InvalidMstKeyException(key);
    }

    private static boolean allowed(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '_' || c == '~' || c == '-' || c == ':' || c == '.';
    }
}
