package dev.alteran.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.wire.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Session helpers for the auth integration tests: login, bearer calls, hand-made JWTs. */
final class AuthClient {
    private AuthClient() {}

    static HttpResponse<String> createSession(TestServer server, String identifier, String password) throws Exception {
        var body = Json.object().put("identifier", identifier).put("password", password);
        return server.post("/xrpc/com.atproto.server.createSession", body.toString());
    }

    /** A successful login's output. */
    static JsonNode login(TestServer server, String password) throws Exception {
        var r = createSession(server, TestServer.HANDLE, password);
        if (r.statusCode() != 200) throw new AssertionError("login failed: " + r.statusCode() + " " + r.body());
        return TestServer.json(r);
    }

    static JsonNode login(TestServer server) throws Exception {
        return login(server, TestServer.PASSWORD);
    }

    static HttpResponse<String> getWithToken(TestServer server, String path, String jwt) throws Exception {
        return server.get(path, "Authorization", "Bearer " + jwt);
    }

    /** A procedure without input, as clients send refreshSession and deleteSession: no body at all. */
    static HttpResponse<String> postNoBody(TestServer server, String path, String... headers) throws IOException, InterruptedException {
        var b = HttpRequest.newBuilder(URI.create(server.url(path))).POST(HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) b.headers(headers);
        return server.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> refresh(TestServer server, String refreshJwt) throws Exception {
        return postNoBody(server, "/xrpc/com.atproto.server.refreshSession", "Authorization", "Bearer " + refreshJwt);
    }

    static HttpResponse<String> deleteSession(TestServer server, String refreshJwt) throws Exception {
        return postNoBody(server, "/xrpc/com.atproto.server.deleteSession", "Authorization", "Bearer " + refreshJwt);
    }

    static HttpResponse<String> getSession(TestServer server, String accessJwt) throws Exception {
        return getWithToken(server, "/xrpc/com.atproto.server.getSession", accessJwt);
    }

    static JsonNode claims(String jwt) throws IOException {
        return Json.READER.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
    }

    static JsonNode header(String jwt) throws IOException {
        return Json.READER.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[0]));
    }

    static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** An HS256 JWT made here, independently of the server's code. */
    static String forge(String typ, Map<String, Object> claims, String secret) throws Exception {
        var header = "{\"alg\":\"HS256\",\"typ\":\"" + typ + "\"}";
        var input = b64(header) + "." + b64(Json.WRITER.writeValueAsString(claims));
        var mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    }

    static long nowSec() {
        return System.currentTimeMillis() / 1000;
    }

    /** Error name and message of an XRPC error response, with its status: "400 InvalidToken: Token could not be verified". */
    static String error(HttpResponse<String> r) throws IOException {
        var body = TestServer.json(r);
        return r.statusCode() + " " + body.path("error").asText() + ": " + body.path("message").asText();
    }
}
