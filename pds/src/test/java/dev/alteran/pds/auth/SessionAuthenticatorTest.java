package dev.alteran.pds.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.pds.wire.XrpcException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.atomic.AtomicReference;
import jakarta.servlet.http.HttpServletRequest;
import org.junit.jupiter.api.Test;

class SessionAuthenticatorTest {
    static HttpServletRequest withAuthorization(String value) {
        return (HttpServletRequest) Proxy.newProxyInstance(HttpServletRequest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getHeader") && "Authorization".equalsIgnoreCase((String) args[0])) return value;
                    return null;
                });
    }

    static XrpcException error(Runnable r) {
        try {
            r.run();
        } catch (XrpcException e) {
            return e;
        }
        throw new AssertionError("no error");
    }

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2025-01-01T00:00:00Z"));

        @Override public ZoneId getZone() { return ZoneId.of("UTC"); }
        @Override public Clock withZone(ZoneId zone) { return this; }
        @Override public Instant instant() { return now.get(); }
    }

    @Test
    void bearerAccessTokenGivesThePrincipal() {
        var tokens = new SessionTokens(SessionTokensTest.DID, SessionTokensTest.ACCESS_SECRET, SessionTokensTest.REFRESH_SECRET,
                3600, 86400, Clock.systemUTC());
        var auth = new SessionAuthenticator(tokens, null);
        var jwt = tokens.issue(Scope.APP_PASS_PRIVILEGED, "j").accessJwt();
        assertThat(auth.authenticate(withAuthorization("Bearer " + jwt), null))
                .isEqualTo(new Principal(SessionTokensTest.DID, Scope.APP_PASS_PRIVILEGED));
        assertThat(auth.authenticate(withAuthorization("bearer " + jwt), null).scope()).isEqualTo(Scope.APP_PASS_PRIVILEGED);
        assertThat(auth.authenticate(withAuthorization(null), null)).isNull();
    }

    @Test
    void headerErrorsAreTheReferences() {
        var tokens = new SessionTokens(SessionTokensTest.DID, SessionTokensTest.ACCESS_SECRET, SessionTokensTest.REFRESH_SECRET,
                3600, 86400, Clock.systemUTC());
        var auth = new SessionAuthenticator(tokens, null);
        var malformed = error(() -> auth.authenticate(withAuthorization("Bearer a b"), null));
        assertThat(malformed.error()).isEqualTo("InvalidToken");
        assertThat(malformed.getMessage()).isEqualTo("Malformed authorization header");
        var unsupported = error(() -> auth.authenticate(withAuthorization("Token abc"), null));
        assertThat(unsupported.getMessage()).isEqualTo("Unsupported authorization type: Token");
        var basic = error(() -> auth.authenticate(withAuthorization("Basic YWRtaW46cGFzcw=="), null));
        assertThat(basic.status()).isEqualTo(400);
        assertThat(basic.getMessage()).isEqualTo("Unexpected authorization type");
        var empty = error(() -> auth.authenticate(withAuthorization("Bearer "), null));
        assertThat(empty.status()).isEqualTo(401);
        assertThat(empty.error()).isEqualTo("AuthMissing");
    }

    @Test
    void cachedTokensStillExpire() {
        var clock = new MovableClock();
        var tokens = new SessionTokens(SessionTokensTest.DID, SessionTokensTest.ACCESS_SECRET, SessionTokensTest.REFRESH_SECRET,
                60, 86400, clock);
        var auth = new SessionAuthenticator(tokens, null);
        var request = withAuthorization("Bearer " + tokens.issue(Scope.ACCESS, "j").accessJwt());
        assertThat(auth.authenticate(request, null)).isNotNull();
        assertThat(auth.authenticate(request, null)).isNotNull(); // from the cache
        clock.now.set(clock.now.get().plusSeconds(60));
        assertThat(error(() -> auth.authenticate(request, null)).error()).isEqualTo("ExpiredToken");
    }
}
