package dev.alteran.atproto.plc;

import dev.alteran.atproto.crypto.DidKeys;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.data.Base58;
import dev.alteran.atproto.data.Cid;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A regular PLC operation ({@code plc_operation}): the whole identity state after it, plus {@code prev} (null for a
 * genesis operation) and {@code sig}. Maps keep their given order, which is what JSON shows and what a DID document
 * lists; DAG-CBOR sorts the keys anyway.
 *
 * @param rotationKeys did:key strings in descending authority; these keys sign the next operation
 * @param verificationMethods name (no {@code #}) to did:key; {@code atproto} is the repository signing key
 * @param alsoKnownAs URIs; the first {@code at://} one is the atproto handle
 * @param services id (no {@code #}) to service; {@code atproto_pds} is the account's PDS
 */
public record PlcOperation(
        List<String> rotationKeys,
        Map<String, String> verificationMethods,
        List<String> alsoKnownAs,
        Map<String, PlcService> services,
        String prev,
        String sig) implements PlcOp {
    public static final String TYPE = "plc_operation";
    public static final String ATPROTO_KEY = "atproto";
    public static final String ATPROTO_PDS = "atproto_pds";

    public PlcOperation {
        rotationKeys = List.copyOf(Objects.requireNonNull(rotationKeys, "rotationKeys"));
        verificationMethods = ordered(verificationMethods, "verificationMethods");
        alsoKnownAs = List.copyOf(Objects.requireNonNull(alsoKnownAs, "alsoKnownAs"));
        services = ordered(services, "services");
    }

    private static <V> Map<String, V> ordered(Map<String, V> map, String name) {
        Objects.requireNonNull(map, name);
        var copy = new LinkedHashMap<String, V>(map);
        copy.forEach((k, v) -> {
            Objects.requireNonNull(k, name + " key");
            Objects.requireNonNull(v, name + " value");
        });
        return Collections.unmodifiableMap(copy);
    }

    /**
     * An unsigned atproto genesis operation: the given rotation keys, {@code atproto} signing key, handle (without
     * {@code at://}) and PDS endpoint (an http or https URL), {@code prev} null.
     */
    public static PlcOperation atproto(List<String> rotationKeys, String atprotoKey, String handle, String pdsEndpoint) {
        return new PlcOperation(rotationKeys, Map.of(ATPROTO_KEY, atprotoKey), List.of(atUri(handle)),
                Map.of(ATPROTO_PDS, PlcService.atprotoPds(httpUrl(pdsEndpoint))), null, null);
    }

    /**
     * The unsigned operation that follows {@code last} without changing anything yet: its state (a legacy genesis
     * in regular form) with {@code prev} set to its CID. Change it with the {@code with...} methods, then sign it
     * with one of {@code last}'s rotation keys.
     */
    public static PlcOperation after(PlcOp last) {
        var prev = last.cid().toString();
        return switch (last) {
            case PlcOperation op -> new PlcOperation(op.rotationKeys, op.verificationMethods, op.alsoKnownAs, op.services, prev, null);
            case PlcLegacyCreate create -> create.normalize().withPrev(prev);
            case PlcTombstone t -> throw new PlcException("nothing follows a tombstone");
        };
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public PlcOperation withSig(String sig) {
        return new PlcOperation(rotationKeys, verificationMethods, alsoKnownAs, services, prev, sig);
    }

    /** Unsigned (a changed operation needs a new signature). */
    public PlcOperation withPrev(String prev) {
        return new PlcOperation(rotationKeys, verificationMethods, alsoKnownAs, services, prev, null);
    }

    /** Unsigned, with these rotation keys. */
    public PlcOperation withRotationKeys(List<String> keys) {
        return new PlcOperation(keys, verificationMethods, alsoKnownAs, services, prev, null);
    }

    /** Unsigned, with {@code atproto} (the repository signing key) set to {@code didKey}; other methods kept. */
    public PlcOperation withAtprotoKey(String didKey) {
        var methods = new LinkedHashMap<>(verificationMethods);
        methods.put(ATPROTO_KEY, Objects.requireNonNull(didKey, "didKey"));
        return new PlcOperation(rotationKeys, methods, alsoKnownAs, services, prev, null);
    }

    /** Unsigned, with the first {@code at://} alias replaced by {@code at://handle} (or put first if there is none). */
    public PlcOperation withHandle(String handle) {
        var aka = new ArrayList<>(alsoKnownAs);
        var uri = atUri(handle);
        int i = 0;
        while (i < aka.size() && !aka.get(i).startsWith("at://")) i++;
        if (i < aka.size()) aka.set(i, uri);
        else aka.add(0, uri);
        return new PlcOperation(rotationKeys, verificationMethods, aka, services, prev, null);
    }

    /** Unsigned, with the {@code atproto_pds} service pointing at {@code endpoint} (an http or https URL). */
    public PlcOperation withPdsEndpoint(String endpoint) {
        var s = new LinkedHashMap<>(services);
        s.put(ATPROTO_PDS, PlcService.atprotoPds(httpUrl(endpoint)));
        return new PlcOperation(rotationKeys, verificationMethods, alsoKnownAs, s, prev, null);
    }

    @Override
    public Map<String, Object> unsignedData() {
        var methods = new HashMap<String, Object>(verificationMethods);
        var svc = new HashMap<String, Object>();
        services.forEach((id, s) -> svc.put(id, Map.of("type", s.type(), "endpoint", s.endpoint())));
        var m = new HashMap<String, Object>(8);
        m.put("type", TYPE);
        m.put("rotationKeys", List.copyOf(rotationKeys));
        m.put("verificationMethods", methods);
        m.put("alsoKnownAs", List.copyOf(alsoKnownAs));
        m.put("services", svc);
        m.put("prev", prev); // present even when null: the spec wants the key, and the hash depends on it
        return m;
    }

    /** Checks the rules, signs, and checks the signed size. */
    @Override
    public PlcOperation sign(Keypair key) {
        checkRules();
        var signed = withSig(Plc.encodeSig(key.sign(unsignedBytes())));
        Plc.checkSize(signed);
        return signed;
    }

    /**
     * The directory's rules for a new operation: 1 to 5 distinct rotation keys, each a secp256k1 or P-256 did:key;
     * at most 10 verification methods, each a syntactically valid did:key (any key type); {@code prev} null or a
     * CID. Throws {@link PlcException} naming the first problem. Verifying old logs does not apply these.
     */
    public void checkRules() {
        if (rotationKeys.isEmpty() || rotationKeys.size() > Plc.MAX_ROTATION_KEYS) {
            throw new PlcException("an operation needs 1 to " + Plc.MAX_ROTATION_KEYS + " rotation keys, not " + rotationKeys.size());
        }
        if (new HashSet<>(rotationKeys).size() != rotationKeys.size()) throw new PlcException("duplicate rotation key");
        for (var k : rotationKeys) {
            try {
                DidKeys.parseDidKey(k);
            } catch (IllegalArgumentException e) {
                throw new PlcException("rotation key is not a secp256k1 or P-256 did:key: " + k, e);
            }
        }
        if (verificationMethods.size() > Plc.MAX_VERIFICATION_METHODS) {
            throw new PlcException("at most " + Plc.MAX_VERIFICATION_METHODS + " verification methods, not " + verificationMethods.size());
        }
        verificationMethods.forEach((name, k) -> {
            if (!isDidKeySyntax(k)) throw new PlcException("verification method " + name + " is not a did:key: " + k);
        });
        if (prev != null) Plc.parsePrev(prev);
    }

    /** {@code did:key:z} and base58btc, whatever the key type: the spec lets verification methods use any. */
    private static boolean isDidKeySyntax(String k) {
        if (!k.startsWith("did:key:z") || k.length() == "did:key:z".length()) return false;
        try {
            Base58.decode(k.substring("did:key:z".length()));
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static String atUri(String handle) {
        Objects.requireNonNull(handle, "handle");
        return handle.startsWith("at://") ? handle : "at://" + handle;
    }

    private static String httpUrl(String endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        if (!endpoint.startsWith("https://") && !endpoint.startsWith("http://")) {
            throw new IllegalArgumentException("PDS endpoint must be an http or https URL: " + endpoint);
        }
        return endpoint;
    }
}
