package dev.alteran.pds.identity;

import dev.alteran.atproto.plc.Plc;
import dev.alteran.atproto.plc.PlcAuditEntry;
import dev.alteran.atproto.plc.PlcException;
import dev.alteran.atproto.plc.PlcHistory;
import dev.alteran.atproto.plc.PlcJson;
import dev.alteran.atproto.plc.PlcOp;
import dev.alteran.pds.wire.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads did:plc documents and audit logs from the PLC directory (PDS_PLC_URL), keeping each found
 * document for an hour: PLC documents change rarely, and describeRepo and getSession ask for ours
 * often. Also submits our own signed operations to it.
 */
public final class PlcClient {
    public static final Duration DEFAULT_TTL = Duration.ofHours(1);
    /** did:plc identifiers are 24 characters of lower-case base32. */
    static final int MAX_DOCUMENT_BYTES = 64 * 1024;
    /** An audit log grows with every operation (and every nullified one); a personal DID has a handful. */
    static final int MAX_LOG_BYTES = 4 * 1024 * 1024;
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

    /**
     * The DID's audit log ({@code /:did/log/audit}), verified with {@link Plc#verifyAuditLog}: the chain of
     * operations not nullified, and the state after the last one.
     *
     * @throws ResolutionException when the directory cannot be reached, does not know the DID, answers with an
     *     error, or sends a log that does not verify
     */
    public PlcHistory auditLog(String did) {
        var entries = auditEntries(did);
        try {
            return Plc.verifyAuditLog(did, entries);
        } catch (PlcException e) {
            throw new ResolutionException("the PLC directory sent an audit log of " + did + " that does not verify: " + e.getMessage(), e);
        }
    }

    /**
     * The DID's audit log as the directory sent it, nullified entries included, parsed but not verified
     * ({@link #auditLog} verifies).
     *
     * @throws ResolutionException when the directory cannot be reached, does not know the DID, answers with an
     *     error, or sends something that is not an audit log
     */
    public List<PlcAuditEntry> auditEntries(String did) {
        if (!Plc.isPlcDid(did)) throw new ResolutionException("not a did:plc: " + did);
        var response = http.get(URI.create(baseUrl + "/" + did + "/log/audit"), "application/json", MAX_LOG_BYTES, false);
        if (!response.ok()) throw new ResolutionException("the PLC directory answered " + response.status() + " for the audit log of " + did);
        try {
            return PlcJson.parseAuditLog(new String(response.body(), StandardCharsets.UTF_8));
        } catch (PlcException e) {
            throw new ResolutionException("the PLC directory sent a malformed audit log of " + did + ": " + e.getMessage(), e);
        }
    }

    /** What the directory answered to a submitted operation. */
    public record Submitted(int status, String message) {
        public boolean accepted() {
            return status >= 200 && status < 300;
        }
    }

    /**
     * POSTs a signed operation to {@code /:did}, as the directory takes a new operation, and forgets the cached
     * document. A refusal (4xx/5xx) is returned with the directory's message, not thrown.
     *
     * @throws ResolutionException when the directory cannot be reached in time
     */
    public Submitted submit(String did, PlcOp op) {
        if (!Plc.isPlcDid(did)) throw new ResolutionException("not a did:plc: " + did);
        var body = PlcJson.toJsonString(op).getBytes(StandardCharsets.UTF_8);
        try {
            var response = http.post(URI.create(baseUrl + "/" + did), "application/json", body, "application/json", MAX_DOCUMENT_BYTES);
            return new Submitted(response.status(), messageOf(response.body()));
        } finally {
            invalidate(did);
        }
    }

    /** The {@code message} of a JSON error body, else the body's first line (bounded); empty when there is none. */
    private static String messageOf(byte[] body) {
        var text = new String(body, StandardCharsets.UTF_8);
        try {
            var node = Json.READER.readTree(text);
            if (node != null && node.path("message").isTextual()) return abbreviate(node.path("message").asText());
        } catch (IOException e) {
            // not JSON: the text itself
        }
        return abbreviate(text.lines().findFirst().orElse(""));
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
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
