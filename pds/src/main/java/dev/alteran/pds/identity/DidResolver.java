package dev.alteran.pds.identity;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.Optional;

/**
 * DID to DID document for the two methods atproto uses: did:plc through the PLC directory
 * ({@link PlcClient}, cached), did:web by fetching {@code https://<host>/.well-known/did.json}
 * (plain http for {@code localhost}, as the reference resolver does, so local development works).
 */
public final class DidResolver {
    /** Where did:web documents live; tests point the template at a loopback server. */
    public static final String WEB_TEMPLATE = "https://{host}/.well-known/did.json";
    static final int MAX_DOCUMENT_BYTES = 64 * 1024;

    private final PlcClient plc;
    private final IdentityHttp http;
    private final String webTemplate;

    public DidResolver(PlcClient plc, IdentityHttp http) {
        this(plc, http, WEB_TEMPLATE);
    }

    /** {@code webTemplate} is a URL with {@code {host}} where the did:web host (and port) goes. */
    public DidResolver(PlcClient plc, IdentityHttp http, String webTemplate) {
        if (!webTemplate.contains("{host}")) throw new IllegalArgumentException("template without {host}");
        this.plc = plc;
        this.http = http;
        this.webTemplate = webTemplate;
    }

    /**
     * The document, or empty when the DID does not exist: the server says so (404/410, or any
     * other client error for did:web), the document is malformed or names another DID, or the DID
     * uses a method atproto does not support.
     *
     * @throws DidDeactivatedException when a did:plc was tombstoned
     * @throws ResolutionException when the server holding the document cannot be reached or fails
     */
    public Optional<JsonNode> resolve(String did) {
        if (did.startsWith("did:plc:")) return plc.fetchDocument(did);
        if (did.startsWith("did:web:")) return resolveWeb(did);
        return Optional.empty();
    }

    private Optional<JsonNode> resolveWeb(String did) {
        var host = DidDocuments.webHost(did);
        if (host == null) return Optional.empty();
        var url = webTemplate.replace("{host}", host);
        if (url.startsWith("https://localhost/") || url.startsWith("https://localhost:")) url = "http" + url.substring(5);
        // Redirects are refused, as the reference resolver does: the document must be at the DID's own host.
        var response = http.get(URI.create(url), "application/did+ld+json,application/json", MAX_DOCUMENT_BYTES, false);
        if (response.status() >= 500) throw new ResolutionException(host + " answered " + response.status() + " for its DID document");
        if (!response.ok()) return Optional.empty();
        return DidDocuments.parseFor(did, response.body());
    }
}
