package dev.alteran.server;

import static dev.alteran.server.AuthClient.claims;
import static dev.alteran.server.AuthClient.createSession;
import static dev.alteran.server.AuthClient.deleteSession;
import static dev.alteran.server.AuthClient.error;
import static dev.alteran.server.AuthClient.forge;
import static dev.alteran.server.AuthClient.getSession;
import static dev.alteran.server.AuthClient.login;
import static dev.alteran.server.AuthClient.nowSec;
import static dev.alteran.server.AuthClient.refresh;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SessionTest {
    static TestServer server;
    static String did;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        did = server.config.did();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    Map<String, Object> accessClaims(long exp) {
        return Map.of("scope", "com.atproto.access", "aud", did, "sub", did, "iat", nowSec() - 10, "exp", exp);
    }

    long refreshRows(String jti) {
        return server.alteran.database().read(c -> {
            try (var st = c.prepareStatement("SELECT count(*) FROM refresh_token WHERE jti = ?")) {
                st.setString(1, jti);
                try (var rs = st.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    // createSession

    @Test
    void createSessionWithHandle() throws Exception {
        var r = createSession(server, TestServer.HANDLE, TestServer.PASSWORD);
        assertThat(r.statusCode()).isEqualTo(200);
        var body = TestServer.json(r);
        assertThat(body.get("handle").asText()).isEqualTo(TestServer.HANDLE);
        assertThat(body.get("did").asText()).isEqualTo(did);
        assertThat(body.get("active").asBoolean()).isTrue();
        assertThat(body.has("didDoc")).isFalse();
        assertThat(body.has("email")).isFalse();
        var access = body.get("accessJwt").asText();
        var refresh = body.get("refreshJwt").asText();
        assertThat(AuthClient.header(access).get("typ").asText()).isEqualTo("at+jwt");
        assertThat(AuthClient.header(refresh).get("typ").asText()).isEqualTo("refresh+jwt");
        var ac = claims(access);
        assertThat(ac.get("scope").asText()).isEqualTo("com.atproto.access");
        assertThat(ac.get("sub").asText()).isEqualTo(did);
        assertThat(ac.get("aud").asText()).isEqualTo(did);
        assertThat(ac.get("exp").asLong() - ac.get("iat").asLong()).isEqualTo(server.config.accessTtlSec());
        var rc = claims(refresh);
        assertThat(rc.get("scope").asText()).isEqualTo("com.atproto.refresh");
        assertThat(rc.get("jti").asText()).isNotBlank();
        assertThat(rc.get("exp").asLong() - rc.get("iat").asLong()).isEqualTo(server.config.refreshTtlSec());
        assertThat(refreshRows(rc.get("jti").asText())).isEqualTo(1);
    }

    @Test
    void handleIsCaseInsensitiveAndDidWorks() throws Exception {
        assertThat(createSession(server, "ALICE.Test", TestServer.PASSWORD).statusCode()).isEqualTo(200);
        var byDid = createSession(server, did, TestServer.PASSWORD);
        assertThat(byDid.statusCode()).isEqualTo(200);
        assertThat(TestServer.json(byDid).get("handle").asText()).isEqualTo(TestServer.HANDLE);
    }

    @Test
    void wrongPasswordAndUnknownIdentifierAnswerAlike() throws Exception {
        var wrongPassword = createSession(server, TestServer.HANDLE, "not the password");
        var unknown = createSession(server, "bob.test", TestServer.PASSWORD);
        assertThat(error(wrongPassword)).isEqualTo("401 AuthenticationRequired: Invalid identifier or password");
        assertThat(unknown.statusCode()).isEqualTo(wrongPassword.statusCode());
        assertThat(unknown.body()).isEqualTo(wrongPassword.body());
        assertThat(error(createSession(server, TestServer.HANDLE, TestServer.PASSWORD.toUpperCase()))).startsWith("401");
        // a clean slate for the other tests: the lockout counts these
        server.alteran.sessions().lockout().succeeded(did);
    }

    @Test
    void loginTakesAtLeastTheTimingFloor() throws Exception {
        long start = System.nanoTime();
        createSession(server, "nobody.test", "x");
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(340);
    }

    @Test
    void badInputs() throws Exception {
        var missing = server.post("/xrpc/com.atproto.server.createSession", "{\"identifier\":\"alice.test\"}");
        assertThat(error(missing)).isEqualTo("400 InvalidRequest: Input must have the property \"password\"");
        var notString = server.post("/xrpc/com.atproto.server.createSession", "{\"identifier\":1,\"password\":\"x\"}");
        assertThat(error(notString)).isEqualTo("400 InvalidRequest: Input/identifier must be a string");
        var tooLong = createSession(server, TestServer.HANDLE, "x".repeat(513));
        assertThat(error(tooLong)).isEqualTo("401 AuthenticationRequired: Password too long. Consider resetting your password.");
    }

    // getSession and access-token verification

    @Test
    void getSessionWithAccessToken() throws Exception {
        var session = login(server);
        var r = getSession(server, session.get("accessJwt").asText());
        assertThat(r.statusCode()).isEqualTo(200);
        var body = TestServer.json(r);
        assertThat(body.get("handle").asText()).isEqualTo(TestServer.HANDLE);
        assertThat(body.get("did").asText()).isEqualTo(did);
        assertThat(body.get("active").asBoolean()).isTrue();
    }

    @Test
    void getSessionRefusals() throws Exception {
        var session = login(server);
        assertThat(error(server.get("/xrpc/com.atproto.server.getSession")))
                .isEqualTo("401 AuthMissing: Authentication Required");
        assertThat(error(getSession(server, session.get("refreshJwt").asText())))
                .isEqualTo("400 InvalidToken: Token could not be verified");
        assertThat(error(server.get("/xrpc/com.atproto.server.getSession", "Authorization", "Basic YWxpY2U6cHc=")))
                .isEqualTo("400 InvalidToken: Unexpected authorization type");
        assertThat(error(server.get("/xrpc/com.atproto.server.getSession", "Authorization", "Bearer")))
                .isEqualTo("400 InvalidToken: Malformed authorization header");
        assertThat(error(getSession(server, "not.a.jwt"))).isEqualTo("400 InvalidToken: Token could not be verified");
    }

    @Test
    void forgedTokensAreRefused() throws Exception {
        var secret = server.config.accessTokenSecret();
        long exp = nowSec() + 300;
        // the forging helper is right: with our key and our claims the server takes it
        assertThat(getSession(server, forge("at+jwt", accessClaims(exp), secret)).statusCode()).isEqualTo(200);

        var wrongKey = forge("at+jwt", accessClaims(exp), "an attacker's guess at the secret key!!");
        assertThat(error(getSession(server, wrongKey))).isEqualTo("400 InvalidToken: Token could not be verified");

        var refreshKey = forge("at+jwt", accessClaims(exp), server.config.refreshTokenSecret());
        assertThat(error(getSession(server, refreshKey))).isEqualTo("400 InvalidToken: Token could not be verified");

        var algNone = AuthClient.b64("{\"alg\":\"none\",\"typ\":\"at+jwt\"}") + "."
                + AuthClient.b64(dev.alteran.pds.wire.Json.WRITER.writeValueAsString(accessClaims(exp))) + ".";
        assertThat(error(getSession(server, algNone))).isEqualTo("400 InvalidToken: Token could not be verified");

        var wrongAud = forge("at+jwt", Map.of("scope", "com.atproto.access", "aud", "did:web:evil.example", "sub", did,
                "iat", nowSec(), "exp", exp), secret);
        assertThat(error(getSession(server, wrongAud))).isEqualTo("400 InvalidToken: Token could not be verified");

        var wrongSub = forge("at+jwt", Map.of("scope", "com.atproto.access", "aud", did, "sub", "did:plc:abcdefghijklmnopqrstuvwx",
                "iat", nowSec(), "exp", exp), secret);
        assertThat(error(getSession(server, wrongSub))).isEqualTo("400 InvalidToken: Token could not be verified");

        var badScope = forge("at+jwt", Map.of("scope", "com.atproto.admin", "aud", did, "sub", did,
                "iat", nowSec(), "exp", exp), secret);
        assertThat(error(getSession(server, badScope))).isEqualTo("400 InvalidToken: Bad token scope");

        var expired = forge("at+jwt", accessClaims(nowSec() - 1), secret);
        assertThat(error(getSession(server, expired))).isEqualTo("400 ExpiredToken: Token has expired");

        var refreshTyp = forge("refresh+jwt", accessClaims(exp), secret);
        assertThat(error(getSession(server, refreshTyp))).isEqualTo("400 InvalidToken: Token could not be verified");
    }

    // refreshSession

    @Test
    void refreshRotatesThePair() throws Exception {
        var session = login(server);
        var r = refresh(server, session.get("refreshJwt").asText());
        assertThat(r.statusCode()).isEqualTo(200);
        var next = TestServer.json(r);
        assertThat(next.get("did").asText()).isEqualTo(did);
        assertThat(next.get("handle").asText()).isEqualTo(TestServer.HANDLE);
        assertThat(next.get("active").asBoolean()).isTrue();
        var oldJti = claims(session.get("refreshJwt").asText()).get("jti").asText();
        var newJti = claims(next.get("refreshJwt").asText()).get("jti").asText();
        assertThat(newJti).isNotEqualTo(oldJti);
        assertThat(claims(next.get("accessJwt").asText()).get("scope").asText()).isEqualTo("com.atproto.access");
        assertThat(getSession(server, next.get("accessJwt").asText()).statusCode()).isEqualTo(200);
        // the new refresh token refreshes in turn
        var third = refresh(server, next.get("refreshJwt").asText());
        assertThat(third.statusCode()).isEqualTo(200);
        assertThat(claims(TestServer.json(third).get("refreshJwt").asText()).get("jti").asText()).isNotIn(oldJti, newJti);
    }

    @Test
    void reuseWithinTheGracePeriodGivesTheSameSuccessor() throws Exception {
        var session = login(server);
        var token = session.get("refreshJwt").asText();
        var first = TestServer.json(refresh(server, token));
        var second = TestServer.json(refresh(server, token));
        var jti1 = claims(first.get("refreshJwt").asText()).get("jti").asText();
        var jti2 = claims(second.get("refreshJwt").asText()).get("jti").asText();
        assertThat(jti2).isEqualTo(jti1);
        assertThat(jti1).isNotEqualTo(claims(token).get("jti").asText());
    }

    @Test
    void racingRefreshesAgreeOnTheSuccessor() throws Exception {
        var token = login(server).get("refreshJwt").asText();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            var tasks = new ArrayList<Callable<String>>();
            for (int i = 0; i < 10; i++) {
                tasks.add(() -> claims(TestServer.json(refresh(server, token)).get("refreshJwt").asText()).get("jti").asText());
            }
            var jtis = new java.util.HashSet<String>();
            for (var f : pool.invokeAll(tasks)) jtis.add(f.get());
            assertThat(jtis).hasSize(1);
        }
    }

    @Test
    void usedTokenAfterTheGracePeriodIsRevokedAndChangesNothing() throws Exception {
        var session = login(server);
        var token = session.get("refreshJwt").asText();
        var jti = claims(token).get("jti").asText();
        var next = TestServer.json(refresh(server, token));
        // the grace period ends now
        server.alteran.database().write(c -> {
            try (var st = c.prepareStatement("UPDATE refresh_token SET expires_at = ? WHERE jti = ?")) {
                st.setLong(1, System.currentTimeMillis());
                st.setString(2, jti);
                return st.executeUpdate();
            }
        });
        assertThat(error(refresh(server, token))).isEqualTo("400 ExpiredToken: Token has been revoked");
        assertThat(refreshRows(jti)).isZero(); // cleaned up
        assertThat(error(refresh(server, token))).isEqualTo("400 ExpiredToken: Token has been revoked");
        // the successor is untouched
        assertThat(refresh(server, next.get("refreshJwt").asText()).statusCode()).isEqualTo(200);
    }

    @Test
    void graceIsTwoHoursAtMost() throws Exception {
        var token = login(server).get("refreshJwt").asText();
        var jti = claims(token).get("jti").asText();
        long before = System.currentTimeMillis();
        refresh(server, token);
        long expiresAt = server.alteran.database().read(c -> {
            try (var st = c.prepareStatement("SELECT expires_at FROM refresh_token WHERE jti = ?")) {
                st.setString(1, jti);
                try (var rs = st.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
        assertThat(expiresAt).isBetween(before + 7_200_000 - 1, System.currentTimeMillis() + 7_200_000);
    }

    @Test
    void refreshRefusals() throws Exception {
        var session = login(server);
        assertThat(error(AuthClient.postNoBody(server, "/xrpc/com.atproto.server.refreshSession")))
                .isEqualTo("401 AuthMissing: Authentication Required");
        assertThat(error(refresh(server, session.get("accessJwt").asText())))
                .isEqualTo("400 InvalidToken: Token could not be verified");
        var secret = server.config.refreshTokenSecret();
        var expired = forge("refresh+jwt", Map.of("scope", "com.atproto.refresh", "aud", did, "sub", did, "jti", "old",
                "iat", nowSec() - 100, "exp", nowSec() - 1), secret);
        assertThat(error(refresh(server, expired))).isEqualTo("400 ExpiredToken: Token has expired");
        // well signed, never issued: no row
        var unknown = forge("refresh+jwt", Map.of("scope", "com.atproto.refresh", "aud", did, "sub", did, "jti", "never-issued",
                "iat", nowSec(), "exp", nowSec() + 100), secret);
        assertThat(error(refresh(server, unknown))).isEqualTo("400 ExpiredToken: Token has been revoked");
        var withAccessKey = forge("refresh+jwt", Map.of("scope", "com.atproto.refresh", "aud", did, "sub", did, "jti", "x",
                "iat", nowSec(), "exp", nowSec() + 100), server.config.accessTokenSecret());
        assertThat(error(refresh(server, withAccessKey))).isEqualTo("400 InvalidToken: Token could not be verified");
        var noJti = forge("refresh+jwt", Map.of("scope", "com.atproto.refresh", "aud", did, "sub", did,
                "iat", nowSec(), "exp", nowSec() + 100), secret);
        assertThat(error(refresh(server, noJti))).isEqualTo("401 MissingTokenId: Unexpected missing refresh token id");
    }

    // deleteSession

    @Test
    void deleteSessionRevokesTheRefreshToken() throws Exception {
        var session = login(server);
        var token = session.get("refreshJwt").asText();
        var r = deleteSession(server, token);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
        assertThat(error(refresh(server, token))).isEqualTo("400 ExpiredToken: Token has been revoked");
        assertThat(deleteSession(server, token).statusCode()).isEqualTo(200); // revoking twice is fine
    }

    @Test
    void deleteSessionAcceptsAnExpiredTokenButNotAnAccessToken() throws Exception {
        var expired = forge("refresh+jwt", Map.of("scope", "com.atproto.refresh", "aud", did, "sub", did, "jti", "gone",
                "iat", nowSec() - 100, "exp", nowSec() - 1), server.config.refreshTokenSecret());
        assertThat(deleteSession(server, expired).statusCode()).isEqualTo(200);
        var session = login(server);
        assertThat(error(deleteSession(server, session.get("accessJwt").asText())))
                .isEqualTo("400 InvalidToken: Token could not be verified");
        assertThat(error(AuthClient.postNoBody(server, "/xrpc/com.atproto.server.deleteSession")))
                .isEqualTo("401 AuthMissing: Authentication Required");
    }

    @Test
    void loggingOutAlsoRevokesPredecessorsInTheirGracePeriod() throws Exception {
        var first = login(server).get("refreshJwt").asText();
        var second = TestServer.json(refresh(server, first)).get("refreshJwt").asText();
        var third = TestServer.json(refresh(server, second)).get("refreshJwt").asText();
        assertThat(deleteSession(server, third).statusCode()).isEqualTo(200);
        assertThat(error(refresh(server, first))).isEqualTo("400 ExpiredToken: Token has been revoked");
        assertThat(error(refresh(server, second))).isEqualTo("400 ExpiredToken: Token has been revoked");
        assertThat(error(refresh(server, third))).isEqualTo("400 ExpiredToken: Token has been revoked");
    }

    @Test
    void loggingOutWithAnOlderTokenEndsItsSuccessorsToo() throws Exception {
        var other = login(server).get("refreshJwt").asText(); // another session survives
        var first = login(server).get("refreshJwt").asText();
        var second = TestServer.json(refresh(server, first)).get("refreshJwt").asText();
        var third = TestServer.json(refresh(server, second)).get("refreshJwt").asText();
        assertThat(deleteSession(server, first).statusCode()).isEqualTo(200);
        assertThat(error(refresh(server, second))).isEqualTo("400 ExpiredToken: Token has been revoked");
        assertThat(error(refresh(server, third))).isEqualTo("400 ExpiredToken: Token has been revoked");
        assertThat(refresh(server, other).statusCode()).isEqualTo(200);
    }

    @Test
    void purgeRemovesExpiredRows() throws Exception {
        server.alteran.database().write(c -> {
            try (var st = c.prepareStatement("INSERT INTO refresh_token (jti, expires_at) VALUES ('stale', 1)")) {
                return st.executeUpdate();
            }
        });
        var live = claims(login(server).get("refreshJwt").asText()).get("jti").asText();
        assertThat(server.alteran.sessions().purgeExpired()).isGreaterThanOrEqualTo(1);
        assertThat(refreshRows("stale")).isZero();
        assertThat(refreshRows(live)).isEqualTo(1);
    }
}
