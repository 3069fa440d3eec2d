package dev.alteran.pds.identity;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.crypto.DidKeys;
import dev.alteran.atproto.crypto.PublicKey;
import dev.alteran.atproto.syntax.Handle;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.config.Environment;
import dev.alteran.pds.wire.Json;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Our DID document, and reading others'. For a did:web account the document is ours to publish and
 * is built from the configuration and the current handle; for did:plc it lives in the PLC directory
 * and is read through {@link PlcClient}. describeRepo, getSession, resolveDid and resolveIdentity
 * all take it from {@link #ours(HttpServletRequest)}.
 */
public final class DidDocuments {
    public static final List<String> CONTEXT = List.of(
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1",
            "https://w3id.org/security/suites/secp256k1-2019/v1");

    private final Config config;
    private final Identity identity;
    private final PlcClient plc;
    private volatile String multikey; // derived on first use: parsing the key costs a point multiplication

    public DidDocuments(Config config, Identity identity, PlcClient plc) {
        this.config = config;
        this.identity = identity;
        this.plc = plc;
    }

    private String multikey() {
        var m = multikey;
        if (m == null) multikey = m = config.signingKey().publicKey().multikey();
        return m;
    }

    public record VerificationMethod(String id, String type, String controller, String publicKeyMultibase) {}

    public record Service(String id, String type, String serviceEndpoint) {}

    public record DidDocument(@JsonProperty("@context") List<String> context, String id, List<String> alsoKnownAs,
                              List<VerificationMethod> verificationMethod, List<Service> service) {
        public JsonNode toJson() {
            return Json.toTree(this);
        }
    }

    public boolean isDidWeb() {
        return identity.did().startsWith("did:web:");
    }

    /**
     * Our current DID document. For did:web it is built for this request (see
     * {@link #serviceEndpoint(HttpServletRequest)}); for did:plc it is the directory's copy, empty
     * when the directory does not know our DID.
     *
     * @throws ResolutionException when the PLC directory cannot be read
     */
    public Optional<JsonNode> ours(HttpServletRequest request) {
        if (isDidWeb()) return Optional.of(build(serviceEndpoint(request)).toJson());
        return plc.fetchDocument(identity.did());
    }

    /**
     * Why our DID document, read afresh, does not make this server the account's PDS, or null when it
     * does: its {@code #atproto_pds} service must be our endpoint and its {@code #atproto} key our
     * signing key (the reference PDS's condition for activating an account).
     */
    public String whyNotHere(HttpServletRequest request) {
        Optional<JsonNode> doc;
        try {
            doc = isDidWeb() ? ours(request) : plc.fetchFresh(identity.did());
        } catch (ResolutionException e) {
            return "Could not resolve DID: " + e.getMessage();
        }
        return doc.isPresent() ? problemWith(doc.get(), request) : "Could not resolve DID";
    }

    /** Why {@code document} does not make this server the account's PDS, or null when it does. */
    public String problemWith(JsonNode document, HttpServletRequest request) {
        String endpoint = null;
        for (var s : document.path("service")) {
            var id = s.path("id").asText("");
            if (id.equals("#atproto_pds") || id.equals(identity.did() + "#atproto_pds")) endpoint = s.path("serviceEndpoint").asText(null);
        }
        if (!isOurEndpoint(endpoint, request)) {
            return "DID document atproto_pds service endpoint does not match PDS public url";
        }
        var key = atprotoKeyOf(document);
        if (key == null || !multikey().equals(key.multikey())) return "DID document verification method does not match expected signing key";
        return null;
    }

    /**
     * The account's current {@code #atproto} signing key as its DID document states it: ours for
     * did:web (we publish that document), the directory's for did:plc ({@code fresh} reads past the
     * cache). Empty when the document cannot be read or names no usable key.
     */
    public Optional<PublicKey> atprotoKey(boolean fresh) {
        if (isDidWeb()) return Optional.of(config.signingKey().publicKey());
        try {
            var doc = fresh ? plc.fetchFresh(identity.did()) : plc.fetchDocument(identity.did());
            return doc.map(this::atprotoKeyOf);
        } catch (ResolutionException e) {
            return Optional.empty();
        }
    }

    /**
     * The document's {@code #atproto} key, Multikey or one of the legacy types (the PLC directory's
     * older documents, and {@code @did-plc/server}'s still, state it as an uncompressed point), or null
     * when there is none or it cannot be read.
     */
    PublicKey atprotoKeyOf(JsonNode document) {
        JsonNode method = null;
        for (var m : document.path("verificationMethod")) {
            var id = m.path("id").asText("");
            if (id.equals("#atproto") || id.equals(identity.did() + "#atproto")) method = m;
        }
        if (method == null) return null;
        try {
            return DidKeys.parseVerificationMethod(method.path("type").asText(null), method.path("publicKeyMultibase").asText(null));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Whether {@code endpoint} is where clients reach this PDS (a trailing slash aside). */
    public boolean isOurEndpoint(String endpoint, HttpServletRequest request) {
        return endpoint != null && stripSlash(endpoint).equals(stripSlash(serviceEndpoint(request)));
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** The did:web document naming {@code serviceEndpoint} as our PDS. */
    public DidDocument build(String serviceEndpoint) {
        var did = identity.did();
        return new DidDocument(
                CONTEXT,
                did,
                List.of("at://" + identity.handle()),
                List.of(new VerificationMethod(did + "#atproto", "Multikey", did, multikey())),
                List.of(new Service("#atproto_pds", "AtprotoPersonalDataServer", serviceEndpoint)));
    }

    /**
     * Where clients reach this PDS: {@code https://PDS_HOSTNAME}. In development it is the origin
     * the request came to instead (scheme, host and port), so a client on this machine reaches the
     * dev server without TLS.
     */
    public String serviceEndpoint(HttpServletRequest request) {
        if (config.env() == Environment.DEV && request != null) return origin(request);
        if (config.hostname() != null) return "https://" + config.hostname();
        return "http://localhost:" + config.port(); // dev without a request and without PDS_HOSTNAME
    }

    static String origin(HttpServletRequest request) {
        var scheme = request.getScheme();
        int port = request.getServerPort();
        boolean defaultPort = port <= 0 || ("http".equals(scheme) && port == 80) || ("https".equals(scheme) && port == 443);
        return scheme + "://" + request.getServerName() + (defaultPort ? "" : ":" + port);
    }

    /** The host (with port, if any) a did:web names, lower-cased; null for other DIDs or DIDs with a path. */
    public static String webHost(String did) {
        if (did == null || !did.startsWith("did:web:")) return null;
        var id = did.substring("did:web:".length());
        if (id.isEmpty() || id.contains(":")) return null; // path-based did:web is not supported by atproto
        String host;
        try {
            host = URLDecoder.decode(id, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) { // a malformed %-escape (the DID syntax allows '%'): no host
            return null;
        }
        return host.matches("[a-z0-9.-]+(:[0-9]{1,5})?") ? host : null;
    }

    /** A DID document for {@code did}: a JSON object whose {@code id} is that DID. Anything else is empty. */
    public static Optional<JsonNode> parseFor(String did, byte[] body) {
        try {
            var node = Json.READER.readTree(body);
            if (node == null || !node.isObject() || !did.equals(node.path("id").asText(null))) return Optional.empty();
            return Optional.of(node);
        } catch (IOException e) { // includes malformed JSON
            return Optional.empty();
        }
    }

    /** The handle a DID document claims: its first {@code at://} alias, normalized, when that is a valid handle. */
    public static Optional<String> handleOf(JsonNode document) {
        for (var alias : document.path("alsoKnownAs")) {
            var text = alias.asText("");
            if (text.startsWith("at://")) {
                var handle = text.substring(5);
                return Handle.isValid(handle) ? Optional.of(Handle.normalize(handle)) : Optional.empty();
            }
        }
        return Optional.empty();
    }
}
