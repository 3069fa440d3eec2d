package dev.alteran.atproto.syntax;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class SyntaxTest {

    @Test
    void didParts() {
        var did = Did.parse("did:plc:7iza6de2dwap2sbkpav7c6c6");
        assertThat(did.method()).isEqualTo("plc");
        assertThat(did.identifier()).isEqualTo("7iza6de2dwap2sbkpav7c6c6");
        assertThat(did.isPlc()).isTrue();
        assertThat(did.isWeb()).isFalse();
        assertThat(Did.parse("did:web:localhost%3A1234").isWeb()).isTrue();
        assertThatThrownBy(() -> Did.parse("DID:plc:x")).isInstanceOf(InvalidSyntaxException.class)
                .hasMessageContaining("DID:plc:x");
    }

    @Test
    void handleNormalizeAndTlds() {
        assertThat(Handle.normalize("Alice.Example.COM")).isEqualTo("alice.example.com");
        assertThat(Handle.parse("Alice.Test").normalized().value()).isEqualTo("alice.test");
        assertThat(Handle.isValid("laptop.local")).isTrue();
        for (var h : new String[] {"a.local", "a.arpa", "a.invalid", "a.localhost", "a.internal", "a.example", "a.onion", "a.alt", "X.LOCAL"})
            assertThat(Handle.isDisallowedTld(h)).as(h).isTrue();
        assertThat(Handle.isDisallowedTld("alice.bsky.social")).isFalse();
        assertThat(Handle.isDisallowedTld("alice.test")).isFalse();
    }

    @Test
    void atIdentifierDispatch() {
        assertThat(AtIdentifier.parse("did:plc:abc")).isInstanceOf(Did.class);
        assertThat(AtIdentifier.parse("alice.test")).isInstanceOf(Handle.class);
    }

    @Test
    void nsidParts() {
        var nsid = Nsid.parse("app.bsky.feed.post");
        assertThat(nsid.authority()).isEqualTo("feed.bsky.app");
        assertThat(nsid.name()).isEqualTo("post");
    }

    @Test
    void atUriParts() {
        var uri = AtUri.parse("at://did:plc:abc/app.bsky.feed.post/3jzfcijpj2z2a");
        assertThat(uri.did().value()).isEqualTo("did:plc:abc");
        assertThat(uri.collection().value()).isEqualTo("app.bsky.feed.post");
        assertThat(uri.rkey().value()).isEqualTo("3jzfcijpj2z2a");
        assertThat(uri.toString()).isEqualTo("at://did:plc:abc/app.bsky.feed.post/3jzfcijpj2z2a");
        var repo = AtUri.parse("at://alice.test");
        assertThat(repo.collection()).isNull();
        assertThat(repo.rkey()).isNull();
        assertThat(AtUri.record("did:plc:abc", "app.bsky.feed.like", "self").toString())
                .isEqualTo("at://did:plc:abc/app.bsky.feed.like/self");
    }

    @Test
    void tidRoundTrip() {
        assertThat(Tid.encode(0)).isEqualTo("2222222222222");
        assertThat(Tid.decode("2222222222222")).isZero();
        assertThat(Tid.encode(Long.MAX_VALUE)).isEqualTo("bzzzzzzzzzzzz");
        assertThat(Tid.decode("bzzzzzzzzzzzz")).isEqualTo(Long.MAX_VALUE);
        // Syntactically valid (the spec only constrains the first character) but uses bit 63.
        assertThat(Tid.decode("jzzzzzzzzzzzz")).isEqualTo(-1L);
        var tid = Tid.of(1_700_000_000_000_000L, 517);
        assertThat(tid.timestampMicros()).isEqualTo(1_700_000_000_000_000L);
        assertThat(tid.clockId()).isEqualTo(517);
        assertThat(Tid.parse(tid.value())).isEqualTo(tid);
        assertThat(Tid.of(tid.toLong() + 1).compareTo(tid)).isPositive();
        assertThatThrownBy(() -> Tid.encode(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void datetimeParse() {
        assertThat(Datetime.parse("1985-04-12T23:20:50.123Z").instant())
                .isEqualTo(Instant.parse("1985-04-12T23:20:50.123Z"));
        assertThat(Datetime.parse("1985-04-12T23:20:50.123-07:00").instant())
                .isEqualTo(Instant.parse("1985-04-13T06:20:50.123Z"));
        assertThat(Datetime.parse("1985-04-12T23:20:50.1234567890123Z").instant().getNano()).isEqualTo(123456789);
        assertThat(Datetime.format(Instant.parse("2024-01-15T12:30:00Z"))).isEqualTo("2024-01-15T12:30:00.000Z");
        assertThat(Datetime.format(Instant.parse("0001-02-03T04:05:06.007999Z"))).isEqualTo("0001-02-03T04:05:06.007Z");
        assertThat(Datetime.format(Instant.parse("9999-12-31T23:59:59.999999999Z"))).isEqualTo("9999-12-31T23:59:59.999Z");
        var formatter = java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(java.time.ZoneOffset.UTC);
        var random = new java.util.Random(19);
        for (int i = 0; i < 10_000; i++) {
            var instant = Instant.ofEpochSecond(random.nextLong(-62_135_596_800L, 253_402_300_800L), random.nextInt(1_000_000_000));
            assertThat(Datetime.format(instant)).isEqualTo(formatter.format(instant.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)));
        }
        assertThat(Datetime.isValid(Datetime.now())).isTrue();
        assertThat(Datetime.isValid("2023-02-29T00:00:00Z")).isFalse();
        assertThat(Datetime.isValid("2024-02-29T00:00:00Z")).isTrue();
    }
}
