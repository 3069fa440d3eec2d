package dev.alteran.atproto.crypto;

import dev.alteran.atproto.data.Base58;
import java.util.Arrays;

/** Parsing of did:key identifiers and Multikey strings (the curve is taken from the multicodec prefix). */
public final class DidKeys {
    static final String DID_KEY_PREFIX = "did:key:";

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
}
