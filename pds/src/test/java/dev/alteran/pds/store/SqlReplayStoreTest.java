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

@ParameterizedClass(name = "{0}")
@EnumSource(Dialect.class)
class SqlReplayStoreTest {
    @Parameter
    Dialect dialect;
    static final Duration TTL = Duration.ofMinutes(3);
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
    void aValueIsUniqueOncePerNamespaceUntilItExpires() {
        try (var db = TestDatabase.create(dialect, dir).open()) {
            var store = new SqlReplayStore(db, clock());
            assertThat(store.unique("DPoP", "jti-1", TTL)).isTrue();
            assertThat(store.unique("DPoP", "jti-1", TTL)).isFalse();
            assertThat(store.unique("Auth@client", "jti-1", TTL)).isTrue(); // another namespace
            now = now.plus(TTL).minusMillis(1);
            assertThat(store.unique("DPoP", "jti-1", TTL)).isFalse();
            now = now.plusMillis(1);
            assertThat(store.unique("DPoP", "jti-1", TTL)).isTrue(); // expired: usable again, for a new window
            assertThat(store.unique("DPoP", "jti-1", TTL)).isFalse();
        }
    }

    @Test
    void survivesARestart() {
        var file = TestDatabase.create(dialect, dir);
        try (var db = file.open()) {
            assertThat(new SqlReplayStore(db, clock()).unique("DPoP", "jti-2", TTL)).isTrue();
        }
        try (var db = file.open()) {
            assertThat(new SqlReplayStore(db, clock()).unique("DPoP", "jti-2", TTL)).isFalse();
        }
    }

    @Test
    void expiredRowsAreSwept() {
        try (var db = TestDatabase.create(dialect, dir).open()) {
            var store = new SqlReplayStore(db, clock(), Duration.ofMinutes(1));
            for (int i = 0; i < 5; i++) store.unique("DPoP", "old-" + i, TTL);
            assertThat(store.size()).isEqualTo(5);
            now = now.plus(TTL).plusSeconds(61);
            store.unique("DPoP", "new", TTL);
            assertThat(store.size()).isEqualTo(1);
        }
    }
}
