package dev.alteran.atproto.crypto;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.util.BigIntegers;

/**
 * A private key on one curve, with its public key. Signs with deterministic (RFC 6979), low-S ECDSA over SHA-256.
 *
 * <p>All of it is BouncyCastle: {@link ECDSASigner} with an {@link HMacDSAKCalculator} nonce, k·G by its
 * {@link FixedPointCombMultiplier} (a fixed sequence of doublings and additions, table entries read by a full
 * masked scan). Not constant-time guaranteed: the nonce and s = k⁻¹(e + d·r) mod n pass through
 * {@link BigInteger}, and the JVM (JIT, GC) promises nothing about timing. If signing speed ever matters, the
 * way is libsecp256k1 through a maintained binding ({@code fr.acinq.secp256k1:secp256k1-kmp-jni-jvm}), not
 * curve arithmetic of our own.
 */
public final class Keypair {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Curve curve;
    private final ECPrivateKeyParameters params;
    /**
     * Derived when first asked for: a server loads its key at start-up and may not need the public half
     * until much later, and the first point multiplication (which builds the curve's tables) is slow.
     */
    private volatile PublicKey publicKey;

    private Keypair(Curve curve, BigInteger d) {
        this.curve = curve;
        this.params = new ECPrivateKeyParameters(d, curve.domain);
    }

    /** A fresh key from {@link SecureRandom}. */
    public static Keypair generate(Curve curve) {
        Objects.requireNonNull(curve, "curve");
        var buf = new byte[32];
        while (true) { // rejection sampling keeps d uniform in [1, n-1]
            RANDOM.nextBytes(buf);
            var d = new BigInteger(1, buf);
            if (d.signum() > 0 && d.compareTo(curve.order()) < 0) return new Keypair(curve, d);
        }
    }

    /** From the 32-byte big-endian private scalar d; requires 0 &lt; d &lt; n. */
    public static Keypair fromPrivateKey(Curve curve, byte[] scalar32) {
        Objects.requireNonNull(curve, "curve");
        if (scalar32 == null || scalar32.length != 32) {
            throw new IllegalArgumentException("private key must be 32 bytes, got " + (scalar32 == null ? "null" : scalar32.length));
        }
        var d = new BigInteger(1, scalar32);
        if (d.signum() == 0 || d.compareTo(curve.order()) >= 0) {
            throw new IllegalArgumentException("private key is out of range for " + curve + " (must be 0 < d < n)");
        }
        return new Keypair(curve, d);
    }

    /**
     * From text: 64 hex characters, or base64 / base64url (padding optional) of 32 bytes. Surrounding whitespace is
     * ignored. Error messages never include the key text.
     */
    public static Keypair parsePrivateKey(Curve curve, String hexOrBase64) {
        if (hexOrBase64 == null) throw new IllegalArgumentException("private key is missing");
        var s = hexOrBase64.strip();
        // Hex first: 64 hex characters are also valid base64 (of 48 bytes).
        if (s.length() == 64 && s.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            return fromPrivateKey(curve, HexFormat.of().parseHex(s));
        }
        byte[] bytes;
        try {
            var unpadded = s.endsWith("=") ? s.substring(0, s.indexOf('=')) : s;
            bytes = Base64.getUrlDecoder().decode(unpadded.replace('+', '-').replace('/', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "private key must be 64 hex characters or base64/base64url of 32 bytes (got " + s.length() + " characters that are neither)");
        }
        if (bytes.length != 32) {
            throw new IllegalArgumentException("private key must be 64 hex characters or base64/base64url of 32 bytes (base64 decoded to "
                    + bytes.length + " bytes)");
        }
        return fromPrivateKey(curve, bytes);
    }

    public Curve curve() {
        return curve;
    }

    /** The 32-byte big-endian private scalar (a copy). */
    public byte[] privateKeyBytes() {
        return BigIntegers.asUnsignedByteArray(32, params.getD());
    }

    public PublicKey publicKey() {
        var pk = publicKey;
        if (pk == null) { // a race computes the same value twice, harmlessly
            var q = new FixedPointCombMultiplier().multiply(curve.domain.getG(), params.getD()).normalize();
            publicKey = pk = new PublicKey(curve, q);
        }
        return pk;
    }

    public String didKey() {
        return publicKey().didKey();
    }

    /** Compact 64-byte r||s ECDSA signature over SHA-256(message); deterministic (RFC 6979) and low-S. Thread-safe. */
    public byte[] sign(byte[] message) {
        Objects.requireNonNull(message, "message");
        // A signer per call: the k calculator is stateful, and construction is negligible next to the point multiply.
        // ECDSASigner computes k·G with FixedPointCombMultiplier by default.
        var signer = new ECDSASigner(new HMacDSAKCalculator(new JdkSha256()));
        signer.init(true, params);
        var rs = signer.generateSignature(Hashes.sha256(message));
        var s = rs[1];
        if (s.compareTo(curve.halfOrder) > 0) s = curve.order().subtract(s);
        var out = new byte[64];
        BigIntegers.asUnsignedByteArray(rs[0], out, 0, 32);
        BigIntegers.asUnsignedByteArray(s, out, 32, 32);
        return out;
    }

    @Override
    public String toString() {
        return "Keypair[" + curve + ", " + didKey() + "]"; // never the private key
    }
}
