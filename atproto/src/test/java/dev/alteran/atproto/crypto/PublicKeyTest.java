package dev.alteran.atproto.crypto;

import dev.alteran.atproto.data.Base58;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PublicKeyTest {
    @ParameterizedTest
    @EnumSource(Curve.class)
    void compressedAndUncompressedAgree(Curve curve) {
        var kp = Keypair.generate(curve);
        var q = curve.domain.getCurve().decodePoint(kp.publicKey().compressed());
        var fromUncompressed = PublicKey.fromCompressedOrUncompressed(curve, q.getEncoded(false));
        assertThat(fromUncompressed).isEqualTo(kp.publicKey()).hasSameHashCodeAs(kp.publicKey());
        assertThat(fromUncompressed.compressed()).hasSize(33);
        assertThat(new PublicKey(curve, kp.publicKey().compressed())).isEqualTo(kp.publicKey());
    }

    /** A document of the dev-env PLC directory (@did-plc/server): the legacy type with an uncompressed point, and its did:key. */
    @Test
    void legacyVerificationMethodsAreRead() {
        var legacy = DidKeys.parseVerificationMethod(DidKeys.LEGACY_K256,
                "zMard6sRT1DbARPdGmkqM1ueohrEAo5q1XcjoKGnzAhiscaAhfYRnGx1SfPLC4Q93dXcjfS3BESubCBHBs9uyZaRo");
        assertThat(legacy.didKey()).isEqualTo("did:key:zQ3shMnQ5v9SrZnUXWAm2SG3JnP9GizLpRXdjcNgY7Sht1VhA");

        var p256 = Keypair.generate(Curve.P256).publicKey();
        var uncompressed = Curve.P256.domain.getCurve().decodePoint(p256.compressed()).getEncoded(false);
        assertThat(DidKeys.parseVerificationMethod(DidKeys.LEGACY_P256, "z" + Base58.encode(uncompressed))).isEqualTo(p256);
        assertThat(DidKeys.parseVerificationMethod(DidKeys.LEGACY_P256, "z" + Base58.encode(p256.compressed()))).isEqualTo(p256);
        assertThat(DidKeys.parseVerificationMethod("Multikey", p256.multikey())).isEqualTo(p256);
        assertThat(DidKeys.parseVerificationMethod(null, p256.multikey())).isEqualTo(p256);
        // The curve is the type's: a P-256 point named secp256k1 is refused, as is a Multikey under a legacy type.
        assertThatThrownBy(() -> DidKeys.parseVerificationMethod(DidKeys.LEGACY_K256, "z" + Base58.encode(uncompressed)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DidKeys.parseVerificationMethod(DidKeys.LEGACY_P256, p256.multikey())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DidKeys.parseVerificationMethod("JsonWebKey2020", p256.multikey())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void multikeyPrefixes() {
        assertThat(Keypair.generate(Curve.K256).publicKey().multikey()).startsWith("zQ3s");
        assertThat(Keypair.generate(Curve.P256).publicKey().multikey()).startsWith("zDn");
        assertThat(Curve.K256.jwtAlg()).isEqualTo("ES256K");
        assertThat(Curve.P256.jwtAlg()).isEqualTo("ES256");
    }

    @Test
    void rejectsInvalidKeys() {
        var good = Keypair.generate(Curve.K256).publicKey().compressed();
        assertThatThrownBy(() -> new PublicKey(Curve.K256, Arrays.copyOf(good, 32))).isInstanceOf(IllegalArgumentException.class);
        var badPrefix = good.clone();
        badPrefix[0] = 4;
        assertThatThrownBy(() -> new PublicKey(Curve.K256, badPrefix)).isInstanceOf(IllegalArgumentException.class);
        // x = 5 is not on secp256k1 (5^3 + 7 = 132 is a non-residue mod p): decompression must fail
        var offCurve = new byte[33];
        offCurve[0] = 2;
        offCurve[32] = 5;
        assertThatThrownBy(() -> new PublicKey(Curve.K256, offCurve)).isInstanceOf(IllegalArgumentException.class);
        var uncompressed = new byte[65];
        uncompressed[0] = 4;
        uncompressed[32] = 1;
        uncompressed[64] = 1;
        assertThatThrownBy(() -> PublicKey.fromCompressedOrUncompressed(Curve.K256, uncompressed))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void compressedIsDefensivelyCopied() {
        var key = Keypair.generate(Curve.P256).publicKey();
        var bytes = key.compressed();
        bytes[5] ^= 1;
        assertThat(key.compressed()).isNotEqualTo(bytes);
    }

    @Test
    void didKeyParsingRejectsJunk() {
        for (var bad : new String[] {"did:web:example.com", "did:key:", "did:key:x123", "did:key:z0OIl", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK" /* ed25519 */}) {
            assertThatThrownBy(() -> DidKeys.parseDidKey(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> DidKeys.parseDidKey(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DidKeys.parseMultikey("zQ3sh")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void base58RoundTrip() {
        var rnd = new java.util.Random(1);
        for (int len = 0; len < 50; len++) {
            var b = new byte[len];
            rnd.nextBytes(b);
            if (len > 2) b[0] = b[1] = 0; // leading zeros map to '1'
            assertThat(Base58.decode(Base58.encode(b))).isEqualTo(b);
        }
        assertThat(Base58.encode("hello world".getBytes())).isEqualTo("StV1DL6CwTryKyV");
        assertThat(Base58.encode(new byte[] {0, 0, 1})).isEqualTo("112");
    }
}
