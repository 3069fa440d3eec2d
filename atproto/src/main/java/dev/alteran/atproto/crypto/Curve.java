package dev.alteran.atproto.crypto;

import java.math.BigInteger;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;

/** The two elliptic curves atproto allows for signing keys. */
public enum Curve {
    /** secp256k1, the default for repo signing keys. Multicodec secp256k1-pub (0xe7). */
    K256("secp256k1", "ES256K", new byte[] {(byte) 0xe7, 0x01}),
    /** NIST P-256 (secp256r1). Multicodec p256-pub (0x1200). */
    P256("secp256r1", "ES256", new byte[] {(byte) 0x80, 0x24});

    private final String jwtAlg;
    private final byte[] multicodec;
    // BouncyCastle's custom curves use specialised field arithmetic (and GLV for secp256k1): much faster than the generic ones.
    final ECDomainParameters domain;
    final BigInteger halfOrder;

    Curve(String name, String jwtAlg, byte[] multicodecVarint) {
        var x9 = CustomNamedCurves.getByName(name);
        this.domain = new ECDomainParameters(x9.getCurve(), x9.getG(), x9.getN(), x9.getH(), x9.getSeed());
        this.halfOrder = x9.getN().shiftRight(1);
        this.jwtAlg = jwtAlg;
        this.multicodec = multicodecVarint;
    }

    /** JOSE algorithm name: ES256K for K256, ES256 for P256. */
    public String jwtAlg() {
        return jwtAlg;
    }

    /** Unsigned-varint multicodec prefix for a compressed public key on this curve. */
    byte[] multicodecPrefix() {
        return multicodec.clone();
    }

    /** Curve whose multicodec prefix starts {@code bytes}, or null. */
    static Curve byMulticodecPrefix(byte[] bytes) {
        for (var c : values()) {
            if (bytes.length >= c.multicodec.length
                    && java.util.Arrays.equals(bytes, 0, c.multicodec.length, c.multicodec, 0, c.multicodec.length)) {
                return c;
            }
        }
        return null;
    }

    BigInteger order() {
        return domain.getN();
    }
}
