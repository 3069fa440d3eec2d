package dev.alteran.pds.appview;

import static dev.alteran.pds.http.RateLimiter.Bucket.WRITE;
import static dev.alteran.pds.xrpc.AuthLevel.ACCESS;
import dev.alteran.pds.wire.XrpcException;
import dev.alteran.pds.xrpc.XrpcCall;
import dev.alteran.pds.xrpc.XrpcRouter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.pds.auth.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code app.bsky.*} methods this PDS answers itself: preferences (kept here, unless the client
 * names another AppView), and the AppView reads that get our newest records merged in. Every other
 * {@code app.bsky.*} method goes to the AppView through the {@link ProxyHandler} fallback.
 */
public final class BskyHandlers {
    private final ProxyHandler proxy;
    private final Preferences preferences;
    private final ReadAfterWrite readAfterWrite;

    public BskyHandlers(ProxyHandler proxy, Preferences preferences, ReadAfterWrite readAfterWrite) {
        this.proxy = proxy;
        this.preferences = preferences;
        this.readAfterWrite = readAfterWrite;
    }

    public void register(XrpcRouter router) {
        // Each needs an OAuth token's rpc permission for the AppView (or the service named), as if proxied.
        router.query("app.bsky.actor.getPreferences", ACCESS, proxy.rpc(this::getPreferences));
        router.procedure("app.bsky.actor.putPreferences", ACCESS, WRITE, proxy.rpc(this::putPreferences));
        router.query("app.bsky.actor.getProfile", ACCESS, proxy.rpc(readAfterWrite::getProfile));
        router.query("app.bsky.actor.getProfiles", ACCESS, proxy.rpc(readAfterWrite::getProfiles));
        router.query("app.bsky.feed.getPostThread", ACCESS, proxy.rpc(readAfterWrite::getPostThread));
        router.query("app.bsky.feed.getTimeline", ACCESS, proxy.rpc(readAfterWrite::getTimeline));
        router.query("app.bsky.feed.getAuthorFeed", ACCESS, proxy.rpc(readAfterWrite::getAuthorFeed));
    }

    Object getPreferences(XrpcCall call) throws Exception {
        var principal = call.principal();
        var elsewhere = proxy.elsewhere(call);
        if (elsewhere != null) {
            proxy.forward(call, principal, elsewhere);
            return null;
        }
        return Map.of("preferences", preferences.get(principal.scope() == Scope.ACCESS));
    }

    Object putPreferences(XrpcCall call) throws Exception {
        var principal = call.principal();
        var elsewhere = proxy.elsewhere(call);
        if (elsewhere != null) {
            proxy.forward(call, principal, elsewhere);
            return null;
        }
        // The servlet checked the input against the Lexicon: preferences is an array of typed objects.
        var prefs = call.jsonBody().get("preferences");
        List<ObjectNode> list = new ArrayList<>();
        for (var pref : prefs) {
            if (!pref.isObject() || !pref.path("$type").isTextual()) throw XrpcException.invalidRequest("Preference is missing a $type");
            list.add((ObjectNode) pref);
        }
        preferences.put(list, principal.scope() == Scope.ACCESS);
        return null;
    }
}
