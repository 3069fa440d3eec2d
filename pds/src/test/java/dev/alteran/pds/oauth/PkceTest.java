package dev.alteran.pds.oauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.SqlReplayStore;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PkceTest {
    // RFC 7636 appendix B
    static final String VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    static final String CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    @TempDir
    Path dir;

    static void refused(Runnable call, String error, String description) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(OAuthException.class, e -> {
            assertThat(e.error()).isEqualTo(error);
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.description()).isEqualTo(description);
        });
    }

    @Test
    void s256IsTheRfcExample() {
        assertThat(Pkce.s256(VERIFIER)).isEqualTo(CHALLENGE);
    }

    @Test
    void anAuthorizationRequestNeedsAnS256Challenge() {
        Pkce.checkChallenge(CHALLENGE, "S256");
        refused(() -> Pkce.checkChallenge(null, null), "invalid_request", "Use of PKCE is required");
        refused(() -> Pkce.checkChallenge(null, "S256"), "invalid_request", "code_challenge is required when code_challenge_method is provided");
        refused(() -> Pkce.checkChallenge(CHALLENGE, null), "invalid_request", "atproto requires use of \"S256\" code_challenge_method");
        refused(() -> Pkce.checkChallenge(CHALLENGE, "plain"), "invalid_request", "atproto requires use of \"S256\" code_challenge_method");
        refused(() -> Pkce.checkChallenge(CHALLENGE, "S512"), "invalid_request", "Unsupported code_challenge_method \"S512\"");
        refused(() -> Pkce.checkChallenge("short", "S256"), "invalid_request", "Invalid code_challenge");
        refused(() -> Pkce.checkChallenge(CHALLENGE.replace('-', '+'), "S256"), "invalid_request", "Invalid code_challenge");
    }

    @Test
    void theVerifierMustHashToTheChallengeOnce() {
        try (var db = Database.openSqlite(dir.resolve("p.sqlite"))) {
            var replays = new SqlReplayStore(db, new TestClock(Instant.parse("2026-01-01T00:00:00Z")));
            refused(() -> Pkce.verify(CHALLENGE, null, replays), "invalid_grant", "code_verifier is required");
            refused(() -> Pkce.verify(CHALLENGE, "tooShort", replays), "invalid_grant", "code_verifier too short");
            refused(() -> Pkce.verify(CHALLENGE, VERIFIER + " ", replays), "invalid_grant", "Invalid code_verifier");
            refused(() -> Pkce.verify(CHALLENGE, "x".repeat(129), replays), "invalid_grant", "Invalid code_verifier");
            refused(() -> Pkce.verify(CHALLENGE, VERIFIER.replace('d', 'e'), replays), "invalid_grant", "Invalid code_verifier");
            refused(() -> Pkce.verify(CHALLENGE, CHALLENGE, replays), "invalid_grant", "Invalid code_verifier"); // "plain"
            Pkce.verify(CHALLENGE, VERIFIER, replays);
            refused(() -> Pkce.verify(CHALLENGE, VERIFIER, replays), "invalid_grant", "Code challenge already used");
        }
    }
}
