package dev.alteran.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.alteran.pds.oauth.Pkce;
import dev.alteran.pds.wire.Json;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A small OAuth client for the tests, as an app and its user's browser would be: DPoP proofs with
 * the server's nonce (nimbus-jose-jwt), PAR, the sign-in and consent forms with a cookie jar, and the
 * token endpoint. Every call is real HTTP against the test server.
 */
final class OAuthTestClient {
    static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");

    final TestServer server;
    final String issuer;
    final String clientId;
    final String redirectUri;
    ECKey dpopKey;
    String nonce;
    final HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
    final HttpClient app = HttpClient.newHttpClient();

    OAuthTestClient(TestServer server, String redirectUri, String scope) throws Exception {
        this.server = server;
        this.issuer = server.config.publicOrigin();
        this.redirectUri = redirectUri;
        this.clientId = "http://localhost?redirect_uri=" + enc(redirectUri) + "&scope=" + enc(scope);
        this.dpopKey = newKey();
    }

    static ECKey newKey() throws Exception {
        return new ECKeyGenerator(Curve.P_256).keyID(UUID.randomUUID().toString()).generate();
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static String form(Map<String, String> params) {
        return params.entrySet().stream().map(e -> enc(e.getKey()) + "=" + enc(e.getValue())).collect(Collectors.joining("&"));
    }

    String proof(String method, String path, String nonce) throws Exception {
        return proof(dpopKey, method, issuer + path, nonce);
    }

    static String proof(ECKey key, String method, String htu, String nonce) throws Exception {
        var claims = new JWTClaimsSet.Builder().jwtID(UUID.randomUUID().toString()).claim("htm", method).claim("htu", htu)
                .issueTime(new Date());
        if (nonce != null) claims.claim("nonce", nonce);
        var jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("dpop+jwt")).jwk(key.toPublicJWK()).build(),
                claims.build());
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }

    /** POSTs a form to an OAuth endpoint with a DPoP proof carrying the last nonce the server gave. */
    HttpResponse<String> post(String path, Map<String, String> params) throws Exception {
        return post(path, params, proof("POST", path, nonce));
    }

    HttpResponse<String> post(String path, Map<String, String> params, String dpop) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(server.url(path))).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(params)));
        if (dpop != null) b.header("DPoP", dpop);
        var response = app.send(b.build(), HttpResponse.BodyHandlers.ofString());
        response.headers().firstValue("DPoP-Nonce").ifPresent(n -> nonce = n);
        return response;
    }

    /** The same POST, retried once when the server asks for its nonce (as real clients do). */
    HttpResponse<String> postWithNonce(String path, Map<String, String> params) throws Exception {
        var response = post(path, params);
        if (response.statusCode() == 400 && Json.READER.readTree(response.body()).path("error").asText().equals("use_dpop_nonce")) {
            response = post(path, params);
        }
        return response;
    }

    record Authorization(String requestUri, String verifier, String state) {}

    Map<String, String> parParams(String verifier, String state, String scope) {
        var p = new LinkedHashMap<String, String>();
        p.put("client_id", clientId);
        p.put("response_type", "code");
        p.put("redirect_uri", redirectUri);
        p.put("scope", scope);
        p.put("state", state);
        p.put("code_challenge", Pkce.s256(verifier));
        p.put("code_challenge_method", "S256");
        return p;
    }

    Authorization par(String scope) throws Exception {
        return par(scope, Map.of());
    }

    Authorization par(String scope, Map<String, String> extra) throws Exception {
        var verifier = UUID.randomUUID() + "-" + UUID.randomUUID();
        var state = UUID.randomUUID().toString();
        var params = parParams(verifier, state, scope);
        params.putAll(extra);
        var response = postWithNonce("/oauth/par", params);
        if (response.statusCode() != 201) throw new AssertionError("PAR: " + response.statusCode() + " " + response.body());
        return new Authorization(Json.READER.readTree(response.body()).get("request_uri").asText(), verifier, state);
    }

    HttpResponse<String> authorizePage(String requestUri) throws Exception {
        var url = server.url("/oauth/authorize?client_id=" + enc(clientId) + "&request_uri=" + enc(requestUri));
        return browser.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static String csrf(String html) {
        var m = CSRF.matcher(html);
        if (!m.find()) throw new AssertionError("no CSRF token in the page: " + html);
        return m.group(1);
    }

    /** Posts the page form as the browser would (same origin), {@code extra} overriding fields. */
    HttpResponse<String> submit(String requestUri, String csrf, Map<String, String> fields, String... headers) throws Exception {
        var p = new LinkedHashMap<String, String>();
        p.put("request_uri", requestUri);
        p.put("client_id", clientId);
        if (csrf != null) p.put("csrf", csrf);
        p.putAll(fields);
        var b = HttpRequest.newBuilder(URI.create(server.url("/oauth/authorize")))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(p)));
        if (headers.length == 0) b.header("Origin", issuer).header("Sec-Fetch-Site", "same-origin");
        else b.headers(headers);
        return browser.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The redirect's parameters (query or fragment). */
    static Map<String, String> redirectParams(String location) {
        int at = Math.max(location.indexOf('#'), location.indexOf('?'));
        var out = new LinkedHashMap<String, String>();
        for (var pair : location.substring(at + 1).split("&")) {
            int eq = pair.indexOf('=');
            out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    /** Signs in and allows: the code. */
    String authorize(Authorization auth) throws Exception {
        var page = authorizePage(auth.requestUri());
        if (page.statusCode() != 200) throw new AssertionError("authorize: " + page.statusCode() + " " + page.body());
        var csrf = csrf(page.body());
        var consent = page.body().contains("name=\"password\"")
                ? submit(auth.requestUri(), csrf, Map.of("action", "sign-in", "identifier", TestServer.HANDLE, "password", TestServer.PASSWORD))
                : page;
        if (consent.statusCode() != 200 || !consent.body().contains("value=\"allow\"")) throw new AssertionError("consent: " + consent.body());
        var allowed = submit(auth.requestUri(), csrf(consent.body()), Map.of("action", "allow"));
        if (allowed.statusCode() != 303) throw new AssertionError("allow: " + allowed.statusCode() + " " + allowed.body());
        return redirectParams(allowed.headers().firstValue("Location").orElseThrow()).get("code");
    }

    HttpResponse<String> redeem(String code, String verifier) throws Exception {
        return postWithNonce("/oauth/token", Map.of("client_id", clientId, "grant_type", "authorization_code", "code", code,
                "redirect_uri", redirectUri, "code_verifier", verifier));
    }

    HttpResponse<String> refresh(String refreshToken) throws Exception {
        return postWithNonce("/oauth/token", Map.of("client_id", clientId, "grant_type", "refresh_token", "refresh_token", refreshToken));
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.READER.readTree(r.body());
    }
}
