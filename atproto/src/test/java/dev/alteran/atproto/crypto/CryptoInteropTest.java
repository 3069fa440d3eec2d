package dev.alteran.atproto.crypto;

import dev.alteran.atproto.data.Base58;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The official atproto interop vectors in interop/crypto/. */
class CryptoInteropTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<JsonNode> load(String name) {
        try (var in = CryptoInteropTest.class.getResourceAsStream("/interop/crypto/" + name)) {
            assertThat(in).as(name).isNotNull();
            var list = new ArrayList<JsonNode>();
            JSON.readTree(in).forEach(list::add);
            assertThat(list).as(name).isNotEmpty();
            return list;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<Arguments> signatureFixtures() {
        return load("signature-fixtures.json").stream().map(n -> Arguments.of(n.get("comment").asText(), n));
    }

    static byte[] b64(String s) {
        // the fixtures use unpadded standard base64
        return Base64.getDecoder().decode(s);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("signatureFixtures")
    void signatureFixture(String comment, JsonNode f) {
        var message = b64(f.get("messageBase64").asText());
        var signature = b64(f.get("signatureBase64").asText());
        var key = DidKeys.parseDidKey(f.get("publicKeyDid").asText());

        assertThat(key.curve().jwtAlg()).isEqualTo(f.get("algorithm").asText());
        assertThat(key.didKey()).isEqualTo(f.get("publicKeyDid").asText());
        // publicKeyMultibase is the legacy form: the bare compressed key, without a multicodec prefix.
        var legacy = f.get("publicKeyMultibase").asText();
        assertThat(legacy).startsWith("z");
        assertThat(PublicKey.fromCompressedOrUncompressed(key.curve(), Base58.decode(legacy.substring(1))))
                .isEqualTo(key);

        assertThat(key.verify(message, signature)).isEqualTo(f.get("validSignature").asBoolean());
        for (var tag : f.get("tags")) {
            switch (tag.asText()) {
                case "high-s" -> assertThat(signature).hasSize(64);
                case "der-encoded" -> assertThat(signature.length).isNotEqualTo(64);
                default -> throw new AssertionError("unknown fixture tag " + tag);
            }
        }
    }

    @Test
    void highSFixturesVerifyOnceNormalized() {
        // Proves the high-S cases fail only because of the S rule: flipping s to n - s makes them verify.
        int checked = 0;
        for (var f : load("signature-fixtures.json")) {
            if (!f.get("tags").toString().contains("high-s")) continue;
            var key = DidKeys.parseDidKey(f.get("publicKeyDid").asText());
            var sig = b64(f.get("signatureBase64").asText());
            var n = key.curve().order();
            var s = new java.math.BigInteger(1, sig, 32, 32);
            var low = sig.clone();
            org.bouncycastle.util.BigIntegers.asUnsignedByteArray(n.subtract(s), low, 32, 32);
            assertThat(key.verify(b64(f.get("messageBase64").asText()), low)).isTrue();
            checked++;
        }
        assertThat(checked).isEqualTo(2);
    }

    static Stream<Arguments> k256DidKeys() {
        return load("w3c_didkey_K256.json").stream()
                .map(n -> Arguments.of(n.get("publicDidKey").asText(), HexFormat.of().parseHex(n.get("privateKeyBytesHex").asText())));
    }

    static Stream<Arguments> p256DidKeys() {
        return load("w3c_didkey_P256.json").stream()
                .map(n -> Arguments.of(n.get("publicDidKey").asText(), Base58.decode(n.get("privateKeyBytesBase58").asText())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("k256DidKeys")
    void k256PrivateKeyToDidKey(String didKey, byte[] priv) {
        checkDidKey(Curve.K256, didKey, priv);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("p256DidKeys")
    void p256PrivateKeyToDidKey(String didKey, byte[] priv) {
        checkDidKey(Curve.P256, didKey, priv);
    }

    private static void checkDidKey(Curve curve, String didKey, byte[] priv) {
        var kp = Keypair.fromPrivateKey(curve, priv);
        assertThat(kp.didKey()).isEqualTo(didKey);
        var parsed = DidKeys.parseDidKey(didKey);
        assertThat(parsed.curve()).isEqualTo(curve);
        assertThat(parsed).isEqualTo(kp.publicKey());
        assertThat(parsed.didKey()).isEqualTo(didKey);
        assertThat(DidKeys.parseMultikey(parsed.multikey())).isEqualTo(parsed);
        assertThat(parsed.verify("hi".getBytes(), kp.sign("hi".getBytes()))).isTrue();
    }
}
