package dev.alteran.atproto.plc;

import dev.alteran.atproto.crypto.Keypair;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The deprecated genesis form ({@code type: create}). Many existing DIDs are the hash of one, so logs that start
 * with it must still verify, hashed and checked in this form; new DIDs use {@link PlcOperation}. {@code prev} is
 * always null.
 *
 * @param handle a bare handle (no {@code at://})
 * @param service the PDS URL
 */
public record PlcLegacyCreate(String signingKey, String recoveryKey, String handle, String service, String sig)
        implements PlcOp {
    public static final String TYPE = "create";

    public PlcLegacyCreate {
        Objects.requireNonNull(signingKey, "signingKey");
        Objects.requireNonNull(recoveryKey, "recoveryKey");
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(service, "service");
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String prev() {
        return null;
    }

    @Override
    public PlcLegacyCreate withSig(String sig) {
        return new PlcLegacyCreate(signingKey, recoveryKey, handle, service, sig);
    }

    @Override
    public Map<String, Object> unsignedData() {
        var m = new HashMap<String, Object>(8);
        m.put("type", TYPE);
        m.put("signingKey", signingKey);
        m.put("recoveryKey", recoveryKey);
        m.put("handle", handle);
        m.put("service", service);
        m.put("prev", null);
        return m;
    }

    /** For reproducing old operations (tests); do not create new DIDs this way. */
    @Override
    public PlcLegacyCreate sign(Keypair key) {
        return withSig(Plc.encodeSig(key.sign(unsignedBytes())));
    }

    /**
     * The same state as a regular operation, as the reference implementation reads it: rotation keys
     * [recoveryKey, signingKey] (recovery first, so it outranks), {@code atproto} = signingKey, the handle as an
     * {@code at://} alias and the service as {@code atproto_pds} (https:// added when it has no scheme). Keeps
     * {@code sig}; hashing or verifying the result is not the same as the original.
     */
    public PlcOperation normalize() {
        return new PlcOperation(List.of(recoveryKey, signingKey), Map.of(PlcOperation.ATPROTO_KEY, signingKey),
                List.of(atUri(handle)), Map.of(PlcOperation.ATPROTO_PDS, PlcService.atprotoPds(httpUrl(service))), null, sig);
    }

    // Legacy values were written loosely; these follow the reference's reading of them.
    private static String atUri(String handle) {
        if (handle.startsWith("at://")) return handle;
        return "at://" + removeFirst(removeFirst(handle, "http://"), "https://");
    }

    private static String httpUrl(String service) {
        return service.startsWith("http://") || service.startsWith("https://") ? service : "https://" + service;
    }

    private static String removeFirst(String s, String part) {
        int i = s.indexOf(part);
        return i < 0 ? s : s.substring(0, i) + s.substring(i + part.length());
    }
}
