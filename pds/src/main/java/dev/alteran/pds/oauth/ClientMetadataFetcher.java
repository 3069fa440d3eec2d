package dev.alteran.pds.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.identity.Egress;
import dev.alteran.pds.identity.IdentityHttp;
import dev.alteran.pds.identity.ResolutionException;
import dev.alteran.pds.wire.Json;
import java.io.IOException;
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

    private static OAuthException invalid(String description) {
        return new OAuthException("invalid_client_metadata", description, 400, false);
    }

    @Override
    public void close() {
        http.close();
    }
}
