package dev.alteran.pds.oauth;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Server-provided DPoP nonces (RFC 9449 section 8) without server state: the nonce for a time step
 * is base64url(HMAC-SHA256(secret, step as a 64-bit big-endian integer)), a step lasts
 * {@link #ROTATION} (a third of the three minutes a nonce may be used, as the reference), and the
 * previous, current and next step's nonces are accepted. {@link #next()} is the one to send, so a
 * client holding it stays valid for up to three steps. Instances sharing the secret (PDS_DPOP_SECRET)
 * accept each other's nonces; without one, each start picks a random secret.
 */
public final class DpopNonces {
    public static final Duration ROTATION = Duration.ofMinutes(1);
    public static final int SECRET_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;
    private final Clock clock;
    private final long stepMs;

    public DpopNonces(byte[] secret, Clock clock) {
        this(secret, clock, ROTATION);
    }

    DpopNonces(byte[] secret, Clock clock, Duration rotation) {
        if (secret.length != SECRET_BYTES) throw new IllegalArgumentException("the DPoP secret must be " + SECRET_BYTES + " bytes");
        this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
        this.clock = clock;
        this.stepMs = rotation.toMillis();
    }

    /** Nonces from {@code hexSecret} (64 hex digits, as PDS_DPOP_SECRET), or from a random secret if it is null. */
    public static DpopNonces fromConfig(String hexSecret, Clock clock) {
        return new DpopNonces(hexSecret == null ? randomSecret() : parseSecret(hexSecret), clock);
    }

    public static byte[] randomSecret() {
        var secret = new byte[SECRET_BYTES];
        RANDOM.nextBytes(secret);
        return secret;
    }

    /** The secret in {@code hex}, or an IllegalArgumentException saying what is wrong with it. */
    public static byte[] parseSecret(String hex) {
        if (hex.length() != SECRET_BYTES * 2 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException("must be " + SECRET_BYTES * 2 + " hex digits (" + SECRET_BYTES + " bytes)");
        }
        return HexFormat.of().parseHex(hex);
    }

    /** The nonce to hand out now (DPoP-Nonce header). */
    public String next() {
        return compute(step() + 1);
    }

    /** True if {@code nonce} is the previous, current or next step's nonce. */
    public boolean check(String nonce) {
        long step = step();
        for (long s = step - 1; s <= step + 1; s++) {
            if (MessageDigest.isEqual(compute(s).getBytes(StandardCharsets.UTF_8), nonce.getBytes(StandardCharsets.UTF_8))) return true;
        }
        return false;
    }

    private long step() {
        return Math.floorDiv(clock.millis(), stepMs);
    }

    private String compute(long step) {
        try {
            var mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            var digest = mac.doFinal(ByteBuffer.allocate(8).putLong(step).array());
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e); // every JVM has HmacSHA256
        }
    }
}
