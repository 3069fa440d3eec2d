package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.alteran.atproto.crypto.DidKeys;
import dev.alteran.pds.identity.WellKnownServlet;
import dev.alteran.pds.wire.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IdentityTest {
    static final String CACHE = "public, max-age=3600, stale-while-revalidate=86400";
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    static int port() {
        return server.config.port();
    }

    /** Requests sent to http://localhost:<port>, the host our did:web names (TestServer itself uses 127.0.0.1). */
    static HttpResponse<String> getViaLocalhost(String path) throws Exception {
        var request = HttpRequest.newBuilder(URI.create("http://localhost:" + port() + path)).GET().build();
        return server.http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** A raw request with any Host header (the JDK client will not set one itself). Returns the status line and body. */
    static String[] rawGet(TestServer s, String path, String host) {
        try (var socket = new Socket(InetAddress.getLoopbackAddress(), s.config.port())) {
            var request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            var response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            var status = response.substring(0, response.indexOf("\r\n"));
            var body = response.substring(response.indexOf("\r\n\r\n") + 4);
            return new String[] {status, body};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    static List<String> invalidHandles() {
        try (var in = IdentityTest.class.getResourceAsStream("/interop/syntax/handle_syntax_invalid.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void assertError(HttpResponse<String> r, int status, String error) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(TestServer.json(r).get("error").asText()).isEqualTo(error);
    }

    @Test
    void didJsonIsOurDidWebDocument() throws Exception {
        var r = getViaLocalhost("/.well-known/did.json");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("cache-control")).hasValue(CACHE);
        assertThat(r.headers().firstValue("content-type").orElseThrow()).startsWith("application/json");
        var doc = TestServer.json(r);
        var did = server.config.did();
        assertThat(did).isEqualTo("did:web:localhost%3A" + port());
        assertThat(doc.get("@context")).extracting(JsonNode::asText).containsExactly(
                "https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1",
                "https://w3id.org/security/suites/secp256k1-2019/v1");
        assertThat(doc.get("id").asText()).isEqualTo(did);
        assertThat(doc.get("alsoKnownAs")).extracting(JsonNode::asText).containsExactly("at://alice.test");

        var methods = doc.get("verificationMethod");
        assertThat(methods).hasSize(1);
        var method = methods.get(0);
        assertThat(method.get("id").asText()).isEqualTo(did + "#atproto");
        assertThat(method.get("type").asText()).isEqualTo("Multikey");
        assertThat(method.get("controller").asText()).isEqualTo(did);
        var key = DidKeys.parseMultikey(method.get("publicKeyMultibase").asText());
        assertThat(key).isEqualTo(server.config.signingKey().publicKey());

        var services = doc.get("service");
        assertThat(services).hasSize(1);
        assertThat(services.get(0).get("id").asText()).isEqualTo("#atproto_pds");
        assertThat(services.get(0).get("type").asText()).isEqualTo("AtprotoPersonalDataServer");
        // development: the origin the request came to, so a local client can follow it
        assertThat(services.get(0).get("serviceEndpoint").asText()).isEqualTo("http://localhost:" + port());
    }

    @Test
    void didJsonOnlyAnswersForTheDidWebHost() throws Exception {
        assertThat(server.get("/.well-known/did.json").statusCode()).isEqualTo(404); // Host: 127.0.0.1:<port>
        assertThat(rawGet(server, "/.well-known/did.json", "localhost:" + (port() + 1))[0]).contains(" 404 ");
        assertThat(rawGet(server, "/.well-known/did.json", "evil.example.com")[0]).contains(" 404 ");
        assertThat(rawGet(server, "/.well-known/did.json", "LOCALHOST:" + port())[0]).contains(" 200 ");
    }

    @Test
    void atprotoDidIsOurDidAsText() throws Exception {
        var r = server.get("/.well-known/atproto-did");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(server.config.did());
        assertThat(r.headers().firstValue("content-type").orElseThrow()).startsWith("text/plain");
        assertThat(r.headers().firstValue("cache-control")).hasValue(CACHE);
    }

    @Test
    void outsideDevelopmentAtprotoDidAnswersOnlyForOurHandle() throws Exception {
        try (var staging = TestServer.start(Map.of("ALTERAN_ENV", "staging"))) {
            var other = rawGet(staging, "/.well-known/atproto-did", "127.0.0.1:" + staging.config.port());
            assertThat(other[0]).contains(" 404 ");
            assertThat(other[1]).isEqualTo("User not found");
            var ours = rawGet(staging, "/.well-known/atproto-did", "Alice.Test");
            assertThat(ours[0]).contains(" 200 ");
            assertThat(ours[1]).isEqualTo(staging.config.did());
        }
    }

    @Test
    void resolveHandleAnswersOurHandleLocally() throws Exception {
        for (var handle : List.of("alice.test", "ALICE.Test")) {
            var r = server.get("/xrpc/com.atproto.identity.resolveHandle?handle=" + q(handle));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(TestServer.json(r).get("did").asText()).isEqualTo(server.config.did());
        }
    }

    @Test
    void resolveHandleRefusesInvalidInput() throws Exception {
        assertError(server.get("/xrpc/com.atproto.identity.resolveHandle"), 400, "InvalidRequest");
        assertError(server.get("/xrpc/com.atproto.identity.resolveHandle?handle=a.test&handle=b.test"), 400, "InvalidRequest");
        for (var handle : invalidHandles()) {
            var r = server.get("/xrpc/com.atproto.identity.resolveHandle?handle=" + q(handle));
            assertError(r, 400, "InvalidRequest");
        }
        assertError(server.get("/xrpc/com.atproto.identity.resolveHandle?handle=" + "a".repeat(5000) + ".test"), 400, "InvalidRequest");
    }

    @Test
    void unresolvableHandleIsUnableToResolve() throws Exception {
        // A reserved TLD is refused before any lookup, so this touches no network.
        var r = server.get("/xrpc/com.atproto.identity.resolveHandle?handle=printer.local");
        assertError(r, 400, "InvalidRequest");
        assertThat(TestServer.json(r).get("message").asText()).isEqualTo("Unable to resolve handle");
        assertError(server.get("/xrpc/com.atproto.identity.resolveIdentity?identifier=printer.local"), 400, "HandleNotFound");
    }

    @Test
    void resolveDidOfOurselvesIsOurDocument() throws Exception {
        var r = getViaLocalhost("/xrpc/com.atproto.identity.resolveDid?did=" + q(server.config.did()));
        assertThat(r.statusCode()).isEqualTo(200);
        var expected = TestServer.json(getViaLocalhost("/.well-known/did.json"));
        assertThat(TestServer.json(r).get("didDoc")).isEqualTo(expected);
    }

    @Test
    void resolveDidRefusesBadAndUnknownDids() throws Exception {
        assertError(server.get("/xrpc/com.atproto.identity.resolveDid"), 400, "InvalidRequest");
        assertError(server.get("/xrpc/com.atproto.identity.resolveDid?did=" + q("did:WEB:x")), 400, "InvalidRequest");
        assertError(server.get("/xrpc/com.atproto.identity.resolveDid?did=alice.test"), 400, "InvalidRequest");
        // methods atproto does not use, and malformed did:plc / did:web, are not found without a lookup
        for (var did : List.of("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme", "did:plc:short", "did:web:a.com:path")) {
            assertError(server.get("/xrpc/com.atproto.identity.resolveDid?did=" + q(did)), 400, "DidNotFound");
        }
    }

    @Test
    void resolveIdentityOfOurselves() throws Exception {
        for (var identifier : List.of(server.config.did(), "alice.test", "Alice.TEST")) {
            var r = getViaLocalhost("/xrpc/com.atproto.identity.resolveIdentity?identifier=" + q(identifier));
            assertThat(r.statusCode()).as(identifier).isEqualTo(200);
            var body = TestServer.json(r);
            assertThat(body.get("did").asText()).isEqualTo(server.config.did());
            assertThat(body.get("handle").asText()).isEqualTo("alice.test");
            assertThat(body.at("/didDoc/id").asText()).isEqualTo(server.config.did());
            assertThat(body.at("/didDoc/alsoKnownAs/0").asText()).isEqualTo("at://alice.test");
        }
        assertError(server.get("/xrpc/com.atproto.identity.resolveIdentity?identifier=" + q("not an identifier")), 400, "InvalidRequest");
        assertError(server.get("/xrpc/com.atproto.identity.resolveIdentity"), 400, "InvalidRequest");
    }

    @Test
    void updateHandleNeedsAuthBeforeAnythingElse() throws Exception {
        assertError(server.post("/xrpc/com.atproto.identity.updateHandle", "{\"handle\":\"bob.test\"}"), 401, "AuthMissing");
        for (var handle : invalidHandles()) {
            var body = Json.WRITER.writeValueAsString(Map.of("handle", handle));
            assertError(server.post("/xrpc/com.atproto.identity.updateHandle", body), 401, "AuthMissing");
        }
        assertError(server.get("/xrpc/com.atproto.identity.updateHandle"), 400, "InvalidRequest"); // a procedure: POST only
        assertThat(server.alteran.identity().handle()).isEqualTo("alice.test");
    }

    @Test
    void updateHandleWithASession() throws Exception {
        try (var s = TestServer.start()) {
            var auth = new String[] {"authorization", "Bearer " + AuthClient.login(s).get("accessJwt").asText()};
            for (var handle : invalidHandles()) {
                var body = Json.WRITER.writeValueAsString(Map.of("handle", handle));
                assertError(s.post("/xrpc/com.atproto.identity.updateHandle", body, auth), 400, "InvalidRequest");
            }
            assertError(s.post("/xrpc/com.atproto.identity.updateHandle", "{\"handle\":\"printer.local\"}", auth), 400, "InvalidHandle");
            assertThat(s.alteran.identity().handle()).isEqualTo("alice.test");
            var r = s.post("/xrpc/com.atproto.identity.updateHandle", "{\"handle\":\"Bob.Test\"}", auth);
            assertThat(r.statusCode()).isEqualTo(200); // dev: no resolution lookups
            assertThat(s.alteran.identity().handle()).isEqualTo("bob.test");
            // the new handle logs in; getSession names it
            var session = AuthClient.createSession(s, "bob.test", TestServer.PASSWORD);
            assertThat(session.statusCode()).isEqualTo(200);
            assertThat(TestServer.json(session).get("handle").asText()).isEqualTo("bob.test");
        }
    }

    @Test
    void everythingShowsTheCurrentHandle() throws Exception {
        try (var s = TestServer.start()) {
            s.alteran.identity().updateHandle("Bob.Test"); // the component updateHandle stores through, without HTTP
            var local = HttpRequest.newBuilder(URI.create("http://localhost:" + s.config.port() + "/.well-known/did.json")).build();
            var doc = TestServer.json(s.http.send(local, HttpResponse.BodyHandlers.ofString()));
            assertThat(doc.at("/alsoKnownAs/0").asText()).isEqualTo("at://bob.test");
            assertThat(s.get("/").body()).contains("bob.test").doesNotContain("alice.test");
            var resolved = s.get("/xrpc/com.atproto.identity.resolveHandle?handle=bob.test");
            assertThat(TestServer.json(resolved).get("did").asText()).isEqualTo(s.config.did());
            var identity = TestServer.json(s.get("/xrpc/com.atproto.identity.resolveIdentity?identifier=" + q(s.config.did())));
            assertThat(identity.get("handle").asText()).isEqualTo("bob.test");
            assertThat(s.alteran.identity().isOurHandle("alice.test")).isFalse(); // (resolving it now would go to the network)
        }
    }

    @Test
    void theWellKnownPathsAreClaimed() {
        assertThat(server.alteran.paths()).contains(WellKnownServlet.ATPROTO_DID, WellKnownServlet.DID_JSON);
    }

    @Test
    void didPlcAccountsPublishNoDidJsonAndReadThePlcDirectory() throws Exception {
        var did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
        var plcDoc = """
                {"@context":["https://www.w3.org/ns/did/v1"],"id":"%s","alsoKnownAs":["at://alice.test"],
                 "verificationMethod":[],"service":[{"id":"#atproto_pds","type":"AtprotoPersonalDataServer",
                 "serviceEndpoint":"https://pds.example.com"}]}""".formatted(did);
        var plc = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        plc.createContext("/", ex -> {
            var found = ex.getRequestURI().getPath().equals("/" + did);
            var bytes = (found ? plcDoc : "{}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(found ? 200 : 404, bytes.length);
            ex.getResponseBody().write(bytes);
            ex.close();
        });
        plc.start();
        try (var plcServer = TestServer.start(Map.of("PDS_DID", did, "PDS_PLC_URL", "http://127.0.0.1:" + plc.getAddress().getPort()))) {
            assertThat(plcServer.alteran.paths()).contains(WellKnownServlet.ATPROTO_DID).doesNotContain(WellKnownServlet.DID_JSON);
            assertThat(plcServer.get("/.well-known/did.json").statusCode()).isEqualTo(404);
            assertThat(rawGet(plcServer, "/.well-known/did.json", "localhost:" + plcServer.config.port())[0]).contains(" 404 ");
            assertThat(plcServer.get("/.well-known/atproto-did").body()).isEqualTo(did);

            var resolved = plcServer.get("/xrpc/com.atproto.identity.resolveDid?did=" + q(did));
            assertThat(resolved.statusCode()).isEqualTo(200);
            assertThat(TestServer.json(resolved).get("didDoc")).isEqualTo(Json.READER.readTree(plcDoc));

            var identity = TestServer.json(plcServer.get("/xrpc/com.atproto.identity.resolveIdentity?identifier=alice.test"));
            assertThat(identity.get("did").asText()).isEqualTo(did);
            assertThat(identity.at("/didDoc/service/0/serviceEndpoint").asText()).isEqualTo("https://pds.example.com");
        } finally {
            plc.stop(0);
        }
    }
}
