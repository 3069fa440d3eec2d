package dev.alteran.pds.auth;

import dev.alteran.pds.store.Database;
import dev.alteran.pds.wire.XrpcException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The single-use token that authorizes signing a did:plc operation (signPlcOperation), valid for
 * {@link #TTL}. Shaped like the reference PDS's e-mailed codes ({@code XXXXX-XXXXX}, 50 random bits);
 * only its SHA-256 is stored, and a new token replaces the previous one. Several processes may
 * share the database (the {@code alteran plc token} command runs beside the server).
 */
public final class PlcTokens {
    public static final Duration TTL = Duration.ofMinutes(15);
    private static final char[] BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Database db;
    private final Clock clock;

    /** A new token and when it stops working; {@code token} is never stored. */
    public record Created(String token, Instant expiresAt) {}

    public PlcTokens(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** A fresh token, replacing any earlier one. */
    public Created create() {
        var token = generate();
        var now = clock.instant();
        var expires = now.plus(TTL);
        db.write(c -> {
            try (var st = c.createStatement()) {
                st.executeUpdate("DELETE FROM plc_operation_token");
            }
            try (var st = c.prepareStatement("INSERT INTO plc_operation_token (token_hash, created_at, expires_at) VALUES (?, ?, ?)")) {
                st.setString(1, hash(token));
                st.setLong(2, now.toEpochMilli());
                st.setLong(3, expires.toEpochMilli());
                st.executeUpdate();
            }
            return null;
        });
        return new Created(token, expires);
    }

    /**
     * Uses up {@code token}. As the reference PDS: an unknown token is 400 InvalidToken (the current
     * token stays usable), an expired one 400 ExpiredToken (and is deleted).
     */
    public void consume(String token) {
        var offered = hash(normalize(token));
        long now = clock.millis();
        var problem = db.write(c -> {
            try (var st = c.prepareStatement("DELETE FROM plc_operation_token WHERE token_hash = ? RETURNING expires_at")) {
                st.setString(1, offered);
                try (var rs = st.executeQuery()) {
                    if (!rs.next()) return "invalid";
                    return rs.getLong(1) <= now ? "expired" : null;
                }
            }
        });
        if ("invalid".equals(problem)) throw XrpcException.badRequest("InvalidToken", "Token is invalid");
        if ("expired".equals(problem)) throw XrpcException.badRequest("ExpiredToken", "Token is expired");
    }

    /** Case and surrounding space do not matter, as when a code is typed from an e-mail. */
    static String normalize(String token) {
        return token == null ? "" : token.strip().toUpperCase(Locale.ROOT);
    }

    static String generate() {
        var chars = new char[10];
        for (int i = 0; i < chars.length; i++) chars[i] = BASE32[RANDOM.nextInt(32)];
        return new String(chars, 0, 5) + "-" + new String(chars, 5, 5);
    }

    private static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e); // every JVM has SHA-256
        }
    }
}
