package dev.alteran.pds.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.syntax.Nsid;
import dev.alteran.pds.identity.DidResolver;
import dev.alteran.pds.identity.DnsTxtLookup;
import dev.alteran.pds.identity.IdentityHttp;
import dev.alteran.pds.identity.ResolutionException;
import dev.alteran.pds.wire.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves the Lexicon permission set an {@code include:<nsid>} scope names, as the reference's
 * lexicon resolver does: the NSID's authority (all but its last segment, reversed into a domain)
 * publishes {@code did=<did>} in a DNS TXT record at {@code _lexicon.<domain>}; that DID's PDS holds
 * the schema as the record {@code com.atproto.lexicon.schema/<nsid>}, whose {@code main} definition
 * must be a {@code permission-set}. Resolved sets are kept {@link #CACHE_TTL} (the reference's
 * LEXICON_REFRESH_FREQUENCY). Every fetch goes through the server's guarded egress.
 */
public final class PermissionSets {
    public static final Duration CACHE_TTL = Duration.ofMinutes(5);
    static final int MAX_BYTES = 256 * 1024;
    static final String SCHEMA_COLLECTION = "com.atproto.lexicon.schema";

    private record Cached(JsonNode set, Instant expires) {}

    private final DnsTxtLookup dns;
    private final DidResolver dids;
    private final IdentityHttp http;
    private final Clock clock;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public PermissionSets(DnsTxtLookup dns, DidResolver dids, IdentityHttp http, Clock clock) {
        this.dns = dns;
        this.dids = dids;
        this.http = http;
        this.clock = clock;
    }

    /** The {@code permission-set} definition of {@code nsid}; 400 {@code invalid_scope} if it cannot be resolved. */
    public JsonNode resolve(String nsid) {
        if (!Nsid.isValid(nsid)) throw unable(nsid, "invalid NSID");
        var now = clock.instant();
        var cached = cache.get(nsid);
        if (cached != null && now.isBefore(cached.expires())) return cached.set();
        JsonNode set;
        try {
            set = fetch(nsid);
        } catch (ResolutionException | IllegalArgumentException e) {
            throw unable(nsid, e.getMessage());
        }
        if (cache.size() >= 1000) cache.clear();
        cache.put(nsid, new Cached(set, now.plus(CACHE_TTL)));
        return set;
    }

    private JsonNode fetch(String nsid) {
        var segments = List.of(nsid.split("\\."));
        var authority = new ArrayList<>(segments.subList(0, segments.size() - 1));
        java.util.Collections.reverse(authority);
        var name = "_lexicon." + String.join(".", authority);
        var records = dns.txt(name).stream().filter(t -> t.startsWith("did=")).map(t -> t.substring(4)).toList();
        if (records.size() != 1) throw unable(nsid, records.isEmpty() ? "no DID published at " + name : "several DIDs published at " + name);
        var did = records.get(0);
        var doc = dids.resolve(did).orElseThrow(() -> unable(nsid, "the DID " + did + " does not resolve"));
        String pds = null;
        for (var s : doc.path("service")) {
            var id = s.path("id").asText("");
            if (id.equals("#atproto_pds") || id.equals(did + "#atproto_pds")) pds = s.path("serviceEndpoint").asText(null);
        }
        if (pds == null) throw unable(nsid, "the DID " + did + " names no PDS");
        var url = URI.create(pds.replaceAll("/+$", "") + "/xrpc/com.atproto.repo.getRecord?repo=" + enc(did) + "&collection="
                + SCHEMA_COLLECTION + "&rkey=" + enc(nsid));
        var response = http.get(url, "application/json", MAX_BYTES, false);
        if (response.status() != 200) throw unable(nsid, "the schema record is not available (HTTP " + response.status() + ")");
        JsonNode record;
        try {
            record = Json.READER.readTree(response.body());
        } catch (IOException e) {
            throw unable(nsid, "the schema record is not JSON");
        }
        var value = record == null ? null : record.get("value");
        if (value == null || !nsid.equals(value.path("id").asText(null))) throw unable(nsid, "the schema record is for another NSID");
        var main = value.path("defs").path("main");
        if (!"permission-set".equals(main.path("type").asText(null))) throw unable(nsid, "its main definition is not a permission-set");
        return main;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static OAuthException unable(String nsid, String why) {
        return new OAuthException("invalid_scope", "Unable to resolve permission set \"" + nsid + "\": " + why, 400, false);
    }
}
