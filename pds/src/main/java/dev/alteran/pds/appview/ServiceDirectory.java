package dev.alteran.pds.appview;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.config.ProxyConfig;
import dev.alteran.pds.identity.DidResolver;
import dev.alteran.pds.identity.ResolutionException;
import dev.alteran.pds.wire.XrpcException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which service a proxied call goes to and where that service is. The configured AppView and chat
 * service are known without a lookup; any other {@code did#service_id} is looked up in that DID's
 * document and must be allowed: listed in {@code PDS_PROXY_ALLOWED}, or, when that list is empty,
 * of a service type the Bluesky clients proxy to ({@link #KNOWN_TYPES}). Looked-up endpoints are
 * cached for a few minutes, so a chatty client does not fetch a DID document per call.
 */
public final class ServiceDirectory {
    /** Service types of the atproto services clients reach through their PDS. */
    public static final Set<String> KNOWN_TYPES = Set.of("BskyAppView", "BskyChatService", "BskyNotificationService", "AtprotoLabeler");
    static final Duration CACHE_TTL = Duration.ofMinutes(5);
    static final int CACHE_MAX = 256;

    private final ProxyConfig config;
    private final DidResolver resolver;
    private final Clock clock;
    private final ServiceRef appView;
    private final ServiceRef chat;
    /** The moderation service (PDS_OZONE_*), or null. */
    private final ServiceRef moderation;
    private final Map<ServiceRef, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(ProxyTarget target, long expiresAtMs) {}

    public ServiceDirectory(ProxyConfig config, DidResolver resolver, Clock clock) {
        this.config = config;
        this.resolver = resolver;
        this.clock = clock;
        this.appView = new ServiceRef(config.appViewDid(), ProxyConfig.APP_VIEW_SERVICE_ID);
        this.chat = new ServiceRef(config.chatDid(), ProxyConfig.CHAT_SERVICE_ID);
        this.moderation = config.hasModeration() ? new ServiceRef(config.moderationDid(), ProxyConfig.MODERATION_SERVICE_ID) : null;
    }

    /** The configured AppView, {@code did#bsky_appview}. */
    public ServiceRef appView() {
        return appView;
    }

    /**
     * Where a method goes without an {@code atproto-proxy} header: the AppView or chat by namespace; reports
     * and Ozone's own methods to the moderation service when one is configured, as the reference PDS
     * sends them; else nowhere (null).
     */
    public ServiceRef defaultFor(String nsid) {
        if (nsid.startsWith("app.bsky.")) return appView;
        if (nsid.startsWith("chat.bsky.")) return chat;
        if (nsid.equals(CREATE_REPORT) || nsid.startsWith("tools.ozone.")) return moderation;
        return null;
    }

    static final String CREATE_REPORT = "com.atproto.moderation.createReport";

    /**
     * The origin to send {@code ref}'s calls to.
     *
     * @throws XrpcException 400 when the service is not allowed or cannot be found
     */
    public ProxyTarget resolve(ServiceRef ref) {
        if (ref.equals(appView)) return new ProxyTarget(ref, URI.create(config.appViewUrl()), "appview");
        if (ref.equals(chat)) return new ProxyTarget(ref, URI.create(config.chatUrl()), "chat");
        if (ref.equals(moderation)) return new ProxyTarget(ref, URI.create(config.moderationUrl()), "moderation");
        boolean listed = config.allowed().contains(ref.did()) || config.allowed().contains(ref.toString());
        if (!config.allowed().isEmpty() && !listed) throw notAllowed(ref);
        long now = clock.millis();
        var cached = cache.get(ref);
        if (cached != null && cached.expiresAtMs() > now) return cached.target();
        var service = serviceEntry(ref);
        if (!listed && !KNOWN_TYPES.contains(service.path("type").asText(""))) throw notAllowed(ref);
        var target = new ProxyTarget(ref, origin(service.path("serviceEndpoint").asText("")), ProxyTarget.OTHER);
        if (cache.size() >= CACHE_MAX) cache.clear(); // crude, but bounded; the next calls look up again
        cache.put(ref, new Cached(target, now + CACHE_TTL.toMillis()));
        return target;
    }

    private JsonNode serviceEntry(ServiceRef ref) {
        JsonNode doc;
        try {
            doc = resolver.resolve(ref.did()).orElseThrow(() -> XrpcException.invalidRequest("could not resolve proxy did"));
        } catch (ResolutionException e) { // also a deactivated DID
            throw XrpcException.invalidRequest("could not resolve proxy did");
        }
        for (var service : doc.path("service")) {
            var id = service.path("id").asText("");
            if (id.equals("#" + ref.serviceId()) || id.equals(ref.toString())) return service;
        }
        throw noServiceUrl();
    }

    /** The scheme, host and port of an http(s) endpoint; its path is not used, as the reference PDS does. */
    private static URI origin(String endpoint) {
        try {
            var uri = new URI(endpoint);
            var scheme = uri.getScheme();
            if (!("https".equals(scheme) || "http".equals(scheme)) || uri.getHost() == null || uri.getRawUserInfo() != null) {
                throw noServiceUrl();
            }
            return new URI(scheme, null, uri.getHost(), uri.getPort(), null, null, null);
        } catch (URISyntaxException e) {
            throw noServiceUrl();
        }
    }

    private static XrpcException noServiceUrl() {
        return XrpcException.invalidRequest("could not resolve proxy did service url");
    }

    private static XrpcException notAllowed(ServiceRef ref) {
        return XrpcException.invalidRequest("proxying to " + ref + " is not allowed by this PDS");
    }
}
