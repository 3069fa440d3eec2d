package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Two instances (two connections to one database) share a job: one holds its lease until it lapses. */
@ParameterizedClass(name = "{0}")
@EnumSource(Dialect.class)
class JobLeasesTest {
    static final Duration TTL = Duration.ofMinutes(50);
    @Parameter
    Dialect dialect;
    @TempDir
    Path dir;
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    Clock clock() {
        return new Clock() {
            @Override public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
            @Override public Clock withZone(java.time.ZoneId zone) { return this; }
            @Override public Instant instant() { return now; }
        };
    }

    @Test
    void oneInstanceHoldsAJobUntilItsLeaseLapses() {
        var database = TestDatabase.create(dialect, dir);
        try (var dbA = database.open(); var dbB = database.open()) {
            var a = new JobLeases(dbA, "instance-a", clock());
            var b = new JobLeases(dbB, "instance-b", clock());
            assertThat(a.tryAcquire("blob-gc", TTL)).isTrue();
            assertThat(b.tryAcquire("blob-gc", TTL)).isFalse();
            assertThat(b.tryAcquire("other-job", TTL)).as("another job is leased apart").isTrue();
            now = now.plus(TTL).minusMillis(1);
            assertThat(a.tryAcquire("blob-gc", TTL)).as("the holder renews").isTrue();
            now = now.plus(TTL).minusMillis(1);
            assertThat(b.tryAcquire("blob-gc", TTL)).as("not yet lapsed").isFalse();
            now = now.plusMillis(1);
            assertThat(b.tryAcquire("blob-gc", TTL)).as("lapsed: taken over").isTrue();
            assertThat(a.tryAcquire("blob-gc", TTL)).isFalse();
        }
    }
}
