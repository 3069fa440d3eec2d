package dev.alteran.pds.oauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSObject;
import dev.alteran.pds.store.Database;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OAuthTokensTest {
    static final String DID = "did:web:localhost%3A2583";
    static final String ISSUER = "http://localhost:2583";
    static final String CLIENT = "http://localhost?scope=atproto+transition%3Ageneric";
    static final String SECRET = "0123456789abcdef0123456789abcdef";
    static final String JKT = "jkt-of-the-dpop-key";

    @TempDir
    Path dir;
    Database db;
    TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
    OAuthTokens tokens;

    @BeforeEach
    void open() {
        db = Database.openSqlite(dir.resolve("t.sqlite"));
        tokens = new OAuthTokens(db, ISSUER, DID, SECRET, OAuthTokens.Lifetimes.REFERENCE, clock);
    }

    @AfterEach
    void close() {
        db.close();
    }

    OAuthTokens.Grant grant(boolean confidential) {
        return new OAuthTokens.Grant(DID, CLIENT, "{\"method\":\"none\"}", confidential, null, "atproto transition:generic", JKT);
    }

    static void assertOAuthError(Runnable call, String error, int status) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(OAuthException.class, e -> {
            assertThat(e.error()).isEqualTo(error);
            assertThat(e.status()).isEqualTo(status);
        });
    }

    @Test
    void anAccessTokenCarriesTheReferenceClaimsAndVerifies() throws Exception {
        var issued = tokens.create(grant(false), "code-hash");
        assertThat(issued.expiresIn()).isEqualTo(3600);
        assertThat(issued.toJson().get("token_type").asText()).isEqualTo("DPoP");
        var jws = JWSObject.parse(issued.accessToken());
        assertThat(jws.getHeader().getType().getType()).isEqualTo("at+jwt");
        var claims = jws.getPayload().toJSONObject();
        assertThat(claims).containsEntry("iss", ISSUER).containsEntry("aud", DID).containsEntry("sub", DID)
                .containsEntry("client_id", CLIENT).containsEntry("scope", "atproto transition:generic")
                .containsKeys("jti", "iat", "exp");
        assertThat(claims.get("cnf")).isEqualTo(java.util.Map.of("jkt", JKT));

        var access = tokens.verify(issued.accessToken());
        assertThat(access.did()).isEqualTo(DID);
        assertThat(access.clientId()).isEqualTo(CLIENT);
        assertThat(access.sessionId()).isEqualTo(issued.sessionId());
        assertThat(access.jkt()).isEqualTo(JKT);
        assertThat(access.scopes().has("transition:generic")).isTrue();
    }

    @Test
    void expiredForgedOrForeignTokensAreInvalid() {
        var issued = tokens.create(grant(false), null);
        var other = new OAuthTokens(db, ISSUER, DID, "another secret, another key 0123", OAuthTokens.Lifetimes.REFERENCE, clock);
        assertOAuthError(() -> other.verify(issued.accessToken()), "invalid_token", 401);
        var otherIssuer = new OAuthTokens(db, "https://elsewhere.example", DID, SECRET, OAuthTokens.Lifetimes.REFERENCE, clock);
        assertOAuthError(() -> otherIssuer.verify(issued.accessToken()), "invalid_token", 401);
        assertOAuthError(() -> tokens.verify("not.a.jwt"), "invalid_token", 401);
        clock.advance(Duration.ofHours(1));
        assertThatThrownBy(() -> tokens.verify(issued.accessToken())).isInstanceOfSatisfying(OAuthException.class, e -> {
            assertThat(e.error()).isEqualTo("invalid_token");
            assertThat(e.wwwAuthenticate()).contains("error=\"invalid_token\"");
        });
    }

    @Test
    void refreshRotatesAndAReplayEndsTheSession() {
        var first = tokens.create(grant(false), null);
        clock.advance(Duration.ofMinutes(5));
        var second = tokens.refresh(first.refreshToken(), CLIENT, JKT);
        assertThat(second.sessionId()).isEqualTo(first.sessionId());
        assertThat(second.refreshToken()).isNotEqualTo(first.refreshToken());
        tokens.verify(second.accessToken());
        assertOAuthError(() -> tokens.verify(first.accessToken()), "invalid_token", 401); // rotated away

        assertOAuthError(() -> tokens.refresh(first.refreshToken(), CLIENT, JKT), "invalid_grant", 400);
        // the replay ended the session: the current tokens are dead too
        assertOAuthError(() -> tokens.verify(second.accessToken()), "invalid_token", 401);
        assertOAuthError(() -> tokens.refresh(second.refreshToken(), CLIENT, JKT), "invalid_grant", 400);
        assertThat(tokens.sessions()).isEmpty();
    }

    @Test
    void refreshByAnotherClientOrKeyChangesNothing() {
        var first = tokens.create(grant(false), null);
        assertOAuthError(() -> tokens.refresh(first.refreshToken(), "https://other.example/client.json", JKT), "invalid_grant", 400);
        assertOAuthError(() -> tokens.refresh(first.refreshToken(), CLIENT, "another-key"), "invalid_dpop_proof", 400);
        assertOAuthError(() -> tokens.refresh("ref-00", CLIENT, JKT), "invalid_grant", 400);
        tokens.verify(first.accessToken());
        tokens.refresh(first.refreshToken(), CLIENT, JKT); // still the current one
    }

    @Test
    void aPublicSessionEndsAfterTwoWeeksAConfidentialRefreshTokenAfterThreeMonths() {
        var pub = tokens.create(grant(false), null);
        var conf = tokens.create(grant(true), null);
        var refreshed = tokens.refresh(pub.refreshToken(), CLIENT, JKT);
        clock.advance(Duration.ofDays(14));
        assertOAuthError(() -> tokens.refresh(refreshed.refreshToken(), CLIENT, JKT), "invalid_grant", 400);
        var confNext = tokens.refresh(conf.refreshToken(), CLIENT, JKT);
        clock.advance(Duration.ofDays(92));
        assertOAuthError(() -> tokens.refresh(confNext.refreshToken(), CLIENT, JKT), "invalid_grant", 400);
    }

    @Test
    void revocationTakesEffectAtOnceAndSurvivesAReopen() {
        var issued = tokens.create(grant(false), "the-code");
        var kept = tokens.create(grant(false), null);
        assertThat(tokens.revoke(issued.accessToken(), "https://other.example/client.json")).isFalse(); // not its token
        assertThat(tokens.revoke(issued.refreshToken(), CLIENT)).isTrue();
        assertOAuthError(() -> tokens.verify(issued.accessToken()), "invalid_token", 401);
        assertThat(tokens.revoke(issued.refreshToken(), CLIENT)).isFalse();
        assertThat(tokens.revoke("garbage", null)).isFalse();

        db.close();
        db = Database.openSqlite(dir.resolve("t.sqlite"));
        tokens = new OAuthTokens(db, ISSUER, DID, SECRET, OAuthTokens.Lifetimes.REFERENCE, clock);
        tokens.verify(kept.accessToken());
        assertThat(tokens.sessions()).extracting(OAuthTokens.SessionInfo::id).containsExactly(kept.sessionId());
        assertThat(tokens.revokeSession(kept.sessionId())).isTrue();
        assertOAuthError(() -> tokens.verify(kept.accessToken()), "invalid_token", 401);
    }

    @Test
    void aReplayedCodeRevokesTheSessionItIssued() {
        var issued = tokens.create(grant(false), "code-hash");
        boolean revoked = db.write(c -> tokens.revokeByCode(c, "code-hash"));
        assertThat(revoked).isTrue();
        assertOAuthError(() -> tokens.verify(issued.accessToken()), "invalid_token", 401);
    }

    long rows(String table) {
        return db.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT count(*) FROM " + table)) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    @Test
    void expiredSessionsAndUsedRefreshTokensArePrunedAsNewOnesAreWritten() {
        var old = tokens.create(grant(false), null);
        tokens.refresh(old.refreshToken(), CLIENT, JKT);
        assertThat(rows("oauth_session")).isEqualTo(1);
        assertThat(rows("oauth_used_refresh")).isEqualTo(1);
        clock.advance(Duration.ofDays(15)); // past the public session's two weeks
        var fresh = tokens.create(grant(false), null);
        assertThat(rows("oauth_session")).isEqualTo(1);
        assertThat(rows("oauth_used_refresh")).isZero();
        assertThat(tokens.sessions()).extracting(OAuthTokens.SessionInfo::id).containsExactly(fresh.sessionId());
    }

    @Test
    void expiredRequestsArePruned() {
        var requests = new OAuthRequests(db, clock);
        var first = requests.create(CLIENT, "{}", dev.alteran.pds.wire.Json.object().put("scope", "atproto"), JKT);
        assertThat(requests.find(first.requestUri())).isNotNull();
        clock.advance(OAuthRequests.PAR_EXPIRES_IN);
        assertThat(requests.find(first.requestUri())).isNull();
        requests.create(CLIENT, "{}", dev.alteran.pds.wire.Json.object().put("scope", "atproto"), JKT);
        assertThat(rows("oauth_request")).isEqualTo(1);
    }
}
