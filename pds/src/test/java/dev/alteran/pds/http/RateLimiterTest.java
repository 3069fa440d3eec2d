package dev.alteran.pds.http;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.alteran.pds.config.TrustedProxies;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.pds.store.MemoryRateLimitStore;
import dev.alteran.pds.wire.XrpcException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:10.250Z");
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final RateLimiter limiter = new RateLimiter(new MemoryRateLimitStore(), new TrustedProxies(List.of("10.0.0.0/8")),
            Map.of(RateLimiter.Bucket.WRITE, 3, RateLimiter.Bucket.BLOB, 2, RateLimiter.Bucket.LOGIN, 1),
            Clock.fixed(T0, ZoneOffset.UTC), meters);

    @Test
    void headersCountDownThenTheLimitIsA429() {
        long reset = T0.plusSeconds(60).toEpochMilli() / 1000 + 1; // rounded up to a whole second
        for (int remaining = 2; remaining >= 0; remaining--) {
            var headers = FakeRequest.headers();
            limiter.enforce(RateLimiter.Bucket.WRITE, FakeRequest.from("203.0.113.5"), FakeRequest.response(headers));
            assertThat(headers).containsEntry("x-ratelimit-limit", "3")
                    .containsEntry("x-ratelimit-remaining", Integer.toString(remaining))
                    .containsEntry("x-ratelimit-reset", Long.toString(reset))
                    .containsEntry("ratelimit-limit", "3")
                    .containsEntry("ratelimit-remaining", Integer.toString(remaining))
                    .containsEntry("ratelimit-reset", Long.toString(reset))
                    .containsEntry("ratelimit-policy", "3;w=60")
                    .doesNotContainKey("retry-after");
        }
        var headers = FakeRequest.headers();
        assertThatThrownBy(() -> limiter.enforce(RateLimiter.Bucket.WRITE, FakeRequest.from("203.0.113.5"), FakeRequest.response(headers)))
                .isInstanceOfSatisfying(XrpcException.class, e -> {
                    assertThat(e.status()).isEqualTo(429);
                    assertThat(e.error()).isEqualTo("RateLimitExceeded");
                    assertThat(e.getMessage()).isEqualTo("Rate Limit Exceeded");
                });
        assertThat(headers).containsEntry("x-ratelimit-remaining", "0").containsEntry("retry-after", "60");
        assertThat(meters.get("alteran.ratelimit.rejections").tag("bucket", "write").counter().count()).isEqualTo(1);
        assertThat(meters.get("alteran.ratelimit.rejections").tag("bucket", "login").counter().count()).isZero();
        // Another client and another bucket are untouched.
        limiter.enforce(RateLimiter.Bucket.WRITE, FakeRequest.from("203.0.113.6"), FakeRequest.response(FakeRequest.headers()));
        limiter.enforce(RateLimiter.Bucket.LOGIN, FakeRequest.from("203.0.113.5"), FakeRequest.response(FakeRequest.headers()));
    }

    @Test
    void clientsBehindATrustedProxyAreLimitedApart() {
        limiter.enforce(RateLimiter.Bucket.LOGIN, FakeRequest.from("10.0.0.1", "198.51.100.1"), FakeRequest.response(FakeRequest.headers()));
        limiter.enforce(RateLimiter.Bucket.LOGIN, FakeRequest.from("10.0.0.1", "198.51.100.2"), FakeRequest.response(FakeRequest.headers()));
        assertThatThrownBy(() -> limiter.enforce(RateLimiter.Bucket.LOGIN, FakeRequest.from("10.0.0.2", "6.6.6.6, 198.51.100.1"),
                FakeRequest.response(FakeRequest.headers()))).isInstanceOf(XrpcException.class);
    }

    @Test
    void aFailingStoreLetsRequestsThrough() {
        var broken = new RateLimiter((b, c, now, w, limit) -> {
            throw new IllegalStateException("database is gone");
        }, TrustedProxies.none(), Map.of(RateLimiter.Bucket.WRITE, 1, RateLimiter.Bucket.BLOB, 1, RateLimiter.Bucket.LOGIN, 1), Clock.systemUTC(), meters);
        var headers = FakeRequest.headers();
        broken.enforce(RateLimiter.Bucket.WRITE, FakeRequest.from("203.0.113.5"), FakeRequest.response(headers));
        assertThat(headers).isEmpty();
    }
}
