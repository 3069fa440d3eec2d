package dev.alteran.server;

import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** Fresh secrets for one PDS: two HMAC keys, a login password, a secp256k1 repo signing key and a secp256k1 PLC rotation key. */
final class Secrets {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Secrets() {}

    /** The secret lines, in env-file order. {@code password} may be given (kept), else a random one is made. */
    static Map<String, String> generate(String password) {
        var out = new LinkedHashMap<String, String>();
        out.put("USER_PASSWORD", password != null ? password : randomToken(18));
        out.put("ACCESS_TOKEN", randomToken(32));
        out.put("REFRESH_TOKEN", randomToken(32));
        out.put("REPO_SIGNING_KEY", HexFormat.of().formatHex(Keypair.generate(Curve.K256).privateKeyBytes()));
        out.put("PDS_PLC_ROTATION_KEY", HexFormat.of().formatHex(Keypair.generate(Curve.K256).privateKeyBytes()));
        return out;
    }

    static String randomToken(int bytes) {
        var b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static String didKeyOf(String signingKeyHex) {
        return Keypair.parsePrivateKey(Curve.K256, signingKeyHex).didKey();
    }

    static String render(Map<String, String> values) {
        var sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return sb.toString();
    }

    /**
     * Sets {@code values} in an existing env file: a line that sets one of them (also as {@code export NAME=})
     * is replaced in place, the others are appended; every other line is kept as it was. The file is
     * rewritten readable by its owner only.
     */
    static void setInEnvFile(Path file, Map<String, String> values) throws IOException {
        var pending = new LinkedHashMap<>(values);
        var out = new StringBuilder();
        for (var line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            var body = line.strip();
            if (body.startsWith("export ")) body = body.substring(7).strip();
            int eq = body.indexOf('=');
            var key = eq > 0 ? body.substring(0, eq).strip() : null;
            if (key != null && values.containsKey(key)) {
                if (pending.containsKey(key)) out.append(key).append('=').append(pending.remove(key)).append('\n');
                continue; // a second line for the same name would win over ours: dropped
            }
            out.append(line).append('\n');
        }
        out.append(render(pending));
        writePrivate(file, out.toString());
    }

    /** Writes the file readable by its owner only; it is created with those permissions, never widened. */
    static void writePrivate(Path file, String content) throws IOException {
        var parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        var tmp = Files.createTempFile(parent, ".secrets-", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
