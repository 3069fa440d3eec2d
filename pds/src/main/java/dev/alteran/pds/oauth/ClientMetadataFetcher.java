package dev.alteran.pds.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.JWKSet;
import dev.alteran.pds.identity.Egress;
import dev.alteran.pds.identity.IdentityHttp;
import dev.alteran.pds.identity.ResolutionException;
import dev.alteran.pds.wire.Json;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The metadata of a client: derived for a loopback client id, fetched from the URL a discoverable
 * one names. Fetches go through the server's guarded egress with the reference's safe-fetch limits:
 * public addresses only (outside development), https, no redirects, {@link #MAX_BYTES} and
 * {@link #TIMEOUT}, and no port but 443 unless allowed. Validated metadata is kept for
 * {@link #CACHE_TTL} (at most {@link #MAX_CACHED} clients); failures are not kept.
 */
public final class ClientMetadataFetcher implements AutoCloseable {
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    public static final int MAX_BYTES = 512 * 1024;
    public static final Duration CACHE_TTL = Duration.ofMinutes(10);
    static final int MAX_CACHED = 1000;

    private record Cached(ClientMetadata metadata, Instant expires) {}

    private final IdentityHttp http;
    private final Clock clock;
    private final boolean allowCustomPorts;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private record CachedKeys(JWKSet keys, Instant expires) {}
    private final Map<String, CachedKeys> keyCache = new ConcurrentHashMap<>();

    /** @param allowCustomPorts false in production (as the reference); tests on loopback need a port of their own */
    public ClientMetadataFetcher(Egress egress, Clock clock, boolean allowCustomPorts) {
        this.http = new IdentityHttp(TIMEOUT, egress);
        this.clock = clock;
        this.allowCustomPorts = allowCustomPorts;
    }

    /** The validated metadata of {@code clientId}; 400 {@code invalid_client_metadata} (or {@code invalid_redirect_uri}) if there is none. */
    public ClientMetadata get(ClientId clientId) {
        return switch (clientId) {
            case ClientId.Loopback loopback -> ClientMetadata.loopback(loopback);
            case ClientId.Discoverable discoverable -> discoverable(discoverable);
        };
    }

    private ClientMetadata discoverable(ClientId.Discoverable clientId) {
        var now = clock.instant();
        var cached = cache.get(clientId.value());
        if (cached != null && now.isBefore(cached.expires())) return cached.metadata();
        var metadata = ClientMetadata.validate(clientId, fetch(clientId));
        if (cache.size() >= MAX_CACHED) {
            cache.values().removeIf(c -> !now.isBefore(c.expires()));
            if (cache.size() >= MAX_CACHED) cache.clear(); // a flood of distinct clients: start over rather than grow
        }
        cache.put(clientId.value(), new Cached(metadata, now.plus(CACHE_TTL)));
        return metadata;
    }

    private JsonNode fetch(ClientId.Discoverable clientId) {
        var unable = "Unable to obtain client metadata for \"" + clientId.value() + "\"";
        int port = clientId.url().getPort();
        if (!allowCustomPorts && port != -1 && port != 443) throw invalid(unable + ": custom ports are not allowed");
        IdentityHttp.Response response;
        try {
            response = http.get(clientId.url(), "application/json", MAX_BYTES, false);
        } catch (ResolutionException e) {
            throw invalid(unable + ": " + e.getMessage());
        }
        if (response.status() != 200) throw invalid(unable + ": HTTP " + response.status());
        try {
            return Json.READER.readTree(response.body());
        } catch (IOException e) {
            throw invalid(unable + ": not JSON");
        }
    }

    /**
     * The public keys a confidential client authenticates with: its inline {@code jwks}, or the set
     * at its {@code jwks_uri}, fetched like the metadata (same egress, limits, no redirects) and kept
     * {@link #CACHE_TTL}. Private keys in the set are refused. 400 {@code invalid_client} otherwise.
     */
    public JWKSet jwks(ClientMetadata metadata) {
        if (metadata.jwks() != null) return metadata.jwks();
        var uri = metadata.jwksUri();
        if (uri == null) throw new OAuthException("invalid_client", "The client has no keys (jwks or jwks_uri)", 400, false);
        var now = clock.instant();
        var cached = keyCache.get(uri);
        if (cached != null && now.isBefore(cached.expires())) return cached.keys();
        var unable = "Unable to obtain the client's jwks_uri \"" + uri + "\"";
        var url = URI.create(uri);
        if (!"https".equals(url.getScheme())) throw new OAuthException("invalid_client", unable + ": https is required", 400, false);
        if (!allowCustomPorts && url.getPort() != -1 && url.getPort() != 443) {
            throw new OAuthException("invalid_client", unable + ": custom ports are not allowed", 400, false);
        }
        IdentityHttp.Response response;
        try {
            response = http.get(url, "application/json", MAX_BYTES, false);
        } catch (ResolutionException e) {
            throw new OAuthException("invalid_client", unable + ": " + e.getMessage(), 400, false);
        }
        if (response.status() != 200) throw new OAuthException("invalid_client", unable + ": HTTP " + response.status(), 400, false);
        JWKSet keys;
        try {
            keys = JWKSet.parse(new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.text.ParseException | RuntimeException e) {
            throw new OAuthException("invalid_client", unable + ": not a JSON Web Key Set", 400, false);
        }
        if (keys.getKeys().stream().anyMatch(com.nimbusds.jose.jwk.JWK::isPrivate)) {
            throw new OAuthException("invalid_client", unable + ": private keys must not be published", 400, false);
        }
        if (keyCache.size() >= MAX_CACHED) keyCache.clear();
        keyCache.put(uri, new CachedKeys(keys, now.plus(CACHE_TTL)));
        return keys;
    }

    private static OAuthException invalid(String description) {
        return new OAuthException("invalid_client_metadata", description, 400, false);
    }

    @Override
    public void close() {
        http.close();
    }
}
