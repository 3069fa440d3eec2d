package dev.alteran.atproto.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.bouncycastle.util.BigIntegers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KeypairTest {
    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest
    @EnumSource(Curve.class)
    void signThenVerify(Curve curve) {
        var kp = Keypair.generate(curve);
        var msg = "hello world".getBytes(StandardCharsets.UTF_8);
        var sig = kp.sign(msg);
        assertThat(sig).hasSize(64);
        assertThat(kp.publicKey().verify(msg, sig)).isTrue();
        assertThat(kp.sign(msg)).as("deterministic").isEqualTo(sig);

        var tampered = msg.clone();
        tampered[0] ^= 1;
        assertThat(kp.publicKey().verify(tampered, sig)).isFalse();
        var badSig = sig.clone();
        badSig[10] ^= 1;
        assertThat(kp.publicKey().verify(msg, badSig)).isFalse();
        assertThat(Keypair.generate(curve).publicKey().verify(msg, sig)).as("other key").isFalse();
        assertThat(kp.publicKey().verify(msg, Arrays.copyOf(sig, 63))).isFalse();
        assertThat(kp.publicKey().verify(msg, Arrays.copyOf(sig, 65))).isFalse();
        assertThat(kp.publicKey().verify(msg, new byte[64])).as("r = s = 0").isFalse();
        assertThat(kp.publicKey().verify(msg, null)).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Curve.class)
    void signaturesAreAlwaysLowSAndHighSIsRejected(Curve curve) {
        var kp = Keypair.generate(curve);
        var n = curve.order();
        for (int i = 0; i < 200; i++) {
            var msg = ("message " + i).getBytes(StandardCharsets.UTF_8);
            var sig = kp.sign(msg);
            var s = new BigInteger(1, sig, 32, 32);
            assertThat(s.compareTo(n.shiftRight(1))).as("low-S").isLessThanOrEqualTo(0);
            if (i < 20) {
                var high = sig.clone();
                BigIntegers.asUnsignedByteArray(n.subtract(s), high, 32, 32);
                assertThat(kp.publicKey().verify(msg, high)).as("high-S twin rejected").isFalse();
            }
        }
    }

    @Test
    void rfc6979P256Vector() {
        // RFC 6979 A.2.5, P-256 with SHA-256, message "sample". Its s is high, so we emit n - s.
        var kp = Keypair.fromPrivateKey(Curve.P256, HEX.parseHex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"));
        var sig = kp.sign("sample".getBytes(StandardCharsets.US_ASCII));
        var r = new BigInteger("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716", 16);
        var s = new BigInteger("F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8", 16);
        assertThat(new BigInteger(1, sig, 0, 32)).isEqualTo(r);
        assertThat(new BigInteger(1, sig, 32, 32)).isEqualTo(Curve.P256.order().subtract(s));
    }

    @Test
    void rfc6979K256Vectors() {
        // Deterministic secp256k1 signatures, cross-checked with OpenSSL's RFC 6979 signer (then low-S normalized).
        assertThat(HEX.formatHex(Keypair.fromPrivateKey(Curve.K256, BigIntegers.asUnsignedByteArray(32, BigInteger.ONE))
                .sign("Satoshi Nakamoto".getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo("934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
                        + "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5");
        assertThat(HEX.formatHex(Keypair.parsePrivateKey(Curve.K256, "9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c")
                .sign("hello atproto".getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo("2567989ccb4d23589e6e30f9219494ad41c128bd2418aec2fcd4969cbb29e8b0"
                        + "44253ecf05e4a68d08f8ef2eff2902705239e9ec4222cb614e614c9c518b0d9c");
    }

    @Test
    void fromPrivateKeyRejectsOutOfRange() {
        for (var curve : Curve.values()) {
            var n = curve.order();
            assertThatThrownBy(() -> Keypair.fromPrivateKey(curve, new byte[32]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out of range");
            assertThatThrownBy(() -> Keypair.fromPrivateKey(curve, BigIntegers.asUnsignedByteArray(32, n)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out of range");
            assertThatThrownBy(() -> Keypair.fromPrivateKey(curve, BigIntegers.asUnsignedByteArray(32, n.add(BigInteger.ONE))))
                    .isInstanceOf(IllegalArgumentException.class);
            var ff = new byte[32];
            Arrays.fill(ff, (byte) 0xff);
            assertThatThrownBy(() -> Keypair.fromPrivateKey(curve, ff)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Keypair.fromPrivateKey(curve, new byte[31])).isInstanceOf(IllegalArgumentException.class);
            // the extremes that are allowed
            assertThat(Keypair.fromPrivateKey(curve, BigIntegers.asUnsignedByteArray(32, BigInteger.ONE)).publicKey().compressed())
                    .isEqualTo(curve.domain.getG().getEncoded(true));
            var top = Keypair.fromPrivateKey(curve, BigIntegers.asUnsignedByteArray(32, n.subtract(BigInteger.ONE)));
            assertThat(top.publicKey().verify(new byte[] {1}, top.sign(new byte[] {1}))).isTrue();
        }
    }

    @Test
    void parsePrivateKeyHexAndBase64() {
        var hex = "9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c";
        var bytes = HEX.parseHex(hex);
        var expected = "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme";
        assertThat(Keypair.parsePrivateKey(Curve.K256, hex).didKey()).isEqualTo(expected);
        assertThat(Keypair.parsePrivateKey(Curve.K256, hex.toUpperCase()).didKey()).isEqualTo(expected);
        assertThat(Keypair.parsePrivateKey(Curve.K256, "  " + hex + "\n").didKey()).isEqualTo(expected);
        for (var enc : new Base64.Encoder[] {Base64.getEncoder(), Base64.getUrlEncoder(), Base64.getEncoder().withoutPadding(),
                Base64.getUrlEncoder().withoutPadding()}) {
            var text = enc.encodeToString(bytes);
            assertThat(Keypair.parsePrivateKey(Curve.K256, text).didKey()).as(text).isEqualTo(expected);
        }
        assertThat(Keypair.parsePrivateKey(Curve.K256, hex).privateKeyBytes()).isEqualTo(bytes);
    }

    @Test
    void parsePrivateKeyRejectsJunkWithClearMessage() {
        for (var bad : new String[] {"", "xyz!", "abcd", "9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0", // 63 hex
                Base64.getEncoder().encodeToString(new byte[33]), "0".repeat(64)}) {
            assertThatThrownBy(() -> Keypair.parsePrivateKey(Curve.K256, bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("private key");
        }
        assertThatThrownBy(() -> Keypair.parsePrivateKey(Curve.K256, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void privateKeyRoundTripAndToStringHidesSecret() {
        var kp = Keypair.generate(Curve.K256);
        var again = Keypair.fromPrivateKey(Curve.K256, kp.privateKeyBytes());
        assertThat(again.didKey()).isEqualTo(kp.didKey());
        assertThat(kp.toString()).doesNotContain(HEX.formatHex(kp.privateKeyBytes())).contains(kp.didKey());
    }
}
