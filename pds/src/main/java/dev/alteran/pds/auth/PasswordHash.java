package dev.alteran.pds.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.generators.SCrypt;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * A salted password hash in the PHC string format, the form password tools print and store:
 * <pre>
 * $argon2id$v=19$m=&lt;KiB&gt;,t=&lt;iterations&gt;,p=&lt;lanes&gt;$&lt;salt&gt;$&lt;hash&gt;
 * $scrypt$ln=&lt;log2 N&gt;,r=&lt;block size&gt;,p=&lt;parallelism&gt;$&lt;salt&gt;$&lt;hash&gt;
 * </pre>
 * Salt and hash are standard Base64 without padding (padding is tolerated on input). The parameter
 * ranges are bounded so a typo in a configured hash cannot make each login take minutes.
 */
public sealed interface PasswordHash permits PasswordHash.Argon2id, PasswordHash.Scrypt {
    /** argon2id defaults for `alteran hash-password`: the PHC example parameters (64 MiB, 3 passes, 4 lanes). */
    int ARGON2_MEMORY_KIB = 65_536;
    int ARGON2_ITERATIONS = 3;
    int ARGON2_PARALLELISM = 4;

    /** Whether {@code password} hashes to this value; the comparison takes the same time wherever they differ. */
    boolean matches(String password);

    /** The PHC string. */
    String encoded();

    /**
     * Whether the value is meant as a hash rather than a plain-text password: any PHC-style
     * {@code $<id>$...}. Unsupported ids then fail to parse, so a pasted bcrypt or argon2i hash stops
     * start-up instead of silently becoming the password itself.
     */
    static boolean isHash(String value) {
        return value != null && value.matches("\\$[a-z0-9-]{1,32}\\$.*");
    }

    /** Parses a PHC string; throws IllegalArgumentException naming what is wrong. */
    static PasswordHash parse(String phc) {
        var parts = phc.split("\\$", -1);
        if (parts.length < 2 || !parts[0].isEmpty()) throw new IllegalArgumentException("a hash must start with '$'");
        return switch (parts[1]) {
            case "argon2id" -> Argon2id.parse(parts);
            case "scrypt" -> Scrypt.parse(parts);
            default -> throw new IllegalArgumentException("unsupported hash '$" + parts[1] + "$' (use $argon2id$ or $scrypt$)");
        };
    }

    /** A new argon2id hash with the default parameters and a random 16-byte salt. */
    static Argon2id argon2id(String password) {
        return Argon2id.create(password, ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_PARALLELISM);
    }

    record Argon2id(int memoryKib, int iterations, int parallelism, byte[] salt, byte[] hash) implements PasswordHash {
        public Argon2id {
            check(memoryKib >= 8 * parallelism && memoryKib <= 4 * 1024 * 1024, "m must be between 8*p and 4194304 KiB");
            check(iterations >= 1 && iterations <= 100, "t must be between 1 and 100");
            check(parallelism >= 1 && parallelism <= 64, "p must be between 1 and 64");
            check(salt.length >= 8 && salt.length <= 64, "the salt must be 8 to 64 bytes");
            check(hash.length >= 16 && hash.length <= 128, "the hash must be 16 to 128 bytes");
        }

        public static Argon2id create(String password, int memoryKib, int iterations, int parallelism) {
            var salt = randomSalt();
            var probe = new Argon2id(memoryKib, iterations, parallelism, salt, new byte[32]);
            return new Argon2id(memoryKib, iterations, parallelism, salt, probe.derive(password, 32));
        }

        static Argon2id parse(String[] parts) {
            // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
            if (parts.length != 6) throw new IllegalArgumentException("expected $argon2id$v=19$m=<KiB>,t=<n>,p=<n>$<salt>$<hash>");
            if (!parts[2].equals("v=19")) throw new IllegalArgumentException("only argon2 version 19 (v=19) is supported");
            var params = params(parts[3], "m", "t", "p");
            return new Argon2id(params.get("m"), params.get("t"), params.get("p"), b64(parts[4], "salt"), b64(parts[5], "hash"));
        }

        byte[] derive(String password, int length) {
            var p = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                    .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                    .withMemoryAsKB(memoryKib)
                    .withIterations(iterations)
                    .withParallelism(parallelism)
                    .withSalt(salt)
                    .build();
            var gen = new Argon2BytesGenerator();
            gen.init(p);
            var out = new byte[length];
            gen.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
            return out;
        }

        @Override
        public boolean matches(String password) {
            return MessageDigest.isEqual(derive(password, hash.length), hash);
        }

        @Override
        public String encoded() {
            return "$argon2id$v=19$m=" + memoryKib + ",t=" + iterations + ",p=" + parallelism + "$" + b64(salt) + "$" + b64(hash);
        }

        @Override
        public String toString() {
            return "Argon2id[m=" + memoryKib + ",t=" + iterations + ",p=" + parallelism + "]";
        }
    }

    record Scrypt(int logN, int blockSize, int parallelism, byte[] salt, byte[] hash) implements PasswordHash {
        public Scrypt {
            check(logN >= 1 && logN <= 22, "ln must be between 1 and 22");
            check(blockSize >= 1 && blockSize <= 32, "r must be between 1 and 32");
            check(parallelism >= 1 && parallelism <= 16, "p must be between 1 and 16");
            check(salt.length >= 8 && salt.length <= 64, "the salt must be 8 to 64 bytes");
            check(hash.length >= 16 && hash.length <= 128, "the hash must be 16 to 128 bytes");
        }

        public static Scrypt create(String password, byte[] salt, int logN, int blockSize, int parallelism) {
            var probe = new Scrypt(logN, blockSize, parallelism, salt, new byte[32]);
            return new Scrypt(logN, blockSize, parallelism, salt, probe.derive(password, 32));
        }

        static Scrypt parse(String[] parts) {
            // "", "scrypt", "ln=..,r=..,p=..", salt, hash
            if (parts.length != 5) throw new IllegalArgumentException("expected $scrypt$ln=<n>,r=<n>,p=<n>$<salt>$<hash>");
            var params = params(parts[2], "ln", "r", "p");
            return new Scrypt(params.get("ln"), params.get("r"), params.get("p"), b64(parts[3], "salt"), b64(parts[4], "hash"));
        }

        byte[] derive(String password, int length) {
            return SCrypt.generate(password.getBytes(StandardCharsets.UTF_8), salt, 1 << logN, blockSize, parallelism, length);
        }

        @Override
        public boolean matches(String password) {
            return MessageDigest.isEqual(derive(password, hash.length), hash);
        }

        @Override
        public String encoded() {
            return "$scrypt$ln=" + logN + ",r=" + blockSize + ",p=" + parallelism + "$" + b64(salt) + "$" + b64(hash);
        }

        @Override
        public String toString() {
            return "Scrypt[ln=" + logN + ",r=" + blockSize + ",p=" + parallelism + "]";
        }
    }

    private static void check(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    /** "a=1,b=2" with exactly the given names, in that order. */
    private static Map<String, Integer> params(String text, String... names) {
        var out = new LinkedHashMap<String, Integer>();
        var pairs = text.split(",", -1);
        if (pairs.length != names.length) throw new IllegalArgumentException("expected parameters " + String.join(",", names));
        for (int i = 0; i < names.length; i++) {
            var kv = pairs[i].split("=", -1);
            if (kv.length != 2 || !kv[0].equals(names[i]) || !kv[1].matches("[0-9]{1,9}")) {
                throw new IllegalArgumentException("expected parameters " + String.join(",", names) + " as name=number");
            }
            out.put(names[i], Integer.parseInt(kv[1]));
        }
        return out;
    }

    private static byte[] b64(String text, String what) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the " + what + " is not Base64");
        }
    }

    private static String b64(byte[] bytes) {
        return Base64.getEncoder().withoutPadding().encodeToString(bytes);
    }

    private static byte[] randomSalt() {
        var salt = new byte[16];
        new SecureRandom().nextBytes(salt); // hashing is rare (the CLI, new app passwords): no shared instance needed
        return salt;
    }
}
