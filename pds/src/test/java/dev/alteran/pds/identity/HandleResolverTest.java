package dev.alteran.pds.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.syntax.Handle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HandleResolverTest {
    static final String DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
    static final IdentityHttp HTTP = new IdentityHttp(Duration.ofSeconds(2), true);
    static final DnsTxtLookup NO_DNS = name -> List.of();

    /** Serves /<handle>/.well-known/atproto-did from a map of handle -> (status, body). */
    static Loopback wellKnown(Map<String, String> bodies) throws Exception {
        return Loopback.start(ex -> {
            var handle = ex.getRequestURI().getPath().split("/")[1];
            var body = bodies.get(handle);
            Loopback.send(ex, body == null ? 404 : 200, body == null ? "" : body);
        });
    }

    static HandleResolver resolver(Loopback server, DnsTxtLookup dns) {
        return new HandleResolver(dns, HTTP, server.base() + "/{handle}/.well-known/atproto-did");
    }

    @Test
    void wellKnownBodyIsTheDidOnItsFirstLine() throws Exception {
        try (var server = wellKnown(Map.of("alice.example.com", DID + "\n", "bob.example.com", "  " + DID + "\nsecond line"))) {
            var r = resolver(server, NO_DNS);
            assertThat(r.resolve(new Handle("alice.example.com"))).hasValue(DID);
            assertThat(r.resolve(new Handle("BOB.example.COM"))).hasValue(DID); // normalized before the lookup
            assertThat(server.requests).contains("/bob.example.com/.well-known/atproto-did");
        }
    }

    @Test
    void wellKnownThatIsNotADidOrNotFoundResolvesToNothing() throws Exception {
        try (var server = wellKnown(Map.of("html.example.com", "<html>hello</html>", "empty.example.com", "  \n"))) {
            var r = resolver(server, NO_DNS);
            assertThat(r.resolve(new Handle("html.example.com"))).isEmpty();
            assertThat(r.resolve(new Handle("empty.example.com"))).isEmpty();
            assertThat(r.resolve(new Handle("missing.example.com"))).isEmpty();
        }
    }

    @Test
    void oversizedWellKnownIsRefused() throws Exception {
        try (var server = wellKnown(Map.of("big.example.com", DID + "\n" + "x".repeat(HandleResolver.MAX_WELL_KNOWN_BYTES)))) {
            assertThat(resolver(server, NO_DNS).resolve(new Handle("big.example.com"))).isEmpty();
        }
    }

    @Test
    void redirectsAreFollowedForTheWellKnown() throws Exception {
        try (var server = Loopback.start(ex -> {
            if (ex.getRequestURI().getPath().startsWith("/moved.example.com/")) {
                ex.getResponseHeaders().add("location", "/final");
                Loopback.send(ex, 302, "");
            } else {
                Loopback.send(ex, 200, DID);
            }
        })) {
            assertThat(resolver(server, NO_DNS).resolve(new Handle("moved.example.com"))).hasValue(DID);
            assertThat(server.requests).containsExactly("/moved.example.com/.well-known/atproto-did", "/final");
        }
    }

    @Test
    void endlessRedirectsGiveUp() throws Exception {
        try (var server = Loopback.start(ex -> {
            ex.getResponseHeaders().add("location", "/again");
            Loopback.send(ex, 302, "");
        })) {
            assertThat(resolver(server, NO_DNS).resolve(new Handle("loop.example.com"))).isEmpty();
            assertThat(server.requests).hasSize(IdentityHttp.MAX_REDIRECTS + 1);
        }
    }

    @Test
    void dnsAnswerWinsOverHttps() throws Exception {
        var other = "did:web:other.example.com";
        try (var server = wellKnown(Map.of("alice.example.com", other))) {
            var queried = new AtomicInteger();
            DnsTxtLookup dns = name -> {
                queried.incrementAndGet();
                assertThat(name).isEqualTo("_atproto.alice.example.com");
                return List.of("v=spf1 -all", "did=" + DID);
            };
            assertThat(resolver(server, dns).resolve(new Handle("alice.example.com"))).hasValue(DID);
            assertThat(queried).hasValue(1);
        }
    }

    @Test
    void ambiguousOrBrokenDnsFallsBackToHttps() throws Exception {
        try (var server = wellKnown(Map.of("alice.example.com", DID))) {
            DnsTxtLookup two = name -> List.of("did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", "did=did:plc:bbbbbbbbbbbbbbbbbbbbbbbb");
            assertThat(resolver(server, two).resolve(new Handle("alice.example.com"))).hasValue(DID);
            DnsTxtLookup failing = name -> {
                throw new ResolutionException("SERVFAIL");
            };
            assertThat(resolver(server, failing).resolve(new Handle("alice.example.com"))).hasValue(DID);
        }
    }

    @Test
    void reservedTldsAreNeverLookedUp() throws Exception {
        try (var server = wellKnown(Map.of("printer.local", DID))) {
            DnsTxtLookup dns = name -> {
                throw new AssertionError("no DNS query for a reserved TLD");
            };
            var r = resolver(server, dns);
            for (var h : List.of("printer.local", "box.internal", "x.onion", "a.localhost", "site.example")) {
                assertThat(r.resolve(new Handle(h))).as(h).isEmpty();
            }
            assertThat(server.requests).isEmpty();
        }
    }

    @Test
    void aSlowServerIsCutOffAtTheDeadline() throws Exception {
        // The server answers only after the resolver has returned: an answer means the deadline did not cut it off.
        var resolved = new java.util.concurrent.CountDownLatch(1);
        try (var server = Loopback.start(ex -> {
            try {
                resolved.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Loopback.send(ex, 200, DID);
        })) {
            var r = new HandleResolver(NO_DNS, new IdentityHttp(Duration.ofMillis(300), true),
                    server.base() + "/{handle}/.well-known/atproto-did");
            try {
                assertThat(r.resolve(new Handle("slow.example.com"))).isEmpty();
            } finally {
                resolved.countDown();
            }
            assertThat(server.requests).hasSize(1);
        }
    }

    @Test
    void txtRecordsNeedExactlyOneValidDid() {
        assertThat(HandleResolver.didFromTxtRecords(List.of("did=" + DID))).hasValue(DID);
        assertThat(HandleResolver.didFromTxtRecords(List.of("something else", "did=" + DID))).hasValue(DID);
        assertThat(HandleResolver.didFromTxtRecords(List.of())).isEmpty();
        assertThat(HandleResolver.didFromTxtRecords(List.of("did=" + DID, "did=" + DID))).isEmpty();
        assertThat(HandleResolver.didFromTxtRecords(List.of("did=not a did"))).isEmpty();
        assertThat(HandleResolver.didFromTxtRecords(List.of("DID=" + DID))).isEmpty();
    }

    @Test
    void wellKnownBodyParsing() {
        assertThat(HandleResolver.didFromWellKnown((DID + "\r\n").getBytes(StandardCharsets.UTF_8))).hasValue(DID);
        assertThat(HandleResolver.didFromWellKnown("did:plc:".getBytes(StandardCharsets.UTF_8))).isEmpty();
        assertThat(HandleResolver.didFromWellKnown(new byte[0])).isEmpty();
        assertThat(HandleResolver.didFromWellKnown(("x" + DID).getBytes(StandardCharsets.UTF_8))).isEqualTo(Optional.empty());
    }

    @Test
    void jndiTxtRenderingIsJoinedBack() {
        // The JDK provider separates character-strings with spaces and quotes those with specials.
        assertThat(DnsTxtLookup.joinCharacterStrings("did=" + DID)).isEqualTo("did=" + DID);
        assertThat(DnsTxtLookup.joinCharacterStrings("did=did:plc:ewvi7nxzyo un6zhxrhs64oiz")).isEqualTo("did=" + DID);
        assertThat(DnsTxtLookup.joinCharacterStrings("\"a b\" c")).isEqualTo("a bc");
        assertThat(DnsTxtLookup.joinCharacterStrings("\"\"")).isEqualTo("");
        assertThat(DnsTxtLookup.joinCharacterStrings("\"say \\\"hi\\\"\" \"back\\\\slash\"")).isEqualTo("say \"hi\"back\\slash");
    }
}
