package dev.alteran.server;

import static dev.alteran.server.OAuthTestClient.csrf;
import static dev.alteran.server.OAuthTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.pds.wire.Json;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code include:} scopes resolved at PAR time: the permission set's schema is a record of the test
 * account itself (the authority's DNS record, a stand-in, names the test server's did:web), fetched
 * over real HTTP, and the token carries the set's permissions.
 */
class OAuthPermissionSetTest {
    static final String SET = "com.example.perms.basic";
    static final AtomicReference<String> authorityDid = new AtomicReference<>();
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of(), b -> b.lexiconDns(name -> name.equals("_lexicon.perms.example.com") && authorityDid.get() != null
                ? List.of("did=" + authorityDid.get()) : List.of()));
        authorityDid.set(server.config.did());
        var session = AuthClient.login(server);
        var schema = Json.object().put("$type", "com.atproto.lexicon.schema").put("lexicon", 1).put("id", SET);
        var main = schema.putObject("defs").putObject("main").put("type", "permission-set").put("title", "Basic");
        var perms = main.putArray("permissions");
        perms.addObject().put("type", "permission").put("resource", "repo").putArray("collection").add("com.example.perms.post");
        ((com.fasterxml.jackson.databind.node.ObjectNode) perms.get(0)).putArray("action").add("create");
        // outside the set's authority: left out
        perms.addObject().put("type", "permission").put("resource", "repo").putArray("collection").add("app.bsky.feed.like");
        var body = Json.object().put("repo", server.config.did()).put("collection", "com.atproto.lexicon.schema").put("rkey", SET);
        body.set("record", schema);
        var put = server.post("/xrpc/com.atproto.repo.putRecord", body.toString(), "Authorization", "Bearer " + session.get("accessJwt").asText());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void anIncludedSetIsExpandedIntoTheTokenScope() throws Exception {
        var scope = "atproto include:" + SET;
        var c = new OAuthTestClient(server, "http://127.0.0.1:8765/callback", scope);
        var auth = c.par(scope);
        var page = c.authorizePage(auth.requestUri());
        var consent = c.submit(auth.requestUri(), csrf(page.body()),
                Map.of("action", "sign-in", "identifier", TestServer.HANDLE, "password", TestServer.PASSWORD));
        assertThat(consent.body()).contains("Create records of com.example.perms.post").doesNotContain("app.bsky.feed.like");
        var code = OAuthTestClient.redirectParams(c.submit(auth.requestUri(), csrf(consent.body()), Map.of("action", "allow"))
                .headers().firstValue("Location").orElseThrow()).get("code");
        var tokens = c.redeem(code, auth.verifier());
        assertThat(tokens.statusCode()).as(tokens.body()).isEqualTo(200);
        assertThat(json(tokens).get("scope").asText()).isEqualTo("atproto repo:com.example.perms.post?action=create");
    }

    @Test
    void anUnresolvableSetIsAnInvalidScope() throws Exception {
        var scope = "atproto include:org.nowhere.perms.basic";
        var c = new OAuthTestClient(server, "http://127.0.0.1:8765/callback", scope);
        c.postWithNonce("/oauth/par", Map.of());
        var r = c.post("/oauth/par", c.parParams("v".repeat(43), "s", scope));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("error").asText()).isEqualTo("invalid_scope");
        assertThat(json(r).get("error_description").asText()).contains("org.nowhere.perms.basic");
    }
}
