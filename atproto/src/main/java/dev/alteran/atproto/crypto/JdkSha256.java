package dev.alteran.atproto.crypto;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.bouncycastle.crypto.ExtendedDigest;

/**
 * BouncyCastle's digest interface over the JDK's SHA-256, for the RFC 6979 nonce HMACs of {@link
 * Keypair#sign}: the JDK's implementation uses the CPU's SHA instructions where there are any, and
 * BouncyCastle's is plain Java (its HMACs were about a tenth of the signing time). Not thread-safe.
 */
final class JdkSha256 implements ExtendedDigest {
    private final MessageDigest md;

    JdkSha256() {
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required on every Java platform", e);
        }
    }

    @Override
    public String getAlgorithmName() {
        return "SHA-256";
    }

    @Override
    public int getDigestSize() {
        return 32;
    }

    /** The block size, which HMAC needs. */
    @Override
    public int getByteLength() {
        return 64;
    }

    @Override
    public void update(byte in) {
        md.update(in);
    }

    @Override
    public void update(byte[] in, int off, int len) {
        md.update(in, off, len);
    }

    @Override
    public int doFinal(byte[] out, int off) {
        try {
            return md.digest(out, off, 32); // also resets, as the interface requires
        } catch (DigestException e) {
            throw new IllegalArgumentException("no room for a SHA-256 digest in the output", e);
        }
    }

    @Override
    public void reset() {
        md.reset();
    }
}
