package dev.alteran.server;

import static dev.alteran.server.StandInService.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.alteran.pds.oauth.DpopVerifier;
import dev.alteran.pds.oauth.OAuthTokens;
import dev.alteran.pds.wire.Json;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The XRPC routes as an OAuth resource server, over a real server: tokens from the server's own
 * issuer ({@link OAuthTokens}) bound to a DPoP key made here, real requests with real proofs. What a
 * token's scopes allow, the DPoP checks with the reference's error shapes, revocation and expiry,
 * and that neither kind of token passes for the other.
 */
class OAuthResourceTest {
    static final String APPVIEW_DID = "did:web:appview.test";
    static final String EMAIL = "alice@example.com";
    static final String CLIENT = "https://app.example.com/client-metadata.json";

    static StandInService upstream;
    static TestServer server;
    static String did;

    @BeforeAll
    static void start() throws Exception {
        upstream = new StandInService();
        server = TestServer.start(Map.of(
                "PDS_BSKY_APP_VIEW_URL", upstream.url(),
                "PDS_BSKY_APP_VIEW_DID", APPVIEW_DID,
                "PDS_EMAIL", EMAIL));
        did = server.config.did();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        upstream.close();
    }

    @BeforeEach
    void clear() {
        upstream.received.clear();
    }

    /** A client signed in with {@code scope}: a fresh key and a token bound to it, from the server's issuer. */
    static DpopClient signedIn(String scope) {
        var client = new DpopClient(server);
        client.token = issue(server.alteran.oauthTokens(), scope, client.jkt()).accessToken();
        return client;
    }

    static OAuthTokens.Issued issue(OAuthTokens tokens, String scope, String jkt) {
        return tokens.create(new OAuthTokens.Grant(did, CLIENT, "{\"method\":\"none\"}", false, null, scope, jkt), null);
    }

    static String post(String collection) {
        var record = collection.equals("app.bsky.feed.post")
                ? Json.object().put("$type", collection).put("text", "hi").put("createdAt", Instant.now().toString())
                : Json.object().put("$type", collection).put("createdAt", Instant.now().toString())
                        .set("subject", Json.object().put("uri", "at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.feed.post/3k")
                                .put("cid", "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"));
        return Json.object().put("repo", did).put("collection", collection).set("record", record).toString();
    }

    static void assertScopeMissing(HttpResponse<String> r, String scope) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
        var body = TestServer.json(r);
        assertThat(body.path("error").asText()).isEqualTo("ScopeMissingError");
        assertThat(body.path("message").asText()).isEqualTo("Missing required scope \"" + scope + "\"");
    }

    /** The resource server's refusal: the status, the body's error, the DPoP challenge, and the next nonce. */
    static void assertChallenge(HttpResponse<String> r, int status, String error) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(TestServer.json(r).path("error").asText()).as(r.body()).isEqualTo(error);
        assertThat(TestServer.json(r).path("message").asText()).isNotEmpty();
        assertThat(r.headers().firstValue("www-authenticate").orElseThrow())
                .startsWith("DPoP ").contains("error=\"" + error + "\"");
        assertThat(r.headers().firstValue("dpop-nonce")).isPresent();
    }

    static long count(String collection) throws Exception {
        var repo = java.net.URLEncoder.encode(did, java.nio.charset.StandardCharsets.UTF_8);
        var r = server.get("/xrpc/com.atproto.repo.listRecords?repo=" + repo + "&collection=" + collection + "&limit=100");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return TestServer.json(r).path("records").size();
    }

    // ---- what the scopes allow ----

    @Test
    void aGenericSessionWritesAndEveryResponseCarriesTheNextNonce() throws Exception {
        var client = signedIn("atproto transition:generic");
        var r = client.post("/xrpc/com.atproto.repo.createRecord", post("app.bsky.feed.post"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("dpop-nonce")).isPresent();
        var uri = TestServer.json(r).path("uri").asText();
        var rkey = uri.substring(uri.lastIndexOf('/') + 1);
        var deleted = client.post("/xrpc/com.atproto.repo.deleteRecord",
                Json.object().put("repo", did).put("collection", "app.bsky.feed.post").put("rkey", rkey).toString());
        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
        assertThat(deleted.headers().firstValue("dpop-nonce")).isPresent();
    }

    @Test
    void aTokenFromTheTokenEndpointWritesWithItsKey() throws Exception {
        var app = new OAuthTestClient(server, "http://127.0.0.1:8080/callback", "atproto transition:generic");
        var auth = app.par("atproto transition:generic");
        var tokens = OAuthTestClient.json(app.redeem(app.authorize(auth), auth.verifier()));
        var client = new DpopClient(server, app.dpopKey);
        client.token = tokens.path("access_token").asText();
        client.nonce = app.nonce; // one nonce source for the authorization server and the XRPC routes
        var r = client.sendOnce("POST", "/xrpc/com.atproto.repo.createRecord", HttpRequest.BodyPublishers.ofString(post("app.bsky.feed.post")),
                "application/json", client.proof("POST", server.url("/xrpc/com.atproto.repo.createRecord"), client.nonce, client.token, c -> {}));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        var session = TestServer.json(client.get("/xrpc/com.atproto.server.getSession"));
        assertThat(session.path("did").asText()).isEqualTo(did);
        // The same token with a proof from another key is refused.
        var thief = new DpopClient(server);
        thief.token = client.token;
        assertChallenge(thief.get("/xrpc/com.atproto.server.getSession"), 401, "invalid_token");
    }

    @Test
    void aPostOnlySessionCanPostButNotLikeNorDeleteNorOverwrite() throws Exception {
        var client = signedIn("atproto repo:app.bsky.feed.post?action=create");
        var r = client.post("/xrpc/com.atproto.repo.createRecord", post("app.bsky.feed.post"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        var uri = TestServer.json(r).path("uri").asText();
        var rkey = uri.substring(uri.lastIndexOf('/') + 1);

        long likes = count("app.bsky.feed.like");
        assertScopeMissing(client.post("/xrpc/com.atproto.repo.createRecord", post("app.bsky.feed.like")),
                "repo:app.bsky.feed.like?action=create");
        // applyWrites checks each write's collection and action before anything is written.
        var writes = Json.object().put("repo", did);
        var list = writes.putArray("writes");
        list.addObject().put("$type", "com.atproto.repo.applyWrites#create").put("collection", "app.bsky.feed.post")
                .set("value", Json.READER.readTree(post("app.bsky.feed.post")).get("record"));
        list.addObject().put("$type", "com.atproto.repo.applyWrites#create").put("collection", "app.bsky.feed.like")
                .set("value", Json.READER.readTree(post("app.bsky.feed.like")).get("record"));
        long posts = count("app.bsky.feed.post");
        assertScopeMissing(client.post("/xrpc/com.atproto.repo.applyWrites", writes.toString()), "repo:app.bsky.feed.like?action=create");
        assertThat(count("app.bsky.feed.like")).isEqualTo(likes);
        assertThat(count("app.bsky.feed.post")).isEqualTo(posts);

        assertScopeMissing(client.post("/xrpc/com.atproto.repo.deleteRecord",
                Json.object().put("repo", did).put("collection", "app.bsky.feed.post").put("rkey", rkey).toString()),
                "repo:app.bsky.feed.post?action=delete");
        // putRecord may create or update: like the reference, it needs both.
        var put = Json.object().put("repo", did).put("collection", "app.bsky.feed.post").put("rkey", rkey)
                .set("record", Json.READER.readTree(post("app.bsky.feed.post")).get("record"));
        assertScopeMissing(client.post("/xrpc/com.atproto.repo.putRecord", put.toString()), "repo:app.bsky.feed.post?action=update");
        assertThat(count("app.bsky.feed.post")).isEqualTo(posts);
    }

    @Test
    void blobUploadsByMimeType() throws Exception {
        var client = signedIn("atproto blob:image/*");
        var png = new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0};
        var ok = client.send("POST", "/xrpc/com.atproto.repo.uploadBlob", HttpRequest.BodyPublishers.ofByteArray(png), "image/png");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(TestServer.json(ok).path("blob").path("mimeType").asText()).isEqualTo("image/png");
        var text = client.send("POST", "/xrpc/com.atproto.repo.uploadBlob", HttpRequest.BodyPublishers.ofString("hello"),
                "text/plain; charset=utf-8");
        assertScopeMissing(text, "blob:text/plain");
    }

    @Test
    void serviceAuthAndProxiedCallsByMethodAndAudience() throws Exception {
        var aud = APPVIEW_DID + "%23bsky_appview";
        var client = signedIn("atproto rpc:app.bsky.feed.getTimeline?aud=" + aud + " rpc:app.bsky.actor.getProfile?aud=*"
                + " rpc:app.bsky.unspecced.getConfig?aud=" + aud);
        upstream.onXrpc("app.bsky.feed.getTimeline", json(200, "{\"feed\":[]}"));
        var timeline = client.get("/xrpc/app.bsky.feed.getTimeline?limit=1");
        assertThat(timeline.statusCode()).as(timeline.body()).isEqualTo(200);
        assertThat(upstream.take().path()).isEqualTo("/xrpc/app.bsky.feed.getTimeline");
        // Proxied by the fallback: the upstream gets our service token, never the app's token or proof.
        upstream.onXrpc("app.bsky.unspecced.getConfig", json(200, "{}"));
        var config = client.get("/xrpc/app.bsky.unspecced.getConfig");
        assertThat(config.statusCode()).as(config.body()).isEqualTo(200);
        assertThat(config.headers().firstValue("dpop-nonce")).isPresent();
        var forwarded = upstream.take();
        assertThat(forwarded.header("authorization")).startsWith("Bearer ");
        assertThat(AuthClient.claims(forwarded.header("authorization").substring(7)).path("lxm").asText()).isEqualTo("app.bsky.unspecced.getConfig");
        assertThat(forwarded.header("dpop")).isNull();

        // Proxied by the fallback: refused before anything is sent upstream.
        assertScopeMissing(client.get("/xrpc/app.bsky.feed.getActorLikes?actor=" + did),
                "rpc:app.bsky.feed.getActorLikes?aud=" + aud);
        // The same method at another service is another permission.
        assertScopeMissing(client.get("/xrpc/app.bsky.feed.getTimeline", "atproto-proxy", "did:web:other.test#bsky_appview"),
                "rpc:app.bsky.feed.getTimeline?aud=did:web:other.test%23bsky_appview");
        assertThat(upstream.received).isEmpty();

        var token = client.get("/xrpc/com.atproto.server.getServiceAuth?aud=" + APPVIEW_DID + "&lxm=app.bsky.actor.getProfile");
        assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
        assertThat(AuthClient.claims(TestServer.json(token).path("token").asText()).path("lxm").asText()).isEqualTo("app.bsky.actor.getProfile");
        assertScopeMissing(client.get("/xrpc/com.atproto.server.getServiceAuth?aud=" + APPVIEW_DID + "&lxm=app.bsky.feed.getTimeline"),
                "rpc:app.bsky.feed.getTimeline?aud=" + APPVIEW_DID);
        // Without lxm the token is good for any method: only rpc:*?aud=... allows that.
        assertScopeMissing(client.get("/xrpc/com.atproto.server.getServiceAuth?aud=" + APPVIEW_DID), "rpc:*?aud=" + APPVIEW_DID);
    }

    @Test
    void identityAndAccountRoutesNeedTheirPermissions() throws Exception {
        var client = signedIn("atproto transition:generic");
        assertScopeMissing(client.post("/xrpc/com.atproto.identity.updateHandle", "{\"handle\":\"" + TestServer.HANDLE + "\"}"),
                "identity:handle");
        assertScopeMissing(client.post("/xrpc/com.atproto.identity.signPlcOperation", "{}"), "identity:*");
        assertScopeMissing(client.send("POST", "/xrpc/com.atproto.repo.importRepo", HttpRequest.BodyPublishers.ofByteArray(new byte[8]),
                "application/vnd.ipld.car"), "account:repo?action=manage");
    }

    @Test
    void routesClosedToOAuthRefuseEvenTheWidestToken() throws Exception {
        var client = signedIn("atproto transition:generic transition:email account:repo?action=manage identity:*");
        for (var call : new String[][] {
                {"POST", "com.atproto.server.createAppPassword", "{\"name\":\"x\"}"},
                {"GET", "com.atproto.server.listAppPasswords", null},
                {"POST", "com.atproto.server.revokeAppPassword", "{\"name\":\"x\"}"},
                {"POST", "com.atproto.server.activateAccount", null},
                {"POST", "com.atproto.server.deactivateAccount", "{}"}}) {
            var r = call[0].equals("GET") ? client.get("/xrpc/" + call[1])
                    : call[2] == null ? client.send("POST", "/xrpc/" + call[1], null, null)
                    : client.post("/xrpc/" + call[1], call[2]);
            assertThat(r.statusCode()).as(call[1] + " " + r.body()).isEqualTo(403);
            assertThat(TestServer.json(r).path("error").asText()).isEqualTo("Forbidden");
            assertThat(TestServer.json(r).path("message").asText()).isEqualTo("OAuth credentials are not supported for this endpoint");
        }
        var s = server.get("/xrpc/com.atproto.server.checkAccountStatus", "Authorization", "Bearer " + AuthClient.login(server).get("accessJwt").asText());
        assertThat(TestServer.json(s).path("activated").asBoolean()).isTrue();
    }

    @Test
    void getSessionShowsTheEmailOnlyWithItsScope() throws Exception {
        var without = signedIn("atproto transition:generic").get("/xrpc/com.atproto.server.getSession");
        assertThat(without.statusCode()).as(without.body()).isEqualTo(200);
        assertThat(TestServer.json(without).path("did").asText()).isEqualTo(did);
        assertThat(TestServer.json(without).has("email")).isFalse();
        assertThat(TestServer.json(without).has("emailConfirmed")).isFalse();
        for (var scope : new String[] {"atproto transition:email", "atproto account:email"}) {
            var with = TestServer.json(signedIn(scope).get("/xrpc/com.atproto.server.getSession"));
            assertThat(with.path("email").asText()).as(scope).isEqualTo(EMAIL);
            assertThat(with.path("emailConfirmed").isBoolean()).isTrue();
        }
        var session = TestServer.json(AuthClient.getSession(server, AuthClient.login(server).get("accessJwt").asText()));
        assertThat(session.path("email").asText()).isEqualTo(EMAIL);
    }

    // ---- DPoP at the resource server ----

    @Test
    void aMissingOrStaleNonceIsA401UseDpopNonceWithTheNonce() throws Exception {
        var client = signedIn("atproto transition:generic");
        var path = "/xrpc/com.atproto.server.getSession";
        var missing = client.sendOnce("GET", path, null, null, client.proof("GET", server.url(path), null, client.token, c -> {}));
        assertChallenge(missing, 401, "use_dpop_nonce");
        var fresh = missing.headers().firstValue("dpop-nonce").orElseThrow();
        var stale = client.sendOnce("GET", path, null, null, client.proof("GET", server.url(path), "bm90LWEtbm9uY2U", client.token, c -> {}));
        assertChallenge(stale, 401, "use_dpop_nonce");
        var ok = client.sendOnce("GET", path, null, null, client.proof("GET", server.url(path), fresh, client.token, c -> {}));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    }

    @Test
    void hostileProofsAreRefusedAndChangeNothing() throws Exception {
        var client = signedIn("atproto transition:generic");
        client.get("/xrpc/com.atproto.server.getSession"); // learn the nonce
        var path = "/xrpc/com.atproto.repo.createRecord";
        var url = server.url(path);
        long posts = count("app.bsky.feed.post");
        var body = post("app.bsky.feed.post");

        var cases = new java.util.LinkedHashMap<String, String>();
        cases.put("wrong htu", client.proof("POST", server.url("/xrpc/com.atproto.repo.deleteRecord"), client.nonce, client.token, c -> {}));
        cases.put("another origin", client.proof("POST", "https://evil.example" + path, client.nonce, client.token, c -> {}));
        cases.put("wrong htm", client.proof("GET", url, client.nonce, client.token, c -> {}));
        cases.put("stale iat", client.proof("POST", url, client.nonce, client.token, c -> c.issueTime(Date.from(Instant.now().minusSeconds(600)))));
        cases.put("no ath", client.proof("POST", url, client.nonce, null, c -> {}));
        cases.put("ath of another token", client.proof("POST", url, client.nonce, client.token, c -> c.claim("ath", DpopVerifier.accessTokenHash("other"))));
        cases.put("alg none", new PlainJWT(new com.nimbusds.jose.PlainHeader.Builder().type(new com.nimbusds.jose.JOSEObjectType("dpop+jwt")).build(),
                new JWTClaimsSet.Builder().jwtID(UUID.randomUUID().toString()).claim("htm", "POST").claim("htu", url)
                        .issueTime(new Date()).claim("nonce", client.nonce).claim("ath", DpopVerifier.accessTokenHash(client.token)).build()).serialize());
        for (var c : cases.entrySet()) {
            var r = client.sendOnce("POST", path, HttpRequest.BodyPublishers.ofString(body), "application/json", c.getValue());
            assertChallenge(r, 401, "invalid_dpop_proof");
        }
        // No proof at all with a DPoP token.
        assertChallenge(client.sendOnce("POST", path, HttpRequest.BodyPublishers.ofString(body), "application/json", null), 401, "invalid_dpop_proof");

        // A proof made with another key than the token is bound to.
        var other = new ECKeyGenerator(Curve.P_256).generate();
        var claims = new JWTClaimsSet.Builder().jwtID(UUID.randomUUID().toString()).claim("htm", "POST").claim("htu", url)
                .issueTime(new Date()).claim("nonce", client.nonce).claim("ath", DpopVerifier.accessTokenHash(client.token)).build();
        var wrongKey = client.sendOnce("POST", path, HttpRequest.BodyPublishers.ofString(body), "application/json", DpopClient.sign(other, claims));
        assertChallenge(wrongKey, 401, "invalid_token");
        assertThat(TestServer.json(wrongKey).path("message").asText()).isEqualTo("Invalid DPoP key binding");

        // A replayed proof: the first use works, the second is refused.
        var once = client.proof("POST", url, client.nonce, client.token, c -> {});
        var first = client.sendOnce("POST", path, HttpRequest.BodyPublishers.ofString(body), "application/json", once);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        var replay = client.sendOnce("POST", path, HttpRequest.BodyPublishers.ofString(body), "application/json", once);
        assertChallenge(replay, 401, "invalid_dpop_proof");
        assertThat(TestServer.json(replay).path("message").asText()).isEqualTo("DPoP proof replayed");
        assertThat(count("app.bsky.feed.post")).isEqualTo(posts + 1);
    }

    @Test
    void outsideDevelopmentProofsNameTheConfiguredOriginNeverTheHostHeader() throws Exception {
        try (var production = TestServer.start(Map.of("ALTERAN_ENV", "production"))) {
            var client = new DpopClient(production);
            client.token = production.alteran.oauthTokens().create(new OAuthTokens.Grant(production.config.did(), CLIENT,
                    "{\"method\":\"none\"}", false, null, "atproto transition:generic", client.jkt()), null).accessToken();
            var path = "/xrpc/com.atproto.server.getSession";
            var publicUrl = production.config.publicOrigin() + path;
            assertThat(publicUrl).startsWith("https://");
            var first = client.sendOnce("GET", path, null, null, client.proof("GET", publicUrl, null, client.token, c -> {}));
            assertChallenge(first, 401, "use_dpop_nonce");
            var ok = client.sendOnce("GET", path, null, null, client.proof("GET", publicUrl, client.nonce, client.token, c -> {}));
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            // The URL the request reached (its Host header) is not where the client is told the PDS is.
            var host = client.sendOnce("GET", path, null, null, client.proof("GET", production.url(path), client.nonce, client.token, c -> {}));
            assertChallenge(host, 401, "invalid_dpop_proof");
        }
    }

    @Test
    void aRevokedSessionIsInvalidTokenAtOnce() throws Exception {
        var client = new DpopClient(server);
        var issued = issue(server.alteran.oauthTokens(), "atproto transition:generic", client.jkt());
        client.token = issued.accessToken();
        assertThat(client.get("/xrpc/com.atproto.server.getSession").statusCode()).isEqualTo(200);
        assertThat(server.alteran.oauthTokens().revokeSession(issued.sessionId())).isTrue();
        assertChallenge(client.get("/xrpc/com.atproto.server.getSession"), 401, "invalid_token");
    }

    @Test
    void anExpiredTokenIsInvalidToken() throws Exception {
        // The server's own issuer, an hour and a half ago: its hour-long token has expired.
        var live = server.alteran.oauthTokens();
        var past = Clock.fixed(Instant.now().minus(Duration.ofMinutes(90)), ZoneOffset.UTC);
        var then = new OAuthTokens(server.alteran.database(), live.issuer(), server.config.serviceDid(),
                server.config.accessTokenSecret(), live.lifetimes(), past);
        var client = new DpopClient(server);
        client.token = issue(then, "atproto transition:generic", client.jkt()).accessToken();
        var r = client.get("/xrpc/com.atproto.server.getSession");
        assertChallenge(r, 401, "invalid_token");
        assertThat(r.headers().firstValue("www-authenticate").orElseThrow()).contains("error_description=\"Token expired\"");
    }

    @Test
    void neitherKindOfTokenPassesForTheOther() throws Exception {
        var client = signedIn("atproto transition:generic");
        // A DPoP-bound token presented as Bearer.
        var bearer = server.get("/xrpc/com.atproto.server.getSession", "Authorization", "Bearer " + client.token);
        assertThat(bearer.statusCode()).isEqualTo(400);
        assertThat(TestServer.json(bearer).path("error").asText()).isEqualTo("InvalidToken");
        // A session JWT presented as DPoP, with a good proof for it.
        var session = new DpopClient(server);
        session.token = AuthClient.login(server).get("accessJwt").asText();
        assertChallenge(session.get("/xrpc/com.atproto.server.getSession"), 401, "invalid_token");
        // A token without atproto is no atproto token, as the reference's verifier says.
        var noAtproto = new DpopClient(server);
        noAtproto.token = issue(server.alteran.oauthTokens(), "transition:generic", noAtproto.jkt()).accessToken();
        assertChallenge(noAtproto.get("/xrpc/com.atproto.server.getSession"), 401, "invalid_token");
        // The password session is as before: no nonce, no challenge.
        var plain = AuthClient.getSession(server, session.token);
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(plain.headers().firstValue("dpop-nonce")).isEmpty();
    }
}
