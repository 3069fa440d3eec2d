package dev.alteran.pds.appview;

import dev.alteran.pds.wire.XrpcResponses;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.atproto.syntax.AtUri;
import dev.alteran.pds.auth.Principal;
import dev.alteran.pds.identity.DidDocuments;
import dev.alteran.pds.identity.Identity;
import dev.alteran.pds.store.RecordIndex;
import dev.alteran.pds.wire.Json;
import dev.alteran.pds.xrpc.XrpcCall;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-after-write, as the reference PDS does it: an AppView answer says, in {@code atproto-repo-rev},
 * how far into our repository the AppView has read. Records we wrote after that rev are merged into
 * the answer, so a user sees their new profile and their new post at once instead of after the
 * AppView catches up. Done for getProfile, getProfiles, getPostThread, getTimeline and getAuthorFeed
 * (the user's own feed); the answer then carries
 * {@code Atproto-Upstream-Lag} (milliseconds since the oldest merged write). Anything unexpected
 * sends the AppView's answer on unchanged.
 */
public final class ReadAfterWrite {
    private static final Logger log = LoggerFactory.getLogger(ReadAfterWrite.class);
    /** How many newer records are looked at, as the reference PDS: enough for a user's last few actions. */
    static final int LIMIT = 10;
    static final String THREAD_VIEW = "app.bsky.feed.defs#threadViewPost";

    private final ProxyHandler proxy;
    private final Pipethrough pipethrough;
    private final RecordIndex records;
    private final Identity identity;
    private final DidDocuments didDocuments;
    private final Clock clock;

    public ReadAfterWrite(ProxyHandler proxy, Pipethrough pipethrough, RecordIndex records, Identity identity,
                          DidDocuments didDocuments, Clock clock) {
        this.proxy = proxy;
        this.pipethrough = pipethrough;
        this.records = records;
        this.identity = identity;
        this.didDocuments = didDocuments;
        this.clock = clock;
    }

    /** Our records newer than an AppView's rev: the profile (if rewritten) and posts, oldest first. */
    record Local(int count, RecordIndex.Written profile, List<RecordIndex.Written> posts) {
        Long lagMs(Clock clock) {
            String oldest = profile == null ? null : profile.indexedAt();
            for (var post : posts) if (oldest == null || post.indexedAt().compareTo(oldest) < 0) oldest = post.indexedAt();
            return oldest == null ? null : clock.millis() - Instant.parse(oldest).toEpochMilli();
        }
    }

    @FunctionalInterface
    interface Munge {
        JsonNode apply(LocalViewer viewer, JsonNode original, Local local, String requester);
    }

    public Object getProfile(XrpcCall call) throws IOException {
        return pipe(call, (viewer, original, local, requester) -> {
            if (local.profile() == null || !requester.equals(original.path("did").asText())) return original;
            return viewer.updateProfileDetailed((ObjectNode) original, local.profile().record().value());
        });
    }

    public Object getProfiles(XrpcCall call) throws IOException {
        return pipe(call, (viewer, original, local, requester) -> {
            if (local.profile() == null || !original.path("profiles").isArray()) return original;
            var out = ((ObjectNode) original).deepCopy();
            var profiles = out.putArray("profiles");
            for (var profile : original.get("profiles")) {
                boolean ours = profile.isObject() && requester.equals(profile.path("did").asText());
                profiles.add(ours ? viewer.updateProfileDetailed((ObjectNode) profile, local.profile().record().value()) : profile);
            }
            return out;
        });
    }

    public Object getPostThread(XrpcCall call) throws IOException {
        var principal = call.principal();
        var target = proxy.target(call);
        var up = pipethrough.send(call, principal, target, true);
        if (up.status() >= 400) {
            Pipethrough.copyAtprotoHeaders(up, call.response());
            var rev = up.header("atproto-repo-rev");
            var error = Pipethrough.readError(up);
            if ("NotFound".equals(error.error()) && rev != null) {
                var thread = notFoundThread(call, principal, target, rev);
                if (thread != null) return thread;
            }
            throw error.toException();
        }
        return munge(call, principal, up, (viewer, original, local, requester) -> {
            var thread = original.get("thread");
            if (thread == null || !THREAD_VIEW.equals(thread.path("$type").asText())) return original;
            var out = ((ObjectNode) original).deepCopy();
            out.set("thread", addPostsToThread(viewer, (ObjectNode) thread, local.posts()));
            return out;
        });
    }

    public Object getTimeline(XrpcCall call) throws IOException {
        return pipe(call, (viewer, original, local, requester) -> {
            if (!original.path("feed").isArray()) return original;
            var out = ((ObjectNode) original).deepCopy();
            out.set("feed", insertPostsInFeed(viewer, (ArrayNode) original.get("feed"), local.posts()));
            return out;
        });
    }

    /** Only the user's own feed: their fresh posts, and their own posts' author views from the newest profile. */
    public Object getAuthorFeed(XrpcCall call) throws IOException {
        var actor = call.param("actor");
        return pipe(call, (viewer, original, local, requester) -> {
            boolean own = actor != null && (actor.equals(requester) || identity.isOurHandle(actor));
            if (!own || !original.path("feed").isArray()) return original;
            var feed = (ArrayNode) original.get("feed");
            if (local.profile() != null) {
                var updated = Json.array();
                for (var item : feed) {
                    var author = item.path("post").path("author");
                    if (author.isObject() && requester.equals(author.path("did").asText())) {
                        var copy = ((ObjectNode) item).deepCopy();
                        ((ObjectNode) copy.get("post")).set("author", viewer.updateProfileBasic((ObjectNode) author, local.profile().record().value()));
                        updated.add(copy);
                    } else {
                        updated.add(item);
                    }
                }
                feed = updated;
            }
            var out = ((ObjectNode) original).deepCopy();
            out.set("feed", insertPostsInFeed(viewer, feed, local.posts()));
            return out;
        });
    }

    /**
     * {@code feed} with our fresh posts that are newer than its last item and not in it yet, all ordered
     * newest first by indexedAt, as the reference PDS merges them.
     */
    private static ArrayNode insertPostsInFeed(LocalViewer viewer, ArrayNode feed, List<RecordIndex.Written> posts) {
        if (posts.isEmpty()) return feed;
        var last = feed.isEmpty() ? "" : feed.get(feed.size() - 1).path("post").path("indexedAt").asText("");
        var inFeed = new HashSet<String>();
        for (var item : feed) inFeed.add(item.path("post").path("uri").asText());
        var items = new ArrayList<JsonNode>();
        for (var post : posts.reversed()) { // newest first, so posts of the same millisecond stay in that order after the stable sort
            if (post.indexedAt().compareTo(last) < 0 || inFeed.contains(post.record().uri())) continue;
            var item = Json.object();
            item.set("post", viewer.postView(post));
            items.add(item);
        }
        if (items.isEmpty()) return feed;
        feed.forEach(items::add);
        items.sort(Comparator.comparing((JsonNode item) -> item.path("post").path("indexedAt").asText("")).reversed());
        var out = Json.array();
        items.forEach(out::add);
        return out;
    }

    private Object pipe(XrpcCall call, Munge munge) throws IOException {
        var principal = call.principal();
        var up = pipethrough.send(call, principal, proxy.target(call), true);
        if (up.status() >= 400) {
            Pipethrough.copyAtprotoHeaders(up, call.response());
            throw Pipethrough.readError(up).toException();
        }
        return munge(call, principal, up, munge);
    }

    /** Streams the answer unless it is JSON behind our newest records; then merges them in. */
    private Object munge(XrpcCall call, Principal principal, UpstreamClient.Response up, Munge munge) throws IOException {
        var resp = call.response();
        var rev = up.header("atproto-repo-rev");
        var type = up.header("content-type");
        boolean json = type == null || type.toLowerCase(Locale.ROOT).matches("application/([a-z0-9.-]+\\+)?json.*");
        var local = up.status() == 200 && rev != null && json ? local(rev) : null;
        if (local == null || local.count() == 0) {
            pipethrough.stream(up, resp);
            return null;
        }
        var bytes = Pipethrough.readAll(up);
        JsonNode merged;
        try {
            var original = Pipethrough.parseJson(up, bytes);
            merged = original.isObject() ? munge.apply(viewer(call), original, local, principal.did()) : null;
        } catch (IOException | RuntimeException e) {
            log.warn("read-after-write skipped for {}: {}", call.nsid(), e.toString());
            merged = null;
        }
        if (merged == null) {
            Pipethrough.writeBuffered(up, bytes, resp);
        } else {
            writeMerged(up, merged, local, resp);
        }
        return null;
    }

    private void writeMerged(UpstreamClient.Response up, JsonNode merged, Local local, HttpServletResponse resp) throws IOException {
        Pipethrough.copyAtprotoHeaders(up, resp);
        var language = up.header("content-language");
        if (language != null) resp.setHeader("Content-Language", language);
        var lag = local.lagMs(clock);
        if (lag != null) resp.setHeader("Atproto-Upstream-Lag", Long.toString(lag));
        XrpcResponses.writeJson(resp, 200, merged);
    }

    Local local(String rev) {
        RecordIndex.Written profile = null;
        var posts = new ArrayList<RecordIndex.Written>();
        var written = records.writtenAfter(rev, LIMIT);
        for (var w : written) {
            var uri = w.record().uri();
            if (uri.endsWith("/" + LocalViewer.PROFILE + "/self")) profile = w;
            else if (uri.contains("/" + LocalViewer.POST + "/")) posts.add(w);
        }
        return new Local(written.size(), profile, posts);
    }

    private LocalViewer viewer(XrpcCall call) {
        return new LocalViewer(identity.did(), identity.handle(), didDocuments.serviceEndpoint(call.request()), records);
    }

    // ---- getPostThread ----

    /** Our fresh posts that reply into {@code thread}, inserted under their parents (newest first among replies). */
    private ObjectNode addPostsToThread(LocalViewer viewer, ObjectNode thread, List<RecordIndex.Written> posts) {
        var out = thread;
        var rootUri = thread.path("post").path("uri").asText();
        var threadRoot = thread.path("post").path("record").path("reply").path("root").path("uri").asText(null);
        for (var post : posts) {
            var root = replyUri(post, "root");
            if (root == null || !(root.equals(rootUri) || root.equals(threadRoot))) continue;
            out = insertIntoReplies(viewer, out, post);
        }
        return out;
    }

    private ObjectNode insertIntoReplies(LocalViewer viewer, ObjectNode view, RecordIndex.Written post) {
        if (view.path("post").path("uri").asText().equals(replyUri(post, "parent"))) {
            var out = view.deepCopy();
            var replies = Json.array().add(threadView(viewer, post));
            if (view.path("replies").isArray()) replies.addAll((ArrayNode) view.get("replies"));
            out.set("replies", replies);
            return out;
        }
        if (!view.path("replies").isArray()) return view;
        var out = view.deepCopy();
        var replies = out.putArray("replies");
        for (var reply : view.get("replies")) {
            boolean nested = reply.isObject() && THREAD_VIEW.equals(reply.path("$type").asText());
            replies.add(nested ? insertIntoReplies(viewer, (ObjectNode) reply, post) : reply);
        }
        return out;
    }

    private static ObjectNode threadView(LocalViewer viewer, RecordIndex.Written post) {
        var out = Json.object().put("$type", THREAD_VIEW);
        out.set("post", viewer.postView(post));
        return out;
    }

    private static String replyUri(RecordIndex.Written post, String which) {
        var reply = post.record().value().get("reply");
        if (!(reply instanceof Map<?, ?> r) || !(r.get(which) instanceof Map<?, ?> ref)) return null;
        return ref.get("uri") instanceof String s ? s : null;
    }

    /**
     * The AppView does not know a post yet: if it is one of our fresh posts, the thread is built here
     * (with our other fresh replies under it, and its parents asked of the AppView); otherwise null.
     */
    private Object notFoundThread(XrpcCall call, Principal principal, ProxyTarget target, String rev) throws IOException {
        var uriParam = call.param("uri");
        if (uriParam == null || !AtUri.isValid(uriParam)) return null;
        var uri = AtUri.parse(uriParam);
        var authority = uri.authority().value();
        if (uri.rkey() == null || !authority.equals(principal.did()) && !identity.isOurHandle(authority)) return null;
        var wanted = "at://" + principal.did() + "/" + uri.collection().value() + "/" + uri.rkey().value();
        var local = local(rev);
        var found = local.posts().stream().filter(p -> p.record().uri().equals(wanted)).findFirst().orElse(null);
        if (found == null) return null;
        var viewer = viewer(call);
        var rest = local.posts().stream().filter(p -> p != found).toList();
        var thread = addPostsToThread(viewer, threadView(viewer, found), rest);
        var parent = replyUri(found, "parent");
        if (parent != null) {
            var parentThread = parentThread(call, principal, target, parent);
            if (parentThread != null) thread.set("parent", parentThread);
        }
        var out = Json.object();
        out.set("thread", thread);
        var lag = local.lagMs(clock);
        if (lag != null) call.response().setHeader("Atproto-Upstream-Lag", Long.toString(lag));
        return out;
    }

    /** The parents of a fresh reply, from the AppView; null when it cannot give them. */
    private JsonNode parentThread(XrpcCall call, Principal principal, ProxyTarget target, String parentUri) {
        var query = "uri=" + URLEncoder.encode(parentUri, StandardCharsets.UTF_8) + "&depth=0";
        var parentHeight = call.param("parentHeight");
        if (parentHeight != null && parentHeight.matches("[0-9]{1,4}")) query += "&parentHeight=" + parentHeight;
        try (var up = pipethrough.get(principal, target, "app.bsky.feed.getPostThread", query)) {
            if (up.status() != 200) return null;
            return Pipethrough.parseJson(up, Pipethrough.readAll(up)).get("thread");
        } catch (IOException | RuntimeException e) {
            return null; // the thread is still worth showing without its parents
        }
    }
}
