package dev.alteran.pds.appview;

import dev.alteran.pds.wire.XrpcException;
import dev.alteran.pds.xrpc.XrpcCall;
import dev.alteran.pds.xrpc.XrpcRouter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.atproto.lexicon.Lexicons;
import dev.alteran.atproto.lexicon.ValidationResult;
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
    private final Lexicons lexicons;

    public BskyHandlers(ProxyHandler proxy, Preferences preferences, ReadAfterWrite readAfterWrite, Lexicons lexicons) {
        this.proxy = proxy;
        this.preferences = preferences;
        this.readAfterWrite = readAfterWrite;
        this.lexicons = lexicons;
    }

    public void register(XrpcRouter router) {
        router.query("app.bsky.actor.getPreferences", this::getPreferences);
        router.procedure("app.bsky.actor.putPreferences", this::putPreferences);
        router.query("app.bsky.actor.getProfile", readAfterWrite::getProfile);
        router.query("app.bsky.actor.getProfiles", readAfterWrite::getProfiles);
        router.query("app.bsky.feed.getPostThread", readAfterWrite::getPostThread);
        router.query("app.bsky.feed.getTimeline", readAfterWrite::getTimeline);
        router.query("app.bsky.feed.getAuthorFeed", readAfterWrite::getAuthorFeed);
    }

    Object getPreferences(XrpcCall call) throws Exception {
        var principal = call.requireAuth();
        var elsewhere = proxy.elsewhere(call);
        if (elsewhere != null) {
            proxy.forward(call, principal, elsewhere);
            return null;
        }
        return Map.of("preferences", preferences.get(principal.scope() == Scope.ACCESS));
    }

    Object putPreferences(XrpcCall call) throws Exception {
        var principal = call.requireAuth();
        var elsewhere = proxy.elsewhere(call);
        if (elsewhere != null) {
            proxy.forward(call, principal, elsewhere);
            return null;
        }
        var body = call.jsonBody();
        var prefs = body.get("preferences");
        if (prefs == null) throw XrpcException.invalidRequest("Input must have the property \"preferences\"");
        var result = lexicons.validate("app.bsky.actor.defs#preferences", prefs, "Input/preferences");
        if (result.status() == ValidationResult.Status.INVALID) throw XrpcException.invalidRequest(result.errors().getFirst());
        List<ObjectNode> list = new ArrayList<>();
        for (var pref : prefs) {
            if (!pref.isObject() || !pref.path("$type").isTextual()) throw XrpcException.invalidRequest("Preference is missing a $type");
            list.add((ObjectNode) pref);
        }
        preferences.put(list, principal.scope() == Scope.ACCESS);
        return null;
    }
}
