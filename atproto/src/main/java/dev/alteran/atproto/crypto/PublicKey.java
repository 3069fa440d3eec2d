package dev.alteran.atproto.crypto;

import dev.alteran.atproto.data.Base58;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.ECPoint;

/**
 * A public key on one curve, held as its 33-byte compressed point.
 *
 * <p>A value class with record-style accessors ({@code curve()}, {@code compressed()}) rather than a record,
 * because it caches the decoded point: BouncyCastle keeps its multiplication precomputation on the point,
 * so repeated verifications with one instance skip both point decompression and that setup.
 */
public final class PublicKey {
    private final Curve curve;
    private final byte[] compressed;
    private final ECPublicKeyParameters params;

    /** @param compressed 33-byte SEC1 compressed point; must lie on {@code curve} */
    public PublicKey(Curve curve, byte[] compressed) {
        Objects.requireNonNull(curve, "curve");
        Objects.requireNonNull(compressed, "compressed");
        if (compressed.length != 33 || (compressed[0] != 2 && compressed[0] != 3)) {
            throw new IllegalArgumentException("not a 33-byte compressed " + curve + " public key");
        }
        this.curve = curve;
        this.compressed = compressed.clone();
        this.params = new ECPublicKeyParameters(decode(curve, compressed), curve.domain);
    }

    /** For a point we computed ourselves (already valid and normalized). */
    PublicKey(Curve curve, ECPoint point) {
        this.curve = curve;
        this.compressed = point.getEncoded(true);
        this.params = new ECPublicKeyParameters(point, curve.domain);
    }

    /** Accepts a 33-byte compressed or 65-byte uncompressed SEC1 point; always stored compressed. */
    public static PublicKey fromCompressedOrUncompressed(Curve curve, byte[] bytes) {
        Objects.requireNonNull(curve, "curve");
        Objects.requireNonNull(bytes, "bytes");
        boolean ok = (bytes.length == 33 && (bytes[0] == 2 || bytes[0] == 3)) || (bytes.length == 65 && bytes[0] == 4);
        if (!ok) throw new IllegalArgumentException("not a SEC1 compressed (33-byte) or uncompressed (65-byte) " + curve + " public key");
        return new PublicKey(curve, decode(curve, bytes));
    }

    private static ECPoint decode(Curve curve, byte[] bytes) {
        try {
            var p = curve.domain.getCurve().decodePoint(bytes).normalize();
            if (p.isInfinity() || !p.isValid()) throw new IllegalArgumentException("invalid " + curve + " public key point");
            return p;
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException("invalid " + curve + " public key point", e);
        }
    }

    public Curve curve() {
        return curve;
    }

    /** The 33-byte compressed point (a copy). */
    public byte[] compressed() {
        return compressed.clone();
    }

    /**
     * Verifies a compact 64-byte r||s signature over SHA-256(message). Strict like atproto: anything but exactly
     * 64 bytes (e.g. DER) and any high-S signature is rejected, so each message has one valid signature per key.
     */
    public boolean verify(byte[] message, byte[] sig64) {
        if (message == null || sig64 == null || sig64.length != 64) return false;
        var r = new BigInteger(1, sig64, 0, 32);
        var s = new BigInteger(1, sig64, 32, 32);
        if (s.compareTo(curve.halfOrder) > 0) return false;
        var verifier = new ECDSASigner(); // cheap; holds no per-call state beyond the key, and is not thread-safe
        verifier.init(false, params);
        return verifier.verifySignature(Hashes.sha256(message), r, s); // also rejects r, s outside [1, n-1]
    }

    /** {@code z} + base58btc(multicodec varint + compressed key), the atproto Multikey form. */
    public String multikey() {
        var prefix = curve.multicodecPrefix();
        var buf = Arrays.copyOf(prefix, prefix.length + compressed.length);
        System.arraycopy(compressed, 0, buf, prefix.length, compressed.length);
        return "z" + Base58.encode(buf);
    }

    public String didKey() {
        return DidKeys.DID_KEY_PREFIX + multikey();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PublicKey k && k.curve == curve && Arrays.equals(k.compressed, compressed);
    }

    @Override
    public int hashCode() {
        return 31 * curve.hashCode() + Arrays.hashCode(compressed);
    }

    @Override
    public String toString() {
        return didKey();
    }
}
