package dev.alteran.server;

import static dev.alteran.server.AuthClient.claims;
import static dev.alteran.server.AuthClient.error;
import static dev.alteran.server.AuthClient.login;
import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.crypto.DidKeys;
import dev.alteran.pds.wire.Json;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ServiceAuthTest {
    static TestServer server;
    static String access;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        access = login(server).get("accessJwt").asText();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    HttpResponse<String> get(String token, String query) throws Exception {
        return AuthClient.getWithToken(server, "/xrpc/com.atproto.server.getServiceAuth?" + query, token);
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void tokenIsSignedWithTheRepoKey() throws Exception {
        var aud = "did:web:api.bsky.app#bsky_appview";
        var r = get(access, "aud=" + enc(aud) + "&lxm=app.bsky.feed.getTimeline");
        assertThat(r.statusCode()).isEqualTo(200);
        var token = TestServer.json(r).get("token").asText();
        var parts = token.split("\\.");
        var header = Json.READER.readTree(Base64.getUrlDecoder().decode(parts[0]));
        assertThat(header.get("alg").asText()).isEqualTo("ES256K");
        var c = claims(token);
        assertThat(c.get("iss").asText()).isEqualTo(server.config.did());
        assertThat(c.get("aud").asText()).isEqualTo(aud);
        assertThat(c.get("lxm").asText()).isEqualTo("app.bsky.feed.getTimeline");
        assertThat(c.get("exp").asLong() - c.get("iat").asLong()).isEqualTo(60);
        assertThat(c.get("jti").asText()).isNotBlank();
        var publicKey = DidKeys.parseDidKey(server.config.signingKey().didKey());
        var input = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
        var sig = Base64.getUrlDecoder().decode(parts[2]);
        assertThat(publicKey.verify(input, sig)).isTrue();
        var other = DidKeys.parseDidKey(dev.alteran.atproto.crypto.Keypair.generate(dev.alteran.atproto.crypto.Curve.K256).didKey());
        assertThat(other.verify(input, sig)).isFalse();
    }

    @Test
    void explicitExpiration() throws Exception {
        long exp = AuthClient.nowSec() + 1800;
        var r = get(access, "aud=" + enc(server.config.did()) + "&lxm=com.atproto.repo.createRecord&exp=" + exp);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(claims(TestServer.json(r).get("token").asText()).get("exp").asLong()).isEqualTo(exp);
        var tooFar = get(access, "aud=" + enc(server.config.did()) + "&lxm=com.atproto.repo.createRecord&exp=" + (AuthClient.nowSec() + 3700));
        assertThat(error(tooFar)).isEqualTo("400 BadExpiration: cannot request a token with an expiration more than an hour in the future");
        var past = get(access, "aud=" + enc(server.config.did()) + "&exp=" + (AuthClient.nowSec() - 10));
        assertThat(error(past)).isEqualTo("400 BadExpiration: expiration is in past");
    }

    @Test
    void refusals() throws Exception {
        assertThat(error(server.get("/xrpc/com.atproto.server.getServiceAuth?aud=" + enc(server.config.did()))))
                .isEqualTo("401 AuthMissing: Authentication Required");
        assertThat(error(get(access, "lxm=app.bsky.feed.getTimeline")))
                .isEqualTo("400 InvalidRequest: Error: Params must have the property \"aud\"");
        assertThat(error(get(access, "aud=https%3A%2F%2Fexample.com")))
                .isEqualTo("400 InvalidRequest: aud must be a valid atproto DID or did#serviceId reference");
        assertThat(error(get(access, "aud=" + enc(server.config.did()) + "&lxm=com.atproto.server.createAppPassword")))
                .isEqualTo("400 InvalidRequest: cannot request a service auth token for the following protected method: com.atproto.server.createAppPassword");
    }

    @Test
    void appPasswordSessionsAreRestrictedToUnprivilegedMethods() throws Exception {
        var created = server.post("/xrpc/com.atproto.server.createAppPassword", "{\"name\":\"phone\"}", "Authorization", "Bearer " + access);
        var appAccess = login(server, TestServer.json(created).get("password").asText()).get("accessJwt").asText();
        assertThat(error(get(appAccess, "aud=" + enc(server.config.did()) + "&lxm=chat.bsky.convo.listConvos")))
                .isEqualTo("400 InvalidRequest: insufficient access to request a service auth token for the following method: chat.bsky.convo.listConvos");
        assertThat(get(appAccess, "aud=" + enc(server.config.did()) + "&lxm=app.bsky.feed.getTimeline").statusCode()).isEqualTo(200);
        assertThat(get(access, "aud=" + enc(server.config.did()) + "&lxm=chat.bsky.convo.listConvos").statusCode()).isEqualTo(200);
    }
}
