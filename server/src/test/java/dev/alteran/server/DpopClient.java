package dev.alteran.server;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.alteran.pds.oauth.DpopVerifier;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Date;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * An OAuth client's side of resource requests, as the official client makes them: a P-256 DPoP key,
 * {@code Authorization: DPoP <token>} with a fresh proof per request (htm, htu, iat, jti, the
 * server's nonce, ath), and one retry when the server answers {@code use_dpop_nonce}.
 */
final class DpopClient {
    final TestServer server;
    final ECKey key;
    String token;
    String nonce;

    DpopClient(TestServer server) {
        this(server, newKey());
    }

    /** A client using {@code key}, e.g. the one its tokens were issued for at the token endpoint. */
    DpopClient(TestServer server, ECKey key) {
        this.server = server;
        this.key = key;
    }

    private static ECKey newKey() {
        try {
            return new ECKeyGenerator(Curve.P_256).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key's RFC 7638 thumbprint, what tokens are bound to. */
    String jkt() {
        try {
            return key.computeThumbprint().toString();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> get(String pathAndQuery, String... headers) throws Exception {
        return send("GET", pathAndQuery, null, null, headers);
    }

    HttpResponse<String> post(String path, String json, String... headers) throws Exception {
        return send("POST", path, HttpRequest.BodyPublishers.ofString(json), "application/json", headers);
    }

    HttpResponse<String> send(String method, String pathAndQuery, HttpRequest.BodyPublisher body, String type, String... headers)
            throws Exception {
        var r = sendOnce(method, pathAndQuery, body, type, proof(method, server.url(pathAndQuery), nonce, token, c -> {}), headers);
        if (r.statusCode() == 401 && r.headers().firstValue("www-authenticate").orElse("").contains("error=\"use_dpop_nonce\"")) {
            r = sendOnce(method, pathAndQuery, body, type, proof(method, server.url(pathAndQuery), nonce, token, c -> {}), headers);
        }
        return r;
    }

    /** One request with the given proof (null: none), no retry; remembers the nonce the server hands out. */
    HttpResponse<String> sendOnce(String method, String pathAndQuery, HttpRequest.BodyPublisher body, String type, String proof,
                                  String... headers) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(server.url(pathAndQuery)))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : body);
        if (type != null) b.header("content-type", type);
        if (token != null) b.header("Authorization", "DPoP " + token);
        if (proof != null) b.header("DPoP", proof);
        if (headers.length > 0) b.headers(headers);
        var r = server.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        r.headers().firstValue("dpop-nonce").ifPresent(n -> nonce = n);
        return r;
    }

    /** A proof for {@code method} {@code url}; {@code tweak} may change its claims (the hostile cases). */
    String proof(String method, String url, String nonce, String accessToken, Consumer<JWTClaimsSet.Builder> tweak) {
        var claims = new JWTClaimsSet.Builder()
                .jwtID(UUID.randomUUID().toString())
                .claim("htm", method)
                .claim("htu", url.split("\\?", 2)[0])
                .issueTime(new Date());
        if (nonce != null) claims.claim("nonce", nonce);
        if (accessToken != null) claims.claim("ath", DpopVerifier.accessTokenHash(accessToken));
        tweak.accept(claims);
        return sign(key, claims.build());
    }

    static String sign(ECKey key, JWTClaimsSet claims) {
        var jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("dpop+jwt"))
                .jwk(key.toPublicJWK()).build(), claims);
        try {
            jwt.sign(new ECDSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }
}
