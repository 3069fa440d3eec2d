package dev.alteran.atproto.plc;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The state of a DID after an operation, which is what its DID document is made of (the directory serves it at
 * {@code /:did/data}). The helpers read the atproto parts.
 */
public record PlcData(
        String did,
        List<String> rotationKeys,
        Map<String, String> verificationMethods,
        List<String> alsoKnownAs,
        Map<String, PlcService> services) {

    public PlcData {
        Objects.requireNonNull(did, "did");
        // The operation record already copies, orders and checks these; reuse it rather than repeat it.
        var op = new PlcOperation(rotationKeys, verificationMethods, alsoKnownAs, services, null, null);
        rotationKeys = op.rotationKeys();
        verificationMethods = op.verificationMethods();
        alsoKnownAs = op.alsoKnownAs();
        services = op.services();
    }

    /** The state {@code op} sets, a legacy genesis read as a regular operation; empty after a tombstone. */
    public static Optional<PlcData> of(String did, PlcOp op) {
        var regular = switch (op) {
            case PlcOperation o -> o;
            case PlcLegacyCreate c -> c.normalize();
            case PlcTombstone t -> null;
        };
        if (regular == null) return Optional.empty();
        return Optional.of(new PlcData(did, regular.rotationKeys(), regular.verificationMethods(), regular.alsoKnownAs(),
                regular.services()));
    }

    /** The did:key of the {@code atproto} verification method: the key that signs the repository. */
    public Optional<String> atprotoKey() {
        return Optional.ofNullable(verificationMethods.get(PlcOperation.ATPROTO_KEY));
    }

    /** The first {@code at://} alias without its scheme; whether it is a valid handle is not checked here. */
    public Optional<String> handle() {
        return alsoKnownAs.stream().filter(a -> a.startsWith("at://")).findFirst().map(a -> a.substring("at://".length()));
    }

    /** The endpoint of the {@code atproto_pds} service, if it has the PDS type. */
    public Optional<String> pdsEndpoint() {
        var pds = services.get(PlcOperation.ATPROTO_PDS);
        return pds != null && PlcService.ATPROTO_PDS_TYPE.equals(pds.type()) ? Optional.of(pds.endpoint()) : Optional.empty();
    }
}
