package dev.alteran.atproto.crypto;

import dev.alteran.atproto.data.Base58;
import java.util.Arrays;

/**
 * Parsing of did:key identifiers and Multikey strings (the curve is taken from the multicodec prefix),
 * and of DID document verification methods, Multikey or legacy.
 */
public final class DidKeys {
    static final String DID_KEY_PREFIX = "did:key:";
    /** The legacy verification method types (the curve is in the type, the key a bare SEC1 point). */
    public static final String LEGACY_K256 = "EcdsaSecp256k1VerificationKey2019";
    public static final String LEGACY_P256 = "EcdsaSecp256r1VerificationKey2019";

    private DidKeys() {}

    /** {@code did:key:z...} to its public key. */
    public static PublicKey parseDidKey(String didKey) {
        if (didKey == null || !didKey.startsWith(DID_KEY_PREFIX)) {
            throw new IllegalArgumentException("not a did:key: " + didKey);
        }
        return parseMultikey(didKey.substring(DID_KEY_PREFIX.length()));
    }

    /** {@code z} + base58btc(multicodec varint + SEC1 point); compressed and (leniently) uncompressed points accepted. */
    public static PublicKey parseMultikey(String multibase) {
        if (multibase == null || multibase.length() < 2 || multibase.charAt(0) != 'z') {
            throw new IllegalArgumentException("multikey must be base58btc multibase (start with 'z'): " + multibase);
        }
        var bytes = Base58.decode(multibase.substring(1));
        var curve = Curve.byMulticodecPrefix(bytes);
        if (curve == null) {
            throw new IllegalArgumentException("unsupported multikey type (want secp256k1-pub or p256-pub): " + multibase);
        }
        var point = Arrays.copyOfRange(bytes, curve.multicodecPrefix().length, bytes.length);
        return PublicKey.fromCompressedOrUncompressed(curve, point);
    }

    /**
     * The key of a DID document verification method, as {@code @atproto/identity} reads it: type
     * {@code Multikey} (or none) is a Multikey string; the legacy types {@value #LEGACY_K256} and
     * {@value #LEGACY_P256} carry base58btc ({@code z}) of the bare SEC1 point, compressed or (as the
     * PLC directory wrote documents before Multikey, and {@code @did-plc/server} still does)
     * uncompressed, with no multicodec prefix.
     *
     * @throws IllegalArgumentException when the key is malformed or the type unknown
     */
    public static PublicKey parseVerificationMethod(String type, String publicKeyMultibase) {
        Curve legacy = LEGACY_K256.equals(type) ? Curve.K256 : LEGACY_P256.equals(type) ? Curve.P256 : null;
        if (legacy == null) {
            if (type != null && !type.equals("Multikey")) throw new IllegalArgumentException("unsupported verification method type: " + type);
            return parseMultikey(publicKeyMultibase);
        }
        if (publicKeyMultibase == null || publicKeyMultibase.length() < 2 || publicKeyMultibase.charAt(0) != 'z') {
            throw new IllegalArgumentException("publicKeyMultibase must be base58btc multibase (start with 'z'): " + publicKeyMultibase);
        }
        return PublicKey.fromCompressedOrUncompressed(legacy, Base58.decode(publicKeyMultibase.substring(1)));
    }
}
