package dev.alteran.pds.config;

import dev.alteran.atproto.syntax.Did;
import java.util.List;

/**
 * Where the PDS forwards the XRPC methods it does not serve itself (the Bluesky AppView for
 * {@code app.bsky.*}, the chat service for {@code chat.bsky.*}, any service an {@code atproto-proxy}
 * header names) and the limits of that forwarding.
 *
 * @param moderationUrl {@code PDS_OZONE_URL}: the moderation service (Ozone) that {@code com.atproto.moderation.createReport}
 *     and {@code tools.ozone.*} go to without an {@code atproto-proxy} header; null when none is configured
 * @param moderationDid {@code PDS_OZONE_DID}: that service's DID (the audience of the service-auth tokens sent to it)
 * @param allowed {@code PDS_PROXY_ALLOWED}: DIDs (any of their services) or {@code did#service_id}
 *     references a client may name in {@code atproto-proxy}; empty means any service whose DID
 *     document gives it a known atproto service type. The configured AppView and chat service are
 *     always allowed.
 */
public record ProxyConfig(
        String appViewUrl,
        String appViewDid,
        String chatUrl,
        String chatDid,
        String moderationUrl,
        String moderationDid,
        List<String> allowed,
        long headersTimeoutMs,
        long bodyTimeoutMs,
        long maxResponseBytes) {

    public static final List<String> NAMES = List.of(
            "PDS_BSKY_APP_VIEW_URL", "PDS_BSKY_APP_VIEW_DID", "PDS_CHAT_URL", "PDS_CHAT_DID", "PDS_PROXY_ALLOWED",
            "PDS_PROXY_HEADERS_TIMEOUT", "PDS_PROXY_BODY_TIMEOUT", "PDS_PROXY_MAX_RESPONSE_SIZE",
            // the original Alteran's names: its chat settings (aliases of PDS_CHAT_*) and its moderation service
            "PDS_BSKY_CHAT_URL", "PDS_BSKY_CHAT_DID", "PDS_OZONE_URL", "PDS_OZONE_DID");
    public static final String DEFAULT_APP_VIEW_URL = "https://api.bsky.app";
    public static final String DEFAULT_APP_VIEW_DID = "did:web:api.bsky.app";
    public static final String DEFAULT_CHAT_URL = "https://api.bsky.chat";
    public static final String DEFAULT_CHAT_DID = "did:web:api.bsky.chat";
    /** The service ids the configured services are known by, in {@code atproto-proxy} and DID documents. */
    public static final String APP_VIEW_SERVICE_ID = "bsky_appview";
    public static final String CHAT_SERVICE_ID = "bsky_chat";
    /** The service id of a moderation service (a labeler), as the reference PDS addresses it. */
    public static final String MODERATION_SERVICE_ID = "atproto_labeler";

    /** The service URLs are kept without a trailing slash, as paths are appended to them. */
    public ProxyConfig {
        appViewUrl = Config.stripTrailingSlash(appViewUrl);
        chatUrl = Config.stripTrailingSlash(chatUrl);
        if (moderationUrl != null) moderationUrl = Config.stripTrailingSlash(moderationUrl);
    }

    /** Bluesky's AppView and chat service, any service a client names, and the default limits. */
    public static ProxyConfig defaults() {
        return new ProxyConfig(DEFAULT_APP_VIEW_URL, DEFAULT_APP_VIEW_DID, DEFAULT_CHAT_URL, DEFAULT_CHAT_DID, null, null, List.of(),
                10_000, 30_000, 10L * 1024 * 1024);
    }

    /** {@code did#bsky_appview}: how clients name the configured AppView. */
    public String appViewRef() {
        return appViewDid + "#" + APP_VIEW_SERVICE_ID;
    }

    /** {@code did#bsky_chat}: how clients name the configured chat service. */
    public String chatRef() {
        return chatDid + "#" + CHAT_SERVICE_ID;
    }

    /** Whether a moderation service is configured. */
    public boolean hasModeration() {
        return moderationUrl != null && moderationDid != null;
    }

    void addProblems(Environment env, List<String> problems) {
        url(problems, env, "PDS_BSKY_APP_VIEW_URL", appViewUrl);
        url(problems, env, "PDS_CHAT_URL", chatUrl);
        did(problems, "PDS_BSKY_APP_VIEW_DID", appViewDid);
        did(problems, "PDS_CHAT_DID", chatDid);
        if ((moderationUrl == null) != (moderationDid == null)) {
            problems.add("PDS_OZONE_URL and PDS_OZONE_DID: set both (the moderation service's URL and its DID) or neither");
        }
        if (moderationUrl != null) url(problems, env, "PDS_OZONE_URL", moderationUrl);
        if (moderationDid != null) did(problems, "PDS_OZONE_DID", moderationDid);
        for (var entry : allowed) {
            int hash = entry.indexOf('#');
            var did = hash < 0 ? entry : entry.substring(0, hash);
            boolean idOk = hash < 0 || entry.substring(hash + 1).matches("[A-Za-z0-9._~:-]+");
            if (!Did.isValid(did) || !idOk) {
                problems.add("PDS_PROXY_ALLOWED: '" + entry + "' is not a DID or a did#service_id reference");
            }
        }
        if (headersTimeoutMs <= 0) problems.add("PDS_PROXY_HEADERS_TIMEOUT: must be a positive number, not " + headersTimeoutMs);
        if (bodyTimeoutMs <= 0) problems.add("PDS_PROXY_BODY_TIMEOUT: must be a positive number, not " + bodyTimeoutMs);
        if (maxResponseBytes <= 0) problems.add("PDS_PROXY_MAX_RESPONSE_SIZE: must be a positive number, not " + maxResponseBytes);
    }

    private static void url(List<String> problems, Environment env, String name, String value) {
        if (!value.matches("https?://[^/\\s?#@]+/?")) {
            problems.add(name + ": '" + value + "' is not an http(s) origin like " + DEFAULT_APP_VIEW_URL);
        } else if (env != Environment.DEV && !value.startsWith("https://")) {
            problems.add(name + ": must be https outside development, not '" + value + "'");
        }
    }

    private static void did(List<String> problems, String name, String value) {
        if (!Did.isValid(value) || !(value.startsWith("did:web:") || value.startsWith("did:plc:"))) {
            problems.add(name + ": '" + value + "' is not a did:web or did:plc DID");
        }
    }
}
