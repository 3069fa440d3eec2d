package dev.alteran.pds.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DidResolverTest {
    static final IdentityHttp HTTP = new IdentityHttp(Duration.ofSeconds(2), true);

    /** did:web documents at /web/<host>/did.json; a PLC stub at /plc/<did>. */
    static Loopback hosts() throws Exception {
        return Loopback.start(ex -> {
            var path = ex.getRequestURI().getPath();
            switch (path) {
                case "/web/alice.example.com/did.json" -> Loopback.send(ex, 200, PlcClientTest.doc("did:web:alice.example.com", "alice.example.com"));
                case "/web/localhost:8443/did.json" -> Loopback.send(ex, 200, PlcClientTest.doc("did:web:localhost%3A8443", "dev.test"));
                case "/web/liar.example.com/did.json" -> Loopback.send(ex, 200, PlcClientTest.doc("did:web:alice.example.com", "liar.example.com"));
                case "/web/notjson.example.com/did.json" -> Loopback.send(ex, 200, "<html></html>");
                case "/web/down.example.com/did.json" -> Loopback.send(ex, 502, "bad gateway");
                case "/plc/" + PlcClientTest.DID -> Loopback.send(ex, 200, PlcClientTest.doc(PlcClientTest.DID, "bob.example.com"));
                default -> Loopback.send(ex, 404, "");
            }
        });
    }

    static DidResolver resolver(Loopback server) {
        return new DidResolver(new PlcClient(server.base() + "/plc", HTTP), HTTP, server.base() + "/web/{host}/did.json");
    }

    @Test
    void didWebDocumentsAreFetchedFromTheirHost() throws Exception {
        try (var server = hosts()) {
            var r = resolver(server);
            assertThat(r.resolve("did:web:alice.example.com").orElseThrow().get("id").asText()).isEqualTo("did:web:alice.example.com");
            assertThat(r.resolve("did:web:localhost%3A8443").orElseThrow().get("id").asText()).isEqualTo("did:web:localhost%3A8443");
        }
    }

    @Test
    void didPlcGoesToTheDirectory() throws Exception {
        try (var server = hosts()) {
            var doc = resolver(server).resolve(PlcClientTest.DID).orElseThrow();
            assertThat(DidDocuments.handleOf(doc)).hasValue("bob.example.com");
        }
    }

    @Test
    void missingMalformedOrMismatchedDocumentsAreNotFound() throws Exception {
        try (var server = hosts()) {
            var r = resolver(server);
            assertThat(r.resolve("did:web:nobody.example.com")).isEmpty();
            assertThat(r.resolve("did:web:liar.example.com")).isEmpty(); // its document is about another DID
            assertThat(r.resolve("did:web:notjson.example.com")).isEmpty();
            assertThat(r.resolve("did:web:example.com:user:alice")).isEmpty(); // paths are not part of atproto did:web
            assertThat(r.resolve("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")).isEmpty();
            assertThat(server.requests).containsExactly("/web/nobody.example.com/did.json",
                    "/web/liar.example.com/did.json", "/web/notjson.example.com/did.json");
        }
    }

    @Test
    void serverErrorsAreResolutionFailures() throws Exception {
        try (var server = hosts()) {
            assertThatThrownBy(() -> resolver(server).resolve("did:web:down.example.com")).isInstanceOf(ResolutionException.class);
        }
    }

    @Test
    void webHostParsing() {
        assertThat(DidDocuments.webHost("did:web:Example.COM")).isEqualTo("example.com");
        assertThat(DidDocuments.webHost("did:web:localhost%3A2583")).isEqualTo("localhost:2583");
        assertThat(DidDocuments.webHost("did:web:example.com:path")).isNull();
        assertThat(DidDocuments.webHost("did:web:evil.com%2Fpath")).isNull();
        assertThat(DidDocuments.webHost("did:web:user%40evil.com")).isNull();
        assertThat(DidDocuments.webHost("did:plc:ewvi7nxzyoun6zhxrhs64oiz")).isNull();
        // Found by DidDocumentFuzzTest: a malformed escape (the DID syntax allows %) was an IllegalArgumentException, a 500.
        assertThat(DidDocuments.webHost("did:web:localhost%zz")).isNull();
        assertThat(DidDocuments.webHost("did:web:localhost%3")).isNull();
    }
}
