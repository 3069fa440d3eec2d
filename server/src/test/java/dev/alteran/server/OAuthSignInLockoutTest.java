package dev.alteran.server;

import static dev.alteran.server.OAuthTestClient.csrf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.pds.auth.LoginLockout;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sign-in page shares createSession's lockout: after five wrong passwords even the right one is refused for a while. */
class OAuthSignInLockoutTest {
    @Test
    void repeatedWrongPasswordsLockTheSignInPage() throws Exception {
        try (var server = TestServer.start()) {
            var c = new OAuthTestClient(server, "http://127.0.0.1:8765/callback", "atproto");
            var auth = c.par("atproto");
            var page = c.authorizePage(auth.requestUri());
            var csrf = csrf(page.body());
            for (int i = 0; i < LoginLockout.MAX_FAILURES; i++) {
                var wrong = c.submit(auth.requestUri(), csrf, Map.of("action", "sign-in", "identifier", TestServer.HANDLE, "password", "guess " + i));
                assertThat(wrong.statusCode()).isEqualTo(401);
            }
            var locked = c.submit(auth.requestUri(), csrf, Map.of("action", "sign-in", "identifier", TestServer.HANDLE, "password", TestServer.PASSWORD));
            assertThat(locked.statusCode()).isEqualTo(429);
            assertThat(locked.headers().firstValue("Retry-After")).isPresent();
            assertThat(locked.body()).contains("Too many failed attempts").doesNotContain("value=\"allow\"");
            // and createSession is locked too: one lockout for the account
            var session = AuthClient.createSession(server, TestServer.HANDLE, TestServer.PASSWORD);
            assertThat(session.statusCode()).isEqualTo(429);
        }
    }
}
