package dev.alteran.pds.identity;

import dev.alteran.atproto.syntax.Did;
import dev.alteran.atproto.syntax.Handle;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handle to DID, as the handle spec says: a DNS TXT record {@code _atproto.<handle>} holding exactly
 * one {@code did=<did>}, or the DID as the body of {@code https://<handle>/.well-known/atproto-did}.
 * Both are tried at once; DNS wins when it answers. This only says which DID a handle claims; the
 * caller checks the other direction (the DID document naming the handle) when it matters.
 */
public final class HandleResolver {
    private static final Logger log = LoggerFactory.getLogger(HandleResolver.class);
    /** Where the HTTPS method looks; tests point the template at a loopback server. */
    public static final String WELL_KNOWN_TEMPLATE = "https://{handle}/.well-known/atproto-did";
    static final String DNS_PREFIX = "did=";
    /** A DID is at most 2 KiB; the rest is room for a newline and a little slack. */
    static final int MAX_WELL_KNOWN_BYTES = 4096;

    private final DnsTxtLookup dns;
    private final IdentityHttp http;
    private final String wellKnownTemplate;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    public HandleResolver(DnsTxtLookup dns, IdentityHttp http) {
        this(dns, http, WELL_KNOWN_TEMPLATE);
    }

    /** {@code wellKnownTemplate} is a URL with {@code {handle}} where the handle goes. */
    public HandleResolver(DnsTxtLookup dns, IdentityHttp http, String wellKnownTemplate) {
        if (!wellKnownTemplate.contains("{handle}")) throw new IllegalArgumentException("template without {handle}");
        this.dns = dns;
        this.http = http;
        this.wellKnownTemplate = wellKnownTemplate;
    }

    /**
     * The DID the handle claims, or empty when neither method gives one (including when the servers
     * involved fail: resolution is best-effort and callers treat both the same). Handles under the
     * TLDs the spec reserves (.local, .internal, .onion, ...) never resolve.
     */
    public Optional<String> resolve(Handle handle) {
        var h = handle.normalized().value();
        if (Handle.isDisallowedTld(h)) return Optional.empty();
        var viaHttps = CompletableFuture.supplyAsync(() -> resolveHttps(h), executor);
        var viaDns = resolveDns(h);
        if (viaDns.isPresent()) {
            viaHttps.cancel(true);
            return viaDns;
        }
        return viaHttps.join();
    }

    Optional<String> resolveDns(String handle) {
        try {
            return didFromTxtRecords(dns.txt("_atproto." + handle));
        } catch (RuntimeException e) {
            log.debug("DNS resolution of {} failed: {}", handle, e.getMessage());
            return Optional.empty();
        }
    }

    Optional<String> resolveHttps(String handle) {
        try {
            var uri = URI.create(wellKnownTemplate.replace("{handle}", handle));
            var response = http.get(uri, "text/plain", MAX_WELL_KNOWN_BYTES, true);
            return response.ok() ? didFromWellKnown(response.body()) : Optional.empty();
        } catch (RuntimeException e) {
            log.debug("HTTPS resolution of {} failed: {}", handle, e.getMessage());
            return Optional.empty();
        }
    }

    /** Exactly one record starting with {@code did=}, holding a valid DID; several are ambiguous, so none. */
    static Optional<String> didFromTxtRecords(List<String> records) {
        var found = records.stream().filter(r -> r.startsWith(DNS_PREFIX)).toList();
        if (found.size() != 1) return Optional.empty();
        var did = found.getFirst().substring(DNS_PREFIX.length()).strip();
        return Did.isValid(did) ? Optional.of(did) : Optional.empty();
    }

    /** The first line of the body, trimmed, when it is a valid DID. */
    static Optional<String> didFromWellKnown(byte[] body) {
        var text = new String(body, StandardCharsets.UTF_8);
        int eol = text.indexOf('\n');
        var did = (eol < 0 ? text : text.substring(0, eol)).strip();
        return Did.isValid(did) ? Optional.of(did) : Optional.empty();
    }
}
