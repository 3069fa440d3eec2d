package dev.alteran.pds.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlcClientTest {
    static final String DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
    static final String GONE = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa";
    static final String BROKEN = "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb";
    static final String WRONG_ID = "did:plc:cccccccccccccccccccccccc";
    static final String HUGE = "did:plc:dddddddddddddddddddddddd";
    static final IdentityHttp HTTP = new IdentityHttp(Duration.ofSeconds(2), true);

    static String doc(String did, String handle) {
        return """
                {"id":"%s","alsoKnownAs":["at://%s"],"verificationMethod":[],"service":[]}""".formatted(did, handle);
    }

    /** A PLC directory stub: GET /<did>. */
    static Loopback directory() throws Exception {
        var docs = Map.of(DID, doc(DID, "alice.example.com"), WRONG_ID, doc(DID, "alice.example.com"),
                HUGE, doc(HUGE, "x".repeat(PlcClient.MAX_DOCUMENT_BYTES)));
        return Loopback.start(ex -> {
            var did = ex.getRequestURI().getPath().substring(1);
            if (did.equals(GONE)) Loopback.send(ex, 410, "{\"message\":\"DID not available\"}");
            else if (did.equals(BROKEN)) Loopback.send(ex, 503, "busy");
            else if (docs.containsKey(did)) Loopback.send(ex, 200, docs.get(did));
            else Loopback.send(ex, 404, "{\"message\":\"DID not registered\"}");
        });
    }

    static final class MutableClock extends Clock {
        Instant now = Instant.parse("2025-01-01T00:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    @Test
    void documentsAreCachedForTheTtl() throws Exception {
        try (var plc = directory()) {
            var clock = new MutableClock();
            var client = new PlcClient(plc.base() + "/", HTTP, Duration.ofHours(1), clock);
            var first = client.fetchDocument(DID).orElseThrow();
            assertThat(first.get("id").asText()).isEqualTo(DID);
            assertThat(client.fetchDocument(DID)).hasValue(first);
            assertThat(plc.requests).containsExactly("/" + DID);

            clock.now = clock.now.plus(Duration.ofMinutes(59));
            client.fetchDocument(DID);
            assertThat(plc.requests).hasSize(1);
            clock.now = clock.now.plus(Duration.ofMinutes(2));
            client.fetchDocument(DID);
            assertThat(plc.requests).hasSize(2);

            client.fetchFresh(DID);
            assertThat(plc.requests).hasSize(3);
            client.invalidate(DID);
            client.fetchDocument(DID);
            assertThat(plc.requests).hasSize(4);
        }
    }

    @Test
    void unknownDidIsEmptyAndTombstoneIsDeactivated() throws Exception {
        try (var plc = directory()) {
            var client = new PlcClient(plc.base(), HTTP);
            assertThat(client.fetchDocument("did:plc:zzzzzzzzzzzzzzzzzzzzzzzz")).isEmpty();
            assertThatThrownBy(() -> client.fetchDocument(GONE)).isInstanceOf(DidDeactivatedException.class);
        }
    }

    @Test
    void directoryErrorsAndMalformedDocumentsAreResolutionFailures() throws Exception {
        try (var plc = directory()) {
            var client = new PlcClient(plc.base(), HTTP);
            assertThatThrownBy(() -> client.fetchDocument(BROKEN)).isInstanceOf(ResolutionException.class).hasMessageContaining("503");
            assertThatThrownBy(() -> client.fetchDocument(WRONG_ID)).isInstanceOf(ResolutionException.class).hasMessageContaining("malformed");
            assertThatThrownBy(() -> client.fetchDocument(HUGE)).isInstanceOf(ResolutionException.class).hasMessageContaining("larger than");
        }
    }

    @Test
    void malformedPlcDidsNeverReachTheDirectory() throws Exception {
        try (var plc = directory()) {
            var client = new PlcClient(plc.base(), HTTP);
            for (var did : new String[] {"did:plc:short", "did:plc:EWVI7NXZYOUN6ZHXRHS64OIZ", "did:web:example.com", "did:plc:ewvi7nxzyoun6zhxrhs64oiz/../x"}) {
                assertThat(client.fetchDocument(did)).as(did).isEmpty();
            }
            assertThat(plc.requests).isEmpty();
        }
    }

    @Test
    void unreachableDirectoryIsAResolutionFailure() throws Exception {
        String base;
        try (var plc = directory()) {
            base = plc.base();
        }
        var client = new PlcClient(base, HTTP);
        assertThatThrownBy(() -> client.fetchDocument(DID)).isInstanceOf(ResolutionException.class);
    }
}
