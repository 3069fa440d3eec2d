package dev.alteran.pds.oauth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import dev.alteran.pds.store.ReplayStore;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Checks DPoP proofs (RFC 9449 section 4.3) as {@code @atproto/oauth-provider} does: the
 * {@code dpop+jwt} type, an asymmetric algorithm of {@link #ALGORITHMS} with a public key embedded
 * in the header, the signature, {@code iat} within {@link #MAX_AGE} (plus the nonce lifetime as
 * clock tolerance), {@code jti}, {@code htm} equal to the request method, {@code htu} equal to the
 * request URL once both are reduced to origin and path, the server nonce, {@code ath} when an access
 * token comes with the proof (and no {@code ath} otherwise), and that the {@code jti} was not used
 * before. Proofs whose {@code htu} has a query or fragment are accepted (both are dropped before the
 * comparison) as the reference still does.
 *
 * <p>Built on nimbus-jose-jwt rather than oauth2-oidc-sdk's DPoP verifiers (checked at 11.26): they
 * compare {@code htu} as an exact string with the request URL's scheme, host, port and path, so a
 * proof whose {@code htu} carries a query, an upper-case host or an explicit default port, which the
 * reference accepts after parsing both URLs, would be refused; and their single-use check keeps
 * {@code jti}s in memory, where several instances and a restart need the database. The reference's
 * particular rules (the iat window, lenient htu, nonce and replay order, error descriptions) are a few
 * lines here.
 *
 * <p>The request URL must be built from the configured public URL and the request path, never from
 * the Host header, which the client controls.
 */
public final class DpopVerifier {
    /** What the reference verifies (jose's asymmetric algorithms); never {@code none} or an HMAC. */
    public static final List<String> ALGORITHMS = List.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
            "ES256", "ES256K", "ES384", "ES512");
    /** How old a proof may be ({@code iat}), before the clock tolerance. */
    public static final Duration MAX_AGE = Duration.ofSeconds(10);
    /** How long a nonce stays usable, and the clock tolerance on {@code iat}. */
    public static final Duration NONCE_MAX_AGE = Duration.ofMinutes(3);
    /** How long a jti is remembered: the nonce lifetime plus 10%, as the reference. */
    public static final Duration REPLAY_WINDOW = Duration.ofMillis((long) Math.ceil(NONCE_MAX_AGE.toMillis() * 1.1));
    /** A bound on the header we parse; real proofs are well under 2 KB even with an RSA key. */
    static final int MAX_PROOF_CHARS = 8192;
    private static final Map<String, Curve> CURVES = Map.of("ES256", Curve.P_256, "ES256K", Curve.SECP256K1,
            "ES384", Curve.P_384, "ES512", Curve.P_521);
    /**
     * secp256k1 is not in the JDK's providers; used for ES256K only, never registered JVM-wide. Made on the
     * first ES256K proof: building the provider costs about a third of the server's start-up.
     */
    private static final class Bc {
        static final Provider PROVIDER = new BouncyCastleProvider();
    }

    private final DpopNonces nonces;
    private final ReplayStore replays;
    private final Clock clock;

    public DpopVerifier(DpopNonces nonces, ReplayStore replays, Clock clock) {
        this.nonces = nonces;
        this.replays = replays;
        this.clock = clock;
    }

    /** The nonce to send in the {@code DPoP-Nonce} header of every response. */
    public String nextNonce() {
        return nonces.next();
    }

    /**
     * The verified proof in {@code dpopHeaders} (the request's DPoP header values), or null if there
     * is none. {@code accessToken} is the token the proof accompanies (null at the token endpoint and
     * PAR). Throws {@link OAuthException} {@code invalid_dpop_proof} or {@code use_dpop_nonce}.
     */
    public DpopProof verify(List<String> dpopHeaders, String method, URI requestUrl, String accessToken) {
        if (method == null || method.isEmpty()) throw new IllegalArgumentException("HTTP method is required");
        if (dpopHeaders == null || dpopHeaders.isEmpty()) return null;
        if (dpopHeaders.size() > 1) throw OAuthException.invalidDpopProof("DPoP header must contain a single proof");
        var proof = dpopHeaders.get(0);
        if (proof == null || proof.isEmpty()) throw OAuthException.invalidDpopProof("DPoP header cannot be empty");
        var verified = check(proof, method, requestUrl, accessToken);
        if (!replays.unique("DPoP", verified.jti(), REPLAY_WINDOW)) throw OAuthException.invalidDpopProof("DPoP proof replayed");
        return verified;
    }

    private DpopProof check(String proof, String method, URI requestUrl, String accessToken) {
        if (proof.length() > MAX_PROOF_CHARS) throw OAuthException.invalidDpopProof("DPoP proof too large");
        SignedJWT jwt;
        Map<String, Object> claims;
        try {
            jwt = SignedJWT.parse(proof);
            claims = jwt.getPayload().toJSONObject();
        } catch (ParseException | RuntimeException e) {
            throw OAuthException.invalidDpopProof("Failed to verify DPoP proof: Invalid Compact JWS");
        }
        if (claims == null) throw OAuthException.invalidDpopProof("Failed to verify DPoP proof: JWT Claims Set must be a top-level JSON object");
        var header = jwt.getHeader();
        var typ = header.getType() == null ? null : header.getType().getType().toLowerCase(Locale.ROOT);
        if (typ != null && typ.startsWith("application/")) typ = typ.substring("application/".length());
        if (!"dpop+jwt".equals(typ)) throw OAuthException.invalidDpopProof("Failed to verify DPoP proof: unexpected \"typ\" JWT header value");
        var alg = header.getAlgorithm().getName();
        if (!ALGORITHMS.contains(alg)) throw OAuthException.invalidDpopProof("Failed to verify DPoP proof: unsupported \"alg\"");
        JWK jwk = header.getJWK();
        if (jwk == null) throw OAuthException.invalidDpopProof("Failed to verify DPoP proof: \"jwk\" (JSON Web Key) Header Parameter must be a JSON object");
        if (jwk.isPrivate()) throw OAuthException.invalidDpopProof("Failed to verify DPoP proof: \"jwk\" (JSON Web Key) Header Parameter must be a public key");
        try {
            if (!jwt.verify(verifierFor(alg, jwk))) throw OAuthException.invalidDpopProof("Failed to verify DPoP proof: signature verification failed");
        } catch (JOSEException | IllegalStateException e) {
            throw OAuthException.invalidDpopProof("Failed to verify DPoP proof: signature verification failed");
        }
        checkTimes(claims);

        var nonce = claims.get("nonce");
        if (nonce != null && !(nonce instanceof String)) throw OAuthException.invalidDpopProof("Invalid DPoP \"nonce\" type");
        if (!(claims.get("jti") instanceof String jti) || jti.isEmpty()) throw OAuthException.invalidDpopProof("DPoP \"jti\" missing");
        if (!(claims.get("htm") instanceof String htm) || !htm.equals(method)) throw OAuthException.invalidDpopProof("DPoP \"htm\" mismatch");
        if (!(claims.get("htu") instanceof String htu) || htu.isEmpty()) throw OAuthException.invalidDpopProof("Invalid DPoP \"htu\" type");
        if (!parseHtu(htu).equals(normalizeHtu(requestUrl))) throw OAuthException.invalidDpopProof("DPoP \"htu\" mismatch");
        if (nonce == null || ((String) nonce).isEmpty()) throw OAuthException.useDpopNonce("Authorization server requires nonce in DPoP proof");
        if (!nonces.check((String) nonce)) throw OAuthException.useDpopNonce("DPoP \"nonce\" mismatch");
        var ath = claims.get("ath");
        if (accessToken != null) {
            if (!accessTokenHash(accessToken).equals(ath)) throw OAuthException.invalidDpopProof("DPoP \"ath\" mismatch");
        } else if (ath != null) {
            throw OAuthException.invalidDpopProof("DPoP \"ath\" claim not allowed");
        }
        String jkt;
        try {
            jkt = jwk.computeThumbprint("SHA-256").toString();
        } catch (JOSEException e) {
            throw OAuthException.invalidDpopProof("Failed to calculate jkt");
        }
        return new DpopProof(jti, jkt, htm, htu);
    }

    /** iat required, at most MAX_AGE old and not in the future, give or take NONCE_MAX_AGE; exp and nbf honoured if present. */
    private void checkTimes(Map<String, Object> claims) {
        double now = clock.millis() / 1000.0;
        double tolerance = NONCE_MAX_AGE.toSeconds();
        if (!(claims.get("iat") instanceof Number iat)) throw OAuthException.invalidDpopProof("Failed to verify DPoP proof: \"iat\" claim must be a number");
        double age = now - iat.doubleValue();
        if (age - tolerance > MAX_AGE.toSeconds()) throw OAuthException.invalidDpopProof("Failed to verify DPoP proof: \"iat\" claim timestamp check failed (too far in the past)");
        if (age < -tolerance) throw OAuthException.invalidDpopProof("Failed to verify DPoP proof: \"iat\" claim timestamp check failed (it should be in the past)");
        var exp = claims.get("exp");
        if (exp != null && (!(exp instanceof Number n) || n.doubleValue() <= now - tolerance)) {
            throw OAuthException.invalidDpopProof("Failed to verify DPoP proof: \"exp\" claim timestamp check failed");
        }
        var nbf = claims.get("nbf");
        if (nbf != null && (!(nbf instanceof Number n) || n.doubleValue() > now + tolerance)) {
            throw OAuthException.invalidDpopProof("Failed to verify DPoP proof: \"nbf\" claim timestamp check failed");
        }
    }

    private static JWSVerifier verifierFor(String alg, JWK jwk) throws JOSEException {
        var curve = CURVES.get(alg);
        if (curve != null) {
            if (!(jwk instanceof ECKey ec) || !curve.equals(ec.getCurve())) throw new JOSEException("key does not fit " + alg);
            if (curve.equals(Curve.SECP256K1)) {
                var verifier = new ECDSAVerifier(ec.toECPublicKey(Bc.PROVIDER));
                verifier.getJCAContext().setProvider(Bc.PROVIDER);
                return verifier;
            }
            return new ECDSAVerifier(ec);
        }
        if (!(jwk instanceof RSAKey rsa)) throw new JOSEException("key does not fit " + alg);
        if (rsa.size() < 2048) throw new JOSEException("RSA keys must be at least 2048 bits"); // as jose, the reference's library
        return new RSASSAVerifier(rsa);
    }

    /** base64url(SHA-256(token)), the {@code ath} of a proof that accompanies {@code token}. */
    public static String accessTokenHash(String token) {
        try {
            var digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e); // every JVM has SHA-256
        }
    }

    /** The proof's htu reduced to origin and path; it must be an http(s) URL without credentials. */
    static String parseHtu(String htu) {
        URI uri;
        try {
            uri = new URI(htu);
        } catch (URISyntaxException e) {
            throw OAuthException.invalidDpopProof("DPoP \"htu\" is not a valid URL");
        }
        if (!uri.isAbsolute() || uri.getHost() == null) throw OAuthException.invalidDpopProof("DPoP \"htu\" is not a valid URL");
        if (uri.getRawUserInfo() != null) throw OAuthException.invalidDpopProof("DPoP \"htu\" must not contain credentials");
        var scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) throw OAuthException.invalidDpopProof("DPoP \"htu\" must be http or https");
        return normalizeHtu(uri);
    }

    /**
     * Origin and path of {@code url}, as a WHATWG URL gives {@code origin + pathname}: scheme and
     * host in lower case, the default port left out, dot segments resolved, an empty path as "/";
     * query and fragment dropped.
     */
    static String normalizeHtu(URI url) {
        var scheme = url.getScheme().toLowerCase(Locale.ROOT);
        int port = url.getPort();
        boolean defaultPort = port == -1 || (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
        var path = url.normalize().getRawPath();
        if (path == null || path.isEmpty()) path = "/";
        while (path.startsWith("/../")) path = path.substring(3);
        if (path.equals("/..")) path = "/";
        return scheme + "://" + url.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port) + path;
    }
}
