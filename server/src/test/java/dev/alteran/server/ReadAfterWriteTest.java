package dev.alteran.server;

import static dev.alteran.server.AuthClient.error;
import static dev.alteran.server.StandInService.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.atproto.syntax.Datetime;
import dev.alteran.pds.wire.Json;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** AppView answers behind our newest writes get those writes merged in (atproto-repo-rev). */
class ReadAfterWriteTest {
    static StandInService appView;
    static TestServer server;
    static String did;
    static String access;

    @BeforeAll
    static void start() throws Exception {
        appView = new StandInService();
        server = TestServer.start(Map.of("PDS_BSKY_APP_VIEW_URL", appView.url(), "PDS_BSKY_APP_VIEW_DID", "did:web:appview.test"));
        did = server.config.did();
        access = AuthClient.login(server).get("accessJwt").asText();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        appView.close();
    }

    static JsonNode write(String nsid, ObjectNode body) throws Exception {
        var r = server.post("/xrpc/" + nsid, body.toString(), "Authorization", "Bearer " + access);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return TestServer.json(r);
    }

    static JsonNode post(String text, JsonNode root, JsonNode parent) throws Exception {
        var record = Json.object().put("$type", "app.bsky.feed.post").put("text", text).put("createdAt", Datetime.now());
        if (root != null) {
            var reply = record.putObject("reply");
            reply.putObject("root").put("uri", root.get("uri").asText()).put("cid", root.get("cid").asText());
            reply.putObject("parent").put("uri", parent.get("uri").asText()).put("cid", parent.get("cid").asText());
        }
        var body = Json.object().put("repo", did).put("collection", "app.bsky.feed.post");
        body.set("record", record);
        return write("com.atproto.repo.createRecord", body);
    }

    static String rev(JsonNode writeOutput) {
        return writeOutput.get("commit").get("rev").asText();
    }

    static HttpResponse<String> get(String pathAndQuery) throws Exception {
        return server.get("/xrpc/" + pathAndQuery, "Authorization", "Bearer " + access);
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static String profileView(String forDid) {
        return "{\"did\":\"" + forDid + "\",\"handle\":\"someone.test\",\"displayName\":\"Old name\",\"description\":\"old bio\","
                + "\"avatar\":\"https://cdn.example/avatar\",\"banner\":\"https://cdn.example/banner\",\"followersCount\":5}";
    }

    @Test
    void ownProfileShowsTheNewestProfileRecord() throws Exception {
        var before = rev(post("before the profile", null, null));
        var profile = Json.object().put("repo", did).put("collection", "app.bsky.actor.profile").put("rkey", "self");
        profile.putObject("record").put("$type", "app.bsky.actor.profile").put("displayName", "New name").put("description", "new bio");
        var after = rev(write("com.atproto.repo.putRecord", profile));

        appView.onXrpc("app.bsky.actor.getProfile", json(200, profileView(did), "atproto-repo-rev", before, "content-language", "en"));
        var r = get("app.bsky.actor.getProfile?actor=" + enc(did));
        assertThat(r.statusCode()).isEqualTo(200);
        var view = TestServer.json(r);
        assertThat(view.get("displayName").asText()).isEqualTo("New name");
        assertThat(view.get("description").asText()).isEqualTo("new bio");
        assertThat(view.has("avatar")).isFalse(); // the record has none now
        assertThat(view.has("banner")).isFalse();
        assertThat(view.get("followersCount").asInt()).isEqualTo(5);
        assertThat(r.headers().firstValue("atproto-repo-rev")).hasValue(before);
        assertThat(r.headers().firstValue("content-language")).hasValue("en");
        assertThat(Long.parseLong(r.headers().firstValue("atproto-upstream-lag").orElseThrow())).isBetween(0L, 60_000L);

        // an AppView that is up to date, an old rev from another history, no rev, someone else: untouched
        for (var rev : new String[] {after, "2222222222222"}) {
            appView.onXrpc("app.bsky.actor.getProfile", json(200, profileView(did), "atproto-repo-rev", rev));
            var untouched = get("app.bsky.actor.getProfile?actor=" + enc(did));
            assertThat(untouched.body()).isEqualTo(profileView(did));
            assertThat(untouched.headers().firstValue("atproto-upstream-lag")).isEmpty();
        }
        appView.onXrpc("app.bsky.actor.getProfile", json(200, profileView(did)));
        assertThat(get("app.bsky.actor.getProfile?actor=" + enc(did)).body()).isEqualTo(profileView(did));
        appView.onXrpc("app.bsky.actor.getProfile", json(200, profileView("did:plc:someoneelse"), "atproto-repo-rev", before));
        assertThat(TestServer.json(get("app.bsky.actor.getProfile?actor=someoneelse.test")).get("displayName").asText()).isEqualTo("Old name");

        appView.onXrpc("app.bsky.actor.getProfiles", json(200,
                "{\"profiles\":[" + profileView("did:plc:someoneelse") + "," + profileView(did) + "]}", "atproto-repo-rev", before));
        var profiles = TestServer.json(get("app.bsky.actor.getProfiles?actors=did:plc:someoneelse&actors=" + enc(did))).get("profiles");
        assertThat(profiles.get(0).get("displayName").asText()).isEqualTo("Old name");
        assertThat(profiles.get(1).get("displayName").asText()).isEqualTo("New name");
        assertThat(appView.received.stream().filter(q -> q.path().endsWith("getProfiles")).findFirst().orElseThrow().query())
                .isEqualTo("actors=did:plc:someoneelse&actors=" + enc(did));
    }

    @Test
    void threadsShowOurFreshReplies() throws Exception {
        var root = post("root", null, null);
        var reply = post("a reply", root, root);
        var nested = post("a reply to the reply", root, reply);
        var rootUri = root.get("uri").asText();
        var thread = "{\"thread\":{\"$type\":\"app.bsky.feed.defs#threadViewPost\",\"post\":{\"uri\":\"" + rootUri + "\",\"cid\":\""
                + root.get("cid").asText() + "\",\"author\":{\"did\":\"" + did + "\",\"handle\":\"alice.test\"},"
                + "\"record\":{\"text\":\"root\"},\"indexedAt\":\"2024-01-01T00:00:00.000Z\"},\"replies\":[]}}";
        appView.onXrpc("app.bsky.feed.getPostThread", json(200, thread, "atproto-repo-rev", rev(root)));
        var r = get("app.bsky.feed.getPostThread?uri=" + enc(rootUri));
        assertThat(r.statusCode()).isEqualTo(200);
        var view = TestServer.json(r).get("thread");
        assertThat(view.get("post").get("uri").asText()).isEqualTo(rootUri);
        var first = view.get("replies").get(0);
        assertThat(first.get("$type").asText()).isEqualTo("app.bsky.feed.defs#threadViewPost");
        var post = first.get("post");
        assertThat(post.get("uri").asText()).isEqualTo(reply.get("uri").asText());
        assertThat(post.get("cid").asText()).isEqualTo(reply.get("cid").asText());
        assertThat(post.get("author").get("did").asText()).isEqualTo(did);
        assertThat(post.get("author").get("handle").asText()).isEqualTo(TestServer.HANDLE);
        assertThat(post.get("record").get("text").asText()).isEqualTo("a reply");
        assertThat(post.get("record").get("reply").get("parent").get("uri").asText()).isEqualTo(rootUri);
        assertThat(post.get("likeCount").asInt()).isZero();
        assertThat(post.get("indexedAt").asText()).isNotEmpty();
        assertThat(first.get("replies").get(0).get("post").get("uri").asText()).isEqualTo(nested.get("uri").asText());
    }

    @Test
    void aFreshPostTheAppViewDoesNotKnowIsBuiltHere() throws Exception {
        var root = post("root of a fresh thread", null, null);
        var reply = post("fresh reply", root, root);
        var replyUri = reply.get("uri").asText();
        var rootUri = root.get("uri").asText();
        // A whole postView, as the AppView sends it (outputs are checked against the Lexicon in tests).
        var parentThread = "{\"thread\":{\"$type\":\"app.bsky.feed.defs#threadViewPost\",\"post\":{\"uri\":\"" + rootUri
                + "\",\"cid\":\"" + root.get("cid").asText() + "\",\"author\":{\"did\":\"" + server.config.did()
                + "\",\"handle\":\"" + TestServer.HANDLE + "\"},\"record\":{\"$type\":\"app.bsky.feed.post\",\"text\":\"root of a fresh thread\","
                + "\"createdAt\":\"2026-01-01T00:00:00.000Z\"},\"indexedAt\":\"2026-01-01T00:00:00.000Z\"}}}";
        appView.onXrpc("app.bsky.feed.getPostThread", exchange -> {
            var query = URLDecoder.decode(exchange.getRequestURI().getRawQuery(), StandardCharsets.UTF_8);
            if (query.contains("uri=" + rootUri)) {
                assertThat(query).contains("depth=0");
                StandInService.send(exchange, 200, "application/json", parentThread);
            } else {
                exchange.getResponseHeaders().add("atproto-repo-rev", rev(root));
                StandInService.send(exchange, 400, "application/json", "{\"error\":\"NotFound\",\"message\":\"Post not found\"}");
            }
        });
        var byHandle = "at://" + TestServer.HANDLE + "/app.bsky.feed.post/" + replyUri.substring(replyUri.lastIndexOf('/') + 1);
        for (var uri : new String[] {replyUri, byHandle}) {
            var r = get("app.bsky.feed.getPostThread?uri=" + enc(uri));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            var thread = TestServer.json(r).get("thread");
            assertThat(thread.get("post").get("uri").asText()).isEqualTo(replyUri);
            assertThat(thread.get("post").get("record").get("text").asText()).isEqualTo("fresh reply");
            assertThat(thread.get("parent").get("post").get("uri").asText()).isEqualTo(rootUri);
            assertThat(r.headers().firstValue("atproto-upstream-lag")).isPresent();
        }
        // someone else's post the AppView does not know stays not found
        var other = get("app.bsky.feed.getPostThread?uri=" + enc("at://did:plc:someoneelse/app.bsky.feed.post/3kaaaaaaaaaaa"));
        assertThat(error(other)).isEqualTo("400 NotFound: Post not found");
    }

    static String feedItem(String uri, String authorDid, String displayName, String indexedAt) {
        return "{\"post\":{\"uri\":\"" + uri + "\",\"cid\":\"bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm\","
                + "\"author\":{\"did\":\"" + authorDid + "\",\"handle\":\"x.test\",\"displayName\":\"" + displayName + "\"},"
                + "\"record\":{\"text\":\"seen\"},\"indexedAt\":\"" + indexedAt + "\"}}";
    }

    static List<String> uris(JsonNode feed) {
        var out = new java.util.ArrayList<String>();
        feed.forEach(item -> out.add(item.get("post").get("uri").asText()));
        return out;
    }

    @Test
    void timelineAndOwnFeedShowFreshPosts() throws Exception {
        var seen = post("the AppView has this one", null, null);
        var seenUri = seen.get("uri").asText();
        var profile = Json.object().put("repo", did).put("collection", "app.bsky.actor.profile").put("rkey", "self");
        profile.putObject("record").put("$type", "app.bsky.actor.profile").put("displayName", "Feed name");
        write("com.atproto.repo.putRecord", profile);
        var first = post("fresh one", null, null).get("uri").asText();
        var second = post("fresh two", null, null).get("uri").asText();
        var otherPost = "at://did:plc:someoneelse/app.bsky.feed.post/3kaaaaaaaaaaa";

        // timeline: our fresh posts above the AppView's (older) items, newest first
        appView.onXrpc("app.bsky.feed.getTimeline", json(200, "{\"feed\":[" + feedItem(otherPost, "did:plc:someoneelse", "Other",
                "2020-01-01T00:00:00.000Z") + "],\"cursor\":\"c1\"}", "atproto-repo-rev", rev(seen)));
        var r = get("app.bsky.feed.getTimeline?limit=30");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        var timeline = TestServer.json(r);
        assertThat(uris(timeline.get("feed"))).containsExactly(second, first, otherPost);
        assertThat(timeline.get("cursor").asText()).isEqualTo("c1");
        assertThat(timeline.get("feed").get(0).get("post").get("author").get("displayName").asText()).isEqualTo("Feed name");
        assertThat(r.headers().firstValue("atproto-upstream-lag")).isPresent();
        // a page that ends after our fresh posts (they belong to a later page) is left as it is
        var future = "{\"feed\":[" + feedItem(otherPost, "did:plc:someoneelse", "Other", "2999-01-01T00:00:00.000Z") + "]}";
        appView.onXrpc("app.bsky.feed.getTimeline", json(200, future, "atproto-repo-rev", rev(seen)));
        assertThat(get("app.bsky.feed.getTimeline").body()).isEqualTo(future);

        // own feed: fresh posts, and our older items' author from the newest profile record
        var ownFeed = "{\"feed\":[" + feedItem(seenUri, did, "Old name", "2020-01-01T00:00:00.000Z") + "]}";
        appView.onXrpc("app.bsky.feed.getAuthorFeed", json(200, ownFeed, "atproto-repo-rev", rev(seen)));
        for (var actor : new String[] {did, TestServer.HANDLE}) {
            var feed = TestServer.json(get("app.bsky.feed.getAuthorFeed?actor=" + enc(actor))).get("feed");
            assertThat(uris(feed)).containsExactly(second, first, seenUri);
            assertThat(feed.get(2).get("post").get("author").get("displayName").asText()).isEqualTo("Feed name");
            assertThat(feed.get(0).get("post").get("record").get("text").asText()).isEqualTo("fresh two");
        }
        // someone else's feed: untouched
        var theirs = "{\"feed\":[" + feedItem(otherPost, "did:plc:someoneelse", "Other", "2020-01-01T00:00:00.000Z") + "]}";
        appView.onXrpc("app.bsky.feed.getAuthorFeed", json(200, theirs, "atproto-repo-rev", rev(seen)));
        assertThat(get("app.bsky.feed.getAuthorFeed?actor=someoneelse.test").body()).isEqualTo(theirs);
    }
}
