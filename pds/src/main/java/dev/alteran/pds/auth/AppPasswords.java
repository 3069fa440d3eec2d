package dev.alteran.pds.auth;

import dev.alteran.atproto.syntax.Datetime;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.wire.XrpcException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * App passwords: {@code xxxx-xxxx-xxxx-xxxx} from the base32 alphabet (80 random bits), shown once
 * and kept only as a scrypt hash. As in the reference PDS the salt is derived from the account DID,
 * so a login hashes the offered password once and looks the hash up instead of trying every row;
 * with 80-bit random passwords a shared salt costs nothing. Revoking one also revokes the refresh
 * tokens of its sessions.
 */
public final class AppPasswords {
    /** scrypt cost for app passwords: N = 2^14, r = 8, p = 1 (the reference PDS's, about 16 MiB). */
    static final int LOG_N = 14;
    static final int BLOCK_SIZE = 8;
    static final int PARALLELISM = 1;
    private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Database db;
    private final byte[] salt;
    private final Clock clock;

    /** A new app password as createAppPassword returns it; {@code password} is never stored. */
    public record Created(String name, String password, String createdAt, boolean privileged) {}

    /** An app password as listAppPasswords returns it. */
    public record Listed(String name, String createdAt, boolean privileged) {}

    /** The app password a login used. */
    public record Grant(String name, boolean privileged) {}

    public AppPasswords(Database db, String did, Clock clock) {
        this.db = db;
        this.salt = Arrays.copyOf(sha256(did), 16);
        this.clock = clock;
    }

    public Created create(String name, boolean privileged) {
        var password = generate();
        var hash = hash(password);
        var createdAt = Datetime.format(clock.instant());
        boolean inserted = db.write(c -> {
            try (var st = c.prepareStatement(
                    "INSERT INTO app_password (name, password_hash, created_at, privileged, seq)"
                    + " VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM app_password)) ON CONFLICT DO NOTHING")) {
                st.setString(1, name);
                st.setString(2, hash);
                st.setString(3, createdAt);
                st.setInt(4, privileged ? 1 : 0);
                return st.executeUpdate() == 1;
            }
        });
        if (!inserted) throw XrpcException.invalidRequest("An app password named '" + name + "' already exists");
        return new Created(name, password, createdAt, privileged);
    }

    /** Newest first, as the reference lists them. */
    public List<Listed> list() {
        return db.read(c -> {
            try (var st = c.prepareStatement(
                    "SELECT name, created_at, privileged FROM app_password ORDER BY created_at DESC, seq DESC");
                 var rs = st.executeQuery()) {
                var out = new ArrayList<Listed>();
                while (rs.next()) out.add(new Listed(rs.getString(1), rs.getString(2), rs.getInt(3) == 1));
                return out;
            }
        });
    }

    /** Deletes the app password and the refresh tokens of its sessions; an unknown name is not an error. */
    public void revoke(String name) {
        db.write(c -> {
            try (var del = c.prepareStatement("DELETE FROM app_password WHERE name = ?");
                 var tokens = c.prepareStatement("DELETE FROM refresh_token WHERE app_password_name = ?")) {
                del.setString(1, name);
                del.executeUpdate();
                tokens.setString(1, name);
                tokens.executeUpdate();
                return null;
            }
        });
    }

    /** The app password {@code password} is, or null. */
    public Grant verify(String password) {
        var hash = hash(password);
        return db.read(c -> {
            try (var st = c.prepareStatement("SELECT name, privileged FROM app_password WHERE password_hash = ?")) {
                st.setString(1, hash);
                try (var rs = st.executeQuery()) {
                    return rs.next() ? new Grant(rs.getString(1), rs.getInt(2) == 1) : null;
                }
            }
        });
    }

    /** Whether an app password of that name still exists, with its privilege (refresh rotation reads it). */
    static Boolean privileged(java.sql.Connection c, String name) throws SQLException {
        try (var st = c.prepareStatement("SELECT privileged FROM app_password WHERE name = ?")) {
            st.setString(1, name);
            try (var rs = st.executeQuery()) {
                return rs.next() ? rs.getInt(1) == 1 : null;
            }
        }
    }

    String hash(String password) {
        return PasswordHash.Scrypt.create(password, salt, LOG_N, BLOCK_SIZE, PARALLELISM).encoded();
    }

    static String generate() {
        var chars = new char[19];
        for (int i = 0, j = 0; i < 16; i++) {
            if (i > 0 && i % 4 == 0) chars[j++] = '-';
            chars[j++] = BASE32[RANDOM.nextInt(32)];
        }
        return new String(chars);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
