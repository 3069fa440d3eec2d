package dev.alteran.atproto.plc;

import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One entry of a did:plc operation log. The signature ({@code sig}, base64url) covers the DAG-CBOR of the operation
 * without its {@code sig} field; the operation's CID, which the next operation names as {@code prev}, is that of
 * the DAG-CBOR with it. An operation with a null {@code sig} is unsigned: it can be encoded for signing, not hashed.
 */
public sealed interface PlcOp permits PlcOperation, PlcTombstone, PlcLegacyCreate {
    /** {@code plc_operation}, {@code plc_tombstone} or (legacy genesis) {@code create}. */
    String type();

    /** The CID string of the previous operation, null only for a genesis operation. */
    String prev();

    /** base64url (no padding) of the 64-byte compact signature, or null when unsigned. */
    String sig();

    /** The same operation with {@code sig} replaced (null: unsigned). */
    PlcOp withSig(String sig);

    /** A fresh data-model map of every field except {@code sig}: the content that is signed. */
    Map<String, Object> unsignedData();

    /** Signs {@link #unsignedBytes()} with {@code key} (deterministic, low-S); the result carries the signature. */
    PlcOp sign(Keypair key);

    /** The CID {@code prev} names, or null for a genesis operation; {@link PlcException} if it is not a CID. */
    default Cid prevCid() {
        return prev() == null ? null : Plc.parsePrev(prev());
    }

    default boolean isSigned() {
        return sig() != null;
    }

    /** The data-model map with {@code sig}; requires a signed operation. */
    default Map<String, Object> toData() {
        if (sig() == null) throw new PlcException(type() + " is not signed");
        var m = unsignedData();
        m.put("sig", sig());
        return m;
    }

    /** DAG-CBOR of the operation without {@code sig}: the bytes the signature is over. */
    default byte[] unsignedBytes() {
        return DagCbor.encode(unsignedData());
    }

    /** DAG-CBOR of the signed operation: what is hashed for its CID and (for a genesis operation) the DID. */
    default byte[] bytes() {
        return DagCbor.encode(toData());
    }

    /** CIDv1, dag-cbor, sha2-256 of {@link #bytes()}; its string form is the next operation's {@code prev}. */
    default Cid cid() {
        return Cid.ofDagCbor(bytes());
    }

    /** The first of {@code rotationKeys} (did:key strings) whose key verifies this operation's signature. */
    default Optional<String> signer(List<String> rotationKeys) {
        return Plc.signer(this, rotationKeys);
    }
}
