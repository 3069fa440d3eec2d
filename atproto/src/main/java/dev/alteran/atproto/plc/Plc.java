package dev.alteran.atproto.plc;

import dev.alteran.atproto.crypto.DidKeys;
import dev.alteran.atproto.crypto.PublicKey;
import dev.alteran.atproto.data.Base32;
import dev.alteran.atproto.data.Cid;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** DID derivation, signature checks and log verification for did:plc. */
public final class Plc {
    public static final int MAX_ROTATION_KEYS = 5;
    public static final int MAX_VERIFICATION_METHODS = 10;
    /** The directory refuses larger operations (signed, as DAG-CBOR). */
    public static final int MAX_OP_BYTES = 7500;
    private static final Pattern PLC_DID = Pattern.compile("did:plc:[a-z2-7]{24}");
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    /** 64 bytes as unpadded base64url. */
    private static final int SIG_CHARS = 86;

    private Plc() {}

    public static boolean isPlcDid(String did) {
        return did != null && PLC_DID.matcher(did).matches();
    }

    /**
     * {@code did:plc:} and the first 24 characters of base32 (lower case) of the SHA-256 of the signed genesis
     * operation's DAG-CBOR, in the form it was signed in (a legacy {@code create} stays legacy).
     */
    public static String didForGenesis(PlcOp genesis) {
        if (genesis instanceof PlcTombstone) throw new PlcException("a tombstone is not a genesis operation");
        if (genesis.prev() != null) throw new PlcException("a genesis operation has prev null");
        // The CID's digest is exactly that SHA-256.
        return "did:plc:" + Base32.encode(genesis.cid().digest()).substring(0, 24);
    }

    /**
     * The first of {@code rotationKeys} whose key verifies {@code op}'s signature over its unsigned DAG-CBOR. Empty when
     * none does, when the operation is unsigned, or when its {@code sig} is not strictly the encoding of a low-S
     * 64-byte signature (so nobody can re-encode a signature, and with it the operation's CID, and keep it valid).
     * Keys that are not secp256k1 or P-256 did:keys verify nothing.
     */
    public static Optional<String> signer(PlcOp op, List<String> rotationKeys) {
        if (op.sig() == null) return Optional.empty();
        byte[] sig;
        try {
            sig = decodeSig(op.sig());
        } catch (PlcException e) {
            return Optional.empty();
        }
        var message = op.unsignedBytes();
        for (var k : rotationKeys) {
            PublicKey key;
            try {
                key = DidKeys.parseDidKey(k);
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (key.verify(message, sig)) return Optional.of(k); // verify also refuses high-S
        }
        return Optional.empty();
    }

    /**
     * Verifies a DID's log of operations, oldest first, as the directory's {@code /:did/log} returns it (no
     * nullified operations): the genesis is signed by one of its own rotation keys and hashes to {@code did}; each
     * later operation names the CID of the one before as {@code prev} and is signed by one of that one's rotation
     * keys; a tombstone can only come last. Ordering and recovery (which fork wins) are the directory's business:
     * this checks one chain.
     *
     * @throws PlcException naming the first operation (by index) that fails
     */
    public static PlcHistory verifyLog(String did, List<? extends PlcOp> ops) {
        if (!isPlcDid(did)) throw new PlcException("not a did:plc: " + did);
        if (ops.isEmpty()) throw new PlcException("empty operation log for " + did);
        var genesis = ops.getFirst();
        if (genesis instanceof PlcTombstone) throw new PlcException("operation 0: the log starts with a tombstone");
        if (genesis.prev() != null) throw new PlcException("operation 0: a genesis operation has prev null");
        if (!genesis.isSigned()) throw new PlcException("operation 0: not signed");
        var data = PlcData.of(did, genesis).orElseThrow();
        if (genesis.signer(data.rotationKeys()).isEmpty()) {
            throw new PlcException("operation 0: the genesis signature does not verify under its own rotation keys");
        }
        var derived = didForGenesis(genesis);
        if (!derived.equals(did)) throw new PlcException("operation 0: the genesis operation is that of " + derived + ", not " + did);
        var prev = genesis.cid();
        for (int i = 1; i < ops.size(); i++) {
            var op = ops.get(i);
            if (data == null) throw new PlcException("operation " + i + ": follows a tombstone");
            if (op instanceof PlcLegacyCreate) throw new PlcException("operation " + i + ": a legacy create can only be the genesis");
            if (op.prev() == null) throw new PlcException("operation " + i + ": has no prev");
            Cid named;
            try {
                named = op.prevCid();
            } catch (PlcException e) {
                throw new PlcException("operation " + i + ": " + e.getMessage(), e);
            }
            if (!named.equals(prev)) {
                throw new PlcException("operation " + i + ": prev is " + op.prev() + ", but the operation before is " + prev);
            }
            if (op.signer(data.rotationKeys()).isEmpty()) {
                throw new PlcException("operation " + i + ": not signed by a rotation key of the operation before");
            }
            data = PlcData.of(did, op).orElse(null);
            prev = op.cid();
        }
        return new PlcHistory(did, List.copyOf(ops), Optional.ofNullable(data));
    }

    /**
     * Verifies an audit log ({@code /:did/log/audit}): every entry is for {@code did} and has the CID the directory
     * claims for it, and the entries not nullified form a valid log ({@link #verifyLog}). Nullified entries (a
     * fork a higher rotation key overrode) are checked for their CID only.
     */
    public static PlcHistory verifyAuditLog(String did, List<PlcAuditEntry> entries) {
        for (int i = 0; i < entries.size(); i++) {
            var e = entries.get(i);
            if (!did.equals(e.did())) throw new PlcException("audit entry " + i + " is for " + e.did() + ", not " + did);
            if (!e.operation().isSigned()) throw new PlcException("audit entry " + i + ": not signed");
            var actual = e.operation().cid();
            Cid claimed;
            try {
                claimed = Cid.parse(e.cid());
            } catch (IllegalArgumentException ex) {
                throw new PlcException("audit entry " + i + ": invalid cid " + e.cid(), ex);
            }
            if (!claimed.equals(actual)) throw new PlcException("audit entry " + i + ": claims cid " + e.cid() + ", but hashes to " + actual);
        }
        return verifyLog(did, entries.stream().filter(e -> !e.nullified()).map(PlcAuditEntry::operation).toList());
    }

    /** base64url without padding, as {@code sig} is written. */
    static String encodeSig(byte[] sig) {
        return B64URL.encodeToString(sig);
    }

    /**
     * The 64 bytes of a {@code sig}, accepted only in its one canonical spelling: unpadded base64url whose unused
     * trailing bits are zero.
     */
    public static byte[] decodeSig(String sig) {
        if (sig == null || sig.length() != SIG_CHARS) throw new PlcException("sig is not 86 characters of unpadded base64url");
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(sig);
        } catch (IllegalArgumentException e) {
            throw new PlcException("sig is not base64url", e);
        }
        // The JDK decoder ignores non-zero trailing bits; a second spelling of one signature would change the CID.
        if (bytes.length != 64 || !B64URL.encodeToString(bytes).equals(sig)) throw new PlcException("sig is not canonical base64url");
        return bytes;
    }

    static Cid parsePrev(String prev) {
        try {
            return Cid.parse(prev);
        } catch (IllegalArgumentException e) {
            throw new PlcException("prev is not a CID: " + prev, e);
        }
    }

    static void checkSize(PlcOp signed) {
        int size = signed.bytes().length;
        if (size > MAX_OP_BYTES) throw new PlcException("operation is " + size + " bytes of DAG-CBOR; the directory takes at most " + MAX_OP_BYTES);
    }
}
