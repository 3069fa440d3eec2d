package dev.alteran.server;

import static dev.alteran.server.OAuthTestClient.csrf;
import static dev.alteran.server.OAuthTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSObject;
import dev.alteran.pds.oauth.OAuthException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The authorization server end to end over real HTTP: a loopback client pushes its request, the
 * owner signs in and allows on the server's pages (forms, cookies, CSRF), the client redeems the code
 * and refreshes, and the hostile variants of each step get the reference's error and change nothing.
 */
class OAuthFlowTest {
    static final String REDIRECT = "http://127.0.0.1:8765/callback";
    static final String SCOPE = "atproto transition:generic";
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    OAuthTestClient client() throws Exception {
        return new OAuthTestClient(server, REDIRECT, SCOPE);
    }

    static void assertError(HttpResponse<String> r, int status, String error) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(json(r).path("error").asText()).as(r.body()).isEqualTo(error);
        assertThat(json(r).has("error_description")).isTrue();
    }

    @Test
    void discoveryDocumentsNameThePublicOrigin() throws Exception {
        var issuer = server.config.publicOrigin();
        assertThat(issuer).isEqualTo("http://" + server.config.hostname());
        var as = server.get("/.well-known/oauth-authorization-server");
        assertThat(as.statusCode()).isEqualTo(200);
        assertThat(as.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        var m = json(as);
        assertThat(m.get("issuer").asText()).isEqualTo(issuer);
        assertThat(m.get("authorization_response_iss_parameter_supported").asBoolean()).isTrue();
        assertThat(m.get("require_pushed_authorization_requests").asBoolean()).isTrue();
        assertThat(m.get("client_id_metadata_document_supported").asBoolean()).isTrue();
        assertThat(m.get("pushed_authorization_request_endpoint").asText()).isEqualTo(issuer + "/oauth/par");
        assertThat(m.get("token_endpoint").asText()).isEqualTo(issuer + "/oauth/token");
        assertThat(m.get("revocation_endpoint").asText()).isEqualTo(issuer + "/oauth/revoke");
        assertThat(m.get("authorization_endpoint").asText()).isEqualTo(issuer + "/oauth/authorize");
        assertThat(m.get("token_endpoint_auth_methods_supported").toString()).contains("\"none\"", "\"private_key_jwt\"");
        assertThat(m.get("dpop_signing_alg_values_supported").toString()).contains("\"ES256\"");
        assertThat(m.get("token_endpoint_auth_signing_alg_values_supported").toString()).contains("\"ES256\"");
        assertThat(m.get("code_challenge_methods_supported").toString()).isEqualTo("[\"S256\"]");
        // the Host header never decides the issuer
        var forged = server.http.send(HttpRequest.newBuilder(URI.create(server.url("/.well-known/oauth-authorization-server")))
                .header("X-Forwarded-Host", "evil.example").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(json(forged).get("issuer").asText()).isEqualTo(issuer);

        var pr = json(server.get("/.well-known/oauth-protected-resource"));
        assertThat(pr.get("resource").asText()).isEqualTo(issuer);
        assertThat(pr.get("authorization_servers").toString()).isEqualTo("[\"" + issuer + "\"]");
    }

    @Test
    void aLoopbackClientSignsInRedeemsTheCodeAndRefreshes() throws Exception {
        var c = client();
        // no nonce yet: 400 use_dpop_nonce, with the nonce to use
        var first = c.post("/oauth/par", c.parParams("v".repeat(43), "s", SCOPE));
        assertError(first, 400, "use_dpop_nonce");
        assertThat(first.headers().firstValue("DPoP-Nonce")).isPresent();
        assertThat(first.headers().firstValue("Access-Control-Expose-Headers").orElse("")).contains("DPoP-Nonce");

        var auth = c.par(SCOPE);
        assertThat(auth.requestUri()).startsWith("urn:ietf:params:oauth:request_uri:req-");

        var page = c.authorizePage(auth.requestUri());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy").orElse("")).contains("frame-ancestors 'none'").doesNotContain("script-src");
        var cookie = page.headers().firstValue("Set-Cookie").orElse("");
        assertThat(cookie).contains("HttpOnly", "SameSite=Lax").doesNotContain("Secure");
        assertThat(page.body()).contains("name=\"password\"", "name=\"identifier\"", "value=\"sign-in\"");

        var wrong = c.submit(auth.requestUri(), csrf(page.body()), Map.of("action", "sign-in", "identifier", TestServer.HANDLE, "password", "nope"));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).contains("Wrong handle or password");

        var consent = c.submit(auth.requestUri(), csrf(wrong.body()),
                Map.of("action", "sign-in", "identifier", TestServer.HANDLE, "password", TestServer.PASSWORD));
        assertThat(consent.statusCode()).isEqualTo(200);
        assertThat(consent.body()).contains("value=\"allow\"", "value=\"deny\"", "@" + TestServer.HANDLE, "Development app (localhost)");
        assertThat(consent.headers().firstValue("Content-Security-Policy").orElse("")).contains("form-action 'self' http://127.0.0.1:8765");

        var allowed = c.submit(auth.requestUri(), csrf(consent.body()), Map.of("action", "allow"));
        assertThat(allowed.statusCode()).isEqualTo(303);
        var location = allowed.headers().firstValue("Location").orElseThrow();
        assertThat(location).startsWith(REDIRECT + "?");
        var params = OAuthTestClient.redirectParams(location);
        assertThat(params).containsEntry("iss", c.issuer).containsEntry("state", auth.state()).containsKey("code");

        // without a nonce at the token endpoint: use_dpop_nonce first
        var noNonce = c.post("/oauth/token", Map.of("client_id", c.clientId, "grant_type", "authorization_code", "code", params.get("code"),
                "redirect_uri", REDIRECT, "code_verifier", auth.verifier()), c.proof("POST", "/oauth/token", null));
        assertError(noNonce, 400, "use_dpop_nonce");

        var tokens = c.redeem(params.get("code"), auth.verifier());
        assertThat(tokens.statusCode()).as(tokens.body()).isEqualTo(200);
        assertThat(tokens.headers().firstValue("Cache-Control")).hasValue("no-store");
        var t = json(tokens);
        assertThat(t.get("token_type").asText()).isEqualTo("DPoP");
        assertThat(t.get("sub").asText()).isEqualTo(server.config.did());
        assertThat(t.get("scope").asText()).isEqualTo(SCOPE);
        assertThat(t.get("expires_in").asLong()).isBetween(3500L, 3600L);
        var claims = JWSObject.parse(t.get("access_token").asText()).getPayload().toJSONObject();
        assertThat(claims).containsEntry("iss", c.issuer).containsEntry("client_id", c.clientId);
        assertThat(claims.get("cnf")).isEqualTo(Map.of("jkt", c.dpopKey.computeThumbprint().toString()));

        var access = server.alteran.oauthTokens().verify(t.get("access_token").asText());
        assertThat(access.did()).isEqualTo(server.config.did());
        assertThat(server.alteran.oauthTokens().sessions()).extracting(s -> s.clientId()).contains(c.clientId);

        var refreshed = c.refresh(t.get("refresh_token").asText());
        assertThat(refreshed.statusCode()).as(refreshed.body()).isEqualTo(200);
        var r = json(refreshed);
        server.alteran.oauthTokens().verify(r.get("access_token").asText());

        // the used refresh token again: the whole session ends
        assertError(c.refresh(t.get("refresh_token").asText()), 400, "invalid_grant");
        assertThatThrownBy(() -> server.alteran.oauthTokens().verify(r.get("access_token").asText()))
                .isInstanceOfSatisfying(OAuthException.class, e -> assertThat(e.error()).isEqualTo("invalid_token"));
        assertError(c.refresh(r.get("refresh_token").asText()), 400, "invalid_grant");
    }

    @Test
    void aPkceMismatchIsRefusedAndTheRightVerifierStillWorksOnceThenTheReplayRevokes() throws Exception {
        var c = client();
        var auth = c.par(SCOPE);
        var code = c.authorize(auth);
        assertError(c.redeem(code, "x".repeat(43)), 400, "invalid_grant");
        var tokens = c.redeem(code, auth.verifier());
        assertThat(tokens.statusCode()).as(tokens.body()).isEqualTo(200);
        var access = json(tokens).get("access_token").asText();
        server.alteran.oauthTokens().verify(access);
        // code replay: refused, and what it issued is revoked
        assertError(c.redeem(code, auth.verifier()), 400, "invalid_grant");
        assertThatThrownBy(() -> server.alteran.oauthTokens().verify(access)).isInstanceOf(OAuthException.class);
    }

    @Test
    void theCodeIsBoundToThePushedDpopKey() throws Exception {
        var c = client();
        var auth = c.par(SCOPE);
        var code = c.authorize(auth);
        var original = c.dpopKey;
        c.dpopKey = OAuthTestClient.newKey();
        assertError(c.redeem(code, auth.verifier()), 400, "invalid_grant");
        c.dpopKey = original;
        assertThat(c.redeem(code, auth.verifier()).statusCode()).isEqualTo(200);
    }

    @Test
    void parRefusesAnUnregisteredRedirectUriAMissingChallengeAndUndeclaredScopes() throws Exception {
        var c = client();
        c.postWithNonce("/oauth/par", Map.of()); // a nonce first
        var p = c.parParams("v".repeat(43), "s", SCOPE);
        p.put("redirect_uri", "http://127.0.0.1:9999/elsewhere");
        assertError(c.post("/oauth/par", p), 400, "invalid_request");
        p = c.parParams("v".repeat(43), "s", SCOPE);
        p.remove("code_challenge");
        assertError(c.post("/oauth/par", p), 400, "invalid_request");
        p = c.parParams("v".repeat(43), "s", "atproto transition:chat.bsky");
        assertError(c.post("/oauth/par", p), 400, "invalid_scope");
        p = c.parParams("v".repeat(43), "s", SCOPE);
        assertError(c.post("/oauth/par", p, null), 401, "invalid_dpop_proof");
        // a proof for another URL
        assertError(c.post("/oauth/par", p, OAuthTestClient.proof(c.dpopKey, "POST", c.issuer + "/oauth/token", c.nonce)), 401, "invalid_dpop_proof");
        // JSON bodies work as forms do
        var json = dev.alteran.pds.wire.Json.object();
        c.parParams("w".repeat(43), "s", SCOPE).forEach(json::put);
        var r = c.app.send(HttpRequest.newBuilder(URI.create(server.url("/oauth/par"))).header("Content-Type", "application/json")
                .header("DPoP", c.proof("POST", "/oauth/par", c.nonce)).POST(HttpRequest.BodyPublishers.ofString(json.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(json(r).get("expires_in").asLong()).isBetween(290L, 300L);
    }

    @Test
    void consentWithoutCsrfOrFromAnotherOriginIsRefusedAndChangesNothing() throws Exception {
        var c = client();
        var auth = c.par(SCOPE);
        var page = c.authorizePage(auth.requestUri());
        var csrf = csrf(page.body());
        var signIn = Map.of("action", "sign-in", "identifier", TestServer.HANDLE, "password", TestServer.PASSWORD);
        assertThat(c.submit(auth.requestUri(), null, signIn).statusCode()).isEqualTo(403);
        assertThat(c.submit(auth.requestUri(), "forged", signIn).statusCode()).isEqualTo(403);
        assertThat(c.submit(auth.requestUri(), csrf, signIn, "Origin", "https://evil.example").statusCode()).isEqualTo(403);
        assertThat(c.submit(auth.requestUri(), csrf, signIn, "Sec-Fetch-Site", "cross-site", "Origin", c.issuer).statusCode()).isEqualTo(403);
        assertThat(c.submit(auth.requestUri(), csrf, signIn, "X-Nothing", "no origin at all").statusCode()).isEqualTo(403);

        var consent = c.submit(auth.requestUri(), csrf, signIn);
        assertThat(consent.statusCode()).isEqualTo(200);
        var allowNoCsrf = c.submit(auth.requestUri(), null, Map.of("action", "allow"));
        assertThat(allowNoCsrf.statusCode()).isEqualTo(403);
        var allowCrossSite = c.submit(auth.requestUri(), csrf(consent.body()), Map.of("action", "allow"), "Origin", "https://evil.example");
        assertThat(allowCrossSite.statusCode()).isEqualTo(403);
        assertThat(allowCrossSite.headers().firstValue("Location")).isEmpty();
        // still pending: the real form goes through
        var allowed = c.submit(auth.requestUri(), csrf(consent.body()), Map.of("action", "allow"));
        assertThat(allowed.statusCode()).isEqualTo(303);
    }

    @Test
    void anotherBrowserCannotTakeOverTheRequest() throws Exception {
        var c = client();
        var auth = c.par(SCOPE);
        assertThat(c.authorizePage(auth.requestUri()).statusCode()).isEqualTo(200);
        var other = client();
        var stolen = other.browser.send(HttpRequest.newBuilder(URI.create(server.url("/oauth/authorize?client_id="
                + OAuthTestClient.enc(c.clientId) + "&request_uri=" + OAuthTestClient.enc(auth.requestUri())))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(stolen.statusCode()).isEqualTo(400);
    }

    @Test
    void denyRedirectsWithAccessDenied() throws Exception {
        var c = client();
        var auth = c.par(SCOPE);
        var page = c.authorizePage(auth.requestUri());
        var consent = c.submit(auth.requestUri(), csrf(page.body()),
                Map.of("action", "sign-in", "identifier", TestServer.HANDLE, "password", TestServer.PASSWORD, "remember", "1"));
        var denied = c.submit(auth.requestUri(), csrf(consent.body()), Map.of("action", "deny"));
        assertThat(denied.statusCode()).isEqualTo(303);
        var params = OAuthTestClient.redirectParams(denied.headers().firstValue("Location").orElseThrow());
        assertThat(params).containsEntry("error", "access_denied").containsEntry("iss", c.issuer).containsEntry("state", auth.state());
        // the request is gone
        assertThat(c.authorizePage(auth.requestUri()).statusCode()).isEqualTo(400);
        // remembered: the next request goes straight to consent
        var next = c.par(SCOPE);
        var again = c.authorizePage(next.requestUri());
        assertThat(again.body()).contains("value=\"allow\"").doesNotContain("name=\"password\"");
        // prompt=login asks for the password anyway; prompt=none cannot show the consent page, so it answers at once
        assertThat(c.authorizePage(c.par(SCOPE, Map.of("prompt", "login")).requestUri()).body()).contains("name=\"password\"");
        var silent = c.par(SCOPE, Map.of("prompt", "none"));
        var answer = c.authorizePage(silent.requestUri());
        assertThat(answer.statusCode()).isEqualTo(303);
        assertThat(OAuthTestClient.redirectParams(answer.headers().firstValue("Location").orElseThrow()))
                .containsEntry("error", "consent_required").containsEntry("state", silent.state());
    }

    @Test
    void aReloadAfterSigningInShowsTheConsentPageAgain() throws Exception {
        var c = client();
        var auth = c.par(SCOPE);
        var page = c.authorizePage(auth.requestUri());
        c.submit(auth.requestUri(), csrf(page.body()), Map.of("action", "sign-in", "identifier", TestServer.HANDLE, "password", TestServer.PASSWORD));
        var reload = c.authorizePage(auth.requestUri());
        assertThat(reload.body()).contains("value=\"allow\"").doesNotContain("name=\"password\"");
    }

    @Test
    void anAppPasswordOrAnotherAccountCannotSignAnAppIn() throws Exception {
        var session = AuthClient.login(server);
        var created = server.post("/xrpc/com.atproto.server.createAppPassword", "{\"name\":\"oauth-test\"}",
                "Authorization", "Bearer " + session.get("accessJwt").asText());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        var appPassword = json(created).get("password").asText();
        var c = client();
        var auth = c.par(SCOPE);
        var page = c.authorizePage(auth.requestUri());
        var withAppPassword = c.submit(auth.requestUri(), csrf(page.body()),
                Map.of("action", "sign-in", "identifier", TestServer.HANDLE, "password", appPassword));
        assertThat(withAppPassword.statusCode()).isEqualTo(401);
        assertThat(withAppPassword.body()).contains("Wrong handle or password").doesNotContain("value=\"allow\"");
        var otherAccount = c.submit(auth.requestUri(), csrf(page.body()),
                Map.of("action", "sign-in", "identifier", "someone.else.test", "password", TestServer.PASSWORD));
        assertThat(otherAccount.statusCode()).isEqualTo(401);
        // allowing without a sign-in goes back to the sign-in page
        var allow = c.submit(auth.requestUri(), csrf(page.body()), Map.of("action", "allow"));
        assertThat(allow.statusCode()).isEqualTo(401);
        assertThat(allow.headers().firstValue("Location")).isEmpty();
    }

    @Test
    void revocationAlwaysAnswers200AndEndsTheSession() throws Exception {
        var c = client();
        var auth = c.par(SCOPE);
        var t = json(c.redeem(c.authorize(auth), auth.verifier()));
        var revoked = c.postWithNonce("/oauth/revoke", Map.of("client_id", c.clientId, "token", t.get("access_token").asText()));
        assertThat(revoked.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> server.alteran.oauthTokens().verify(t.get("access_token").asText())).isInstanceOf(OAuthException.class);
        assertThat(c.postWithNonce("/oauth/revoke", Map.of("client_id", c.clientId, "token", "nonsense")).statusCode()).isEqualTo(200);
        assertThat(c.postWithNonce("/oauth/revoke", Map.of("token", "nonsense")).statusCode()).isEqualTo(200);
    }

    @Test
    void theOwnerListsAndRevokesSessionsFromTheCommandLineWhileTheServerRuns() throws Exception {
        var c = client();
        var auth = c.par(SCOPE);
        var t = json(c.redeem(c.authorize(auth), auth.verifier()));
        var access = server.alteran.oauthTokens().verify(t.get("access_token").asText());
        var list = Ops.cli("oauth", "sessions", "--data", server.dataDir.toString());
        assertThat(list.status()).as(list.toString()).isZero();
        assertThat(list.out()).contains(access.sessionId(), "client:    " + c.clientId, "scopes:    " + SCOPE, "last used:");

        var revoke = Ops.cli("oauth", "revoke", "--data", server.dataDir.toString(), access.sessionId());
        assertThat(revoke.status()).as(revoke.toString()).isZero();
        assertThatThrownBy(() -> server.alteran.oauthTokens().verify(t.get("access_token").asText()))
                .isInstanceOfSatisfying(OAuthException.class, e -> assertThat(e.wwwAuthenticate()).contains("error=\"invalid_token\""));
        assertError(c.refresh(t.get("refresh_token").asText()), 400, "invalid_grant");
        assertThat(Ops.cli("oauth", "sessions", "--data", server.dataDir.toString()).out()).doesNotContain(access.sessionId());
        var again = Ops.cli("oauth", "revoke", "--data", server.dataDir.toString(), access.sessionId());
        assertThat(again.status()).isEqualTo(1);
        assertThat(again.err()).contains("no OAuth session");
    }

    @Test
    void thePagesAndTheStylesheetAreServed() throws Exception {
        var css = server.get("/oauth/assets/style.css");
        assertThat(css.statusCode()).isEqualTo(200);
        assertThat(css.headers().firstValue("Content-Type").orElse("")).startsWith("text/css");
        var unknown = server.get("/oauth/authorize?client_id=x&request_uri=urn:ietf:params:oauth:request_uri:req-00");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("expired");
        var preflight = server.http.send(HttpRequest.newBuilder(URI.create(server.url("/oauth/token")))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "https://app.example")
                .header("Access-Control-Request-Method", "POST").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(preflight.statusCode()).isEqualTo(200);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers").orElse("")).contains("DPoP");
    }
}
