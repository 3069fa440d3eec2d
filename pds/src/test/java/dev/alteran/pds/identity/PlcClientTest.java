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

    @Test
    void auditLogsAreVerifiedAndOperationsArePostedAsJson() throws Exception {
        var key = dev.alteran.atproto.crypto.Keypair.generate(dev.alteran.atproto.crypto.Curve.K256);
        var genesis = dev.alteran.atproto.plc.PlcOperation.atproto(java.util.List.of(key.didKey()), key.didKey(), "alice.test",
                "https://pds.example.com").sign(key);
        var did = dev.alteran.atproto.plc.Plc.didForGenesis(genesis);
        var next = dev.alteran.atproto.plc.PlcOperation.after(genesis).withHandle("bob.test").sign(key);
        var entry = "{\"did\":\"%s\",\"operation\":%s,\"cid\":\"%s\",\"nullified\":false,\"createdAt\":\"2025-01-01T00:00:00Z\"}";
        var good = "[" + entry.formatted(did, dev.alteran.atproto.plc.PlcJson.toJsonString(genesis), genesis.cid()) + "]";
        // The directory claims the second operation is a first one: the chain does not verify.
        var forged = "[" + entry.formatted(did, dev.alteran.atproto.plc.PlcJson.toJsonString(next), next.cid()) + "]";
        var posted = new java.util.concurrent.CopyOnWriteArrayList<String>();
        try (var plc = Loopback.start(ex -> {
            var path = ex.getRequestURI().getPath();
            if (ex.getRequestMethod().equals("POST")) {
                try {
                    posted.add(new String(ex.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                Loopback.send(ex, posted.size() == 1 ? 200 : 400, posted.size() == 1 ? "" : "{\"message\":\"Invalid signature on op\"}");
            } else if (path.equals("/" + did + "/log/audit")) {
                Loopback.send(ex, 200, good);
            } else if (path.equals("/" + GONE + "/log/audit")) {
                Loopback.send(ex, 200, forged.replace(did, GONE));
            } else {
                Loopback.send(ex, 404, "{\"message\":\"DID not registered\"}");
            }
        })) {
            var client = new PlcClient(plc.base(), HTTP);
            var history = client.auditLog(did);
            assertThat(history.data().orElseThrow().handle()).contains("alice.test");
            assertThat(history.last()).isEqualTo(genesis);
            assertThatThrownBy(() -> client.auditLog(GONE)).isInstanceOf(ResolutionException.class).hasMessageContaining("does not verify");
            assertThatThrownBy(() -> client.auditLog(DID)).isInstanceOf(ResolutionException.class).hasMessageContaining("answered 404");

            assertThat(client.submit(did, next)).isEqualTo(new PlcClient.Submitted(200, ""));
            assertThat(posted).containsExactly(dev.alteran.atproto.plc.PlcJson.toJsonString(next));
            var refused = client.submit(did, next);
            assertThat(refused.accepted()).isFalse();
            assertThat(refused.message()).isEqualTo("Invalid signature on op");
            assertThat(plc.requests).contains("/" + did);
        }
    }
}
