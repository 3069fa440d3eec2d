package dev.alteran.pds.oauth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The authorization server's identifiers and secrets, shaped like the reference's: a prefix that
 * says what it is ({@code req-}, {@code cod-}, {@code ref-}, {@code tok-}, {@code ses-},
 * {@code dev-}) and random hex; and the hash under which secrets are stored.
 */
public final class OAuthIds {
    public static final String REQUEST = "req-";
    public static final String CODE = "cod-";
    public static final String REFRESH = "ref-";
    public static final String TOKEN = "tok-";
    public static final String SESSION = "ses-";
    public static final String DEVICE = "dev-";
    private static final SecureRandom RANDOM = new SecureRandom();

    private OAuthIds() {}

    /** {@code prefix} and {@code bytes} random bytes in hex. */
    public static String random(String prefix, int bytes) {
        var b = new byte[bytes];
        RANDOM.nextBytes(b);
        return prefix + HexFormat.of().formatHex(b);
    }

    /** True if {@code value} looks like an identifier made by {@link #random} with {@code prefix}. */
    public static boolean looksLike(String value, String prefix) {
        return value != null && value.length() <= 200 && value.startsWith(prefix)
                && value.substring(prefix.length()).matches("[0-9a-f]{16,128}");
    }

    /** base64url(SHA-256(value)): how codes, refresh tokens and device secrets are stored. */
    public static String hash(String value) {
        try {
            var d = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
