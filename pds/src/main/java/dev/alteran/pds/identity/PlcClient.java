package dev.alteran.pds.identity;

import dev.alteran.atproto.plc.Plc;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads did:plc documents from the PLC directory (PDS_PLC_URL), keeping each found document for an
 * hour: PLC documents change rarely, and describeRepo and getSession ask for ours often.
 */
public final class PlcClient {
    public static final Duration DEFAULT_TTL = Duration.ofHours(1);
    /** did:plc identifiers are 24 characters of lower-case base32. */
    static final int MAX_DOCUMENT_BYTES = 64 * 1024;
    /** Anyone can make us look up DIDs (resolveDid); the cache must not grow without bound. */
    static final int MAX_CACHED = 1000;

    private final String baseUrl;
    private final IdentityHttp http;
    private final Duration ttl;
    private final Clock clock;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(JsonNode document, Instant fetched) {}

    public PlcClient(String baseUrl, IdentityHttp http) {
        this(baseUrl, http, DEFAULT_TTL, Clock.systemUTC());
    }

    public PlcClient(String baseUrl, IdentityHttp http, Duration ttl, Clock clock) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.http = http;
        this.ttl = ttl;
        this.clock = clock;
    }

    /**
     * The DID document, from the cache when it is younger than the TTL. Empty when the directory
     * does not know the DID (or the DID is not a well-formed did:plc).
     *
     * @throws DidDeactivatedException when the directory says the DID was tombstoned
     * @throws ResolutionException when the directory cannot be reached or answers with an error or a malformed document
     */
    public Optional<JsonNode> fetchDocument(String did) {
        var cached = cache.get(did);
        if (cached != null && cached.fetched().plus(ttl).isAfter(clock.instant())) return Optional.of(cached.document());
        return fetchFresh(did);
    }

    /** Like {@link #fetchDocument} but always asks the directory (and refreshes the cache). */
    public Optional<JsonNode> fetchFresh(String did) {
        if (!Plc.isPlcDid(did)) return Optional.empty();
        var response = http.get(URI.create(baseUrl + "/" + did), "application/did+ld+json,application/json", MAX_DOCUMENT_BYTES, false);
        if (response.status() == 404) {
            cache.remove(did);
            return Optional.empty();
        }
        if (response.status() == 410) {
            cache.remove(did);
            throw new DidDeactivatedException(did);
        }
        if (!response.ok()) throw new ResolutionException("the PLC directory answered " + response.status() + " for " + did);
        var document = DidDocuments.parseFor(did, response.body())
                .orElseThrow(() -> new ResolutionException("the PLC directory sent a malformed document for " + did));
        remember(did, document);
        return Optional.of(document);
    }

    public void invalidate(String did) {
        cache.remove(did);
    }

    private void remember(String did, JsonNode document) {
        if (cache.size() >= MAX_CACHED) {
            var now = clock.instant();
            cache.values().removeIf(c -> !c.fetched().plus(ttl).isAfter(now));
            if (cache.size() >= MAX_CACHED) cache.clear();
        }
        cache.put(did, new Cached(document, clock.instant()));
    }
}
