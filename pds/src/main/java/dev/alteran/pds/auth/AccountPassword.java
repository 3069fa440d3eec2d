package dev.alteran.pds.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The account password from {@code USER_PASSWORD}: a PHC hash ({@link PasswordHash}) or, when it is
 * not one, the plain text. Either way the check takes the same time wherever the guess differs:
 * plain text is compared as SHA-256 digests with {@link MessageDigest#isEqual}, so neither the
 * length nor a common prefix leaks.
 */
public final class AccountPassword {
    private final PasswordHash hash;
    private final byte[] plainDigest;

    private AccountPassword(PasswordHash hash, byte[] plainDigest) {
        this.hash = hash;
        this.plainDigest = plainDigest;
    }

    /** Throws IllegalArgumentException when the value starts like a hash but is not a valid one. */
    public static AccountPassword of(String configured) {
        if (PasswordHash.isHash(configured)) return new AccountPassword(PasswordHash.parse(configured), null);
        return new AccountPassword(null, sha256(configured));
    }

    /** The problem with a configured value, or null when it is usable (for start-up validation). */
    public static String problem(String configured) {
        if (!PasswordHash.isHash(configured)) return null;
        try {
            PasswordHash.parse(configured);
            return null;
        } catch (IllegalArgumentException e) {
            return "USER_PASSWORD: looks like a password hash but is not a valid one (" + e.getMessage() + ")";
        }
    }

    public boolean matches(String password) {
        return hash != null ? hash.matches(password) : MessageDigest.isEqual(sha256(password), plainDigest);
    }

    public boolean isHashed() {
        return hash != null;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return hash != null ? "AccountPassword[" + hash + "]" : "AccountPassword[plain]";
    }
}
