package dev.alteran.pds.oauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DpopNoncesTest {
    static final String SECRET = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:30Z"));

    @Test
    void aNonceStaysValidForThreeSteps() {
        var nonces = DpopNonces.fromConfig(SECRET, clock);
        var handedOut = nonces.next();
        assertThat(nonces.check(handedOut)).isTrue();
        clock.advance(Duration.ofMinutes(1));
        assertThat(nonces.check(handedOut)).isTrue(); // now the current step's
        clock.advance(Duration.ofMinutes(1));
        assertThat(nonces.check(handedOut)).isTrue(); // now the previous step's
        clock.advance(Duration.ofMinutes(1));
        assertThat(nonces.check(handedOut)).isFalse();
    }

    @Test
    void theNextNonceChangesEveryMinute() {
        var nonces = DpopNonces.fromConfig(SECRET, clock);
        var first = nonces.next();
        assertThat(nonces.next()).isEqualTo(first);
        clock.advance(Duration.ofSeconds(30)); // crosses the minute
        assertThat(nonces.next()).isNotEqualTo(first);
    }

    @Test
    void instancesSharingTheSecretAcceptEachOthersNonces() {
        var a = DpopNonces.fromConfig(SECRET, clock);
        var b = DpopNonces.fromConfig(SECRET, clock);
        assertThat(b.check(a.next())).isTrue();
        var other = DpopNonces.fromConfig(null, clock); // a random secret
        assertThat(other.check(a.next())).isFalse();
        assertThat(a.check(other.next())).isFalse();
    }

    @Test
    void refusesForgedNonces() {
        var nonces = DpopNonces.fromConfig(SECRET, clock);
        assertThat(nonces.check("")).isFalse();
        assertThat(nonces.check("not-a-nonce")).isFalse();
        assertThat(nonces.check(nonces.next() + "x")).isFalse();
    }

    @Test
    void theSecretMustBe32BytesOfHex() {
        assertThatThrownBy(() -> DpopNonces.parseSecret("abcd")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DpopNonces.parseSecret(SECRET.replace('a', 'g'))).isInstanceOf(IllegalArgumentException.class);
        assertThat(DpopNonces.parseSecret(SECRET.toUpperCase())).hasSize(32);
    }
}
