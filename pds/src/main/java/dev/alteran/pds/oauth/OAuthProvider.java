package dev.alteran.pds.oauth;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.ReplayStore;
import dev.alteran.pds.wire.Json;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The authorization server's flow, as {@code @atproto/oauth-provider} runs it, free of HTTP: the
 * discovery documents, PAR, the authorization decision and the token and revocation endpoints.
 * The servlet ({@code web.OAuthServlet}) parses requests, checks the DPoP proof and renders pages.
 */
public final class OAuthProvider {
    public static final String CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    /** The reference's CLIENT_ASSERTION_MAX_AGE. */
    public static final Duration CLIENT_ASSERTION_MAX_AGE = Duration.ofMinutes(1);
    /** Algorithms we verify client assertions with (a subset of the DPoP ones: no ES256K). */
    static final List<String> ASSERTION_ALGS = List.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512");

    private final String issuer;
    private final String did;
    private final ClientMetadataFetcher clients;
    private final OAuthRequests requests;
    private final OAuthTokens tokens;
    private final ReplayStore replays;
    private final Database db;
    private final Clock clock;
    private final PermissionSets permissionSets;

    /** A provider that refuses {@code include:} scopes (no permission-set resolution). */
    public OAuthProvider(String issuer, String did, ClientMetadataFetcher clients, OAuthRequests requests, OAuthTokens tokens,
                         ReplayStore replays, Database db, Clock clock) {
        this(issuer, did, clients, requests, tokens, replays, db, clock, null);
    }

    public OAuthProvider(String issuer, String did, ClientMetadataFetcher clients, OAuthRequests requests, OAuthTokens tokens,
                         ReplayStore replays, Database db, Clock clock, PermissionSets permissionSets) {
        this.permissionSets = permissionSets;
        this.issuer = issuer;
        this.did = did;
        this.clients = clients;
        this.requests = requests;
        this.tokens = tokens;
        this.replays = replays;
        this.db = db;
        this.clock = clock;
    }

    public String issuer() {
        return issuer;
    }

    public OAuthRequests requests() {
        return requests;
    }

    public OAuthTokens tokens() {
        return tokens;
    }

    /** {@code /.well-known/oauth-protected-resource}: this origin, guarded by this server. */
    public ObjectNode protectedResource() {
        var o = Json.object();
        o.put("resource", issuer);
        o.putArray("authorization_servers").add(issuer);
        o.putArray("scopes_supported");
        o.putArray("bearer_methods_supported").add("header");
        o.put("resource_documentation", "https://atproto.com");
        return o;
    }

    /** {@code /.well-known/oauth-authorization-server}: the reference provider's fields. */
    public ObjectNode metadata() {
        var o = Json.object();
        o.put("issuer", issuer);
        strings(o, "scopes_supported", ScopeSet.ATPROTO, ScopeSet.TRANSITION_EMAIL, ScopeSet.TRANSITION_GENERIC, ScopeSet.TRANSITION_CHAT_BSKY);
        strings(o, "subject_types_supported", "public");
        strings(o, "response_types_supported", "code");
        strings(o, "response_modes_supported", "query", "fragment");
        strings(o, "grant_types_supported", "authorization_code", "refresh_token");
        strings(o, "code_challenge_methods_supported", "S256");
        strings(o, "ui_locales_supported", "en-US");
        strings(o, "display_values_supported", "page", "popup", "touch");
        strings(o, "prompt_values_supported", "none", "login", "consent");
        o.put("authorization_response_iss_parameter_supported", true);
        strings(o, "request_object_signing_alg_values_supported");
        strings(o, "request_object_encryption_alg_values_supported");
        strings(o, "request_object_encryption_enc_values_supported");
        o.put("request_parameter_supported", false);
        o.put("request_uri_parameter_supported", true);
        o.put("require_request_uri_registration", true);
        o.put("jwks_uri", issuer + "/oauth/jwks");
        o.put("authorization_endpoint", issuer + "/oauth/authorize");
        o.put("token_endpoint", issuer + "/oauth/token");
        strings(o, "token_endpoint_auth_methods_supported", ClientMetadata.AUTH_METHODS.toArray(String[]::new));
        strings(o, "token_endpoint_auth_signing_alg_values_supported", ASSERTION_ALGS.toArray(String[]::new));
        o.put("revocation_endpoint", issuer + "/oauth/revoke");
        o.put("pushed_authorization_request_endpoint", issuer + "/oauth/par");
        o.put("require_pushed_authorization_requests", true);
        strings(o, "dpop_signing_alg_values_supported", DpopVerifier.ALGORITHMS.toArray(String[]::new));
        strings(o, "protected_resources", issuer);
        o.put("client_id_metadata_document_supported", true);
        return o;
    }

    /** {@code /oauth/jwks}: empty, as access tokens are signed with a secret (HS256), not a published key. */
    public ObjectNode jwks() {
        var o = Json.object();
        o.putArray("keys");
        return o;
    }

    private static void strings(ObjectNode o, String field, String... values) {
        ArrayNode a = o.putArray(field);
        for (var v : values) a.add(v);
    }

    /** A client and how it authenticated in this request. */
    public record AuthenticatedClient(ClientMetadata metadata, String clientAuth) {}

    /**
     * The client of a PAR, token or revocation request: its metadata (fetched or derived), the DPoP
     * proof it must bring, and its authentication ({@code none} or {@code private_key_jwt}).
     */
    public AuthenticatedClient authenticate(Map<String, String> params, DpopProof proof) {
        return authenticate(params, proof, true);
    }

    private AuthenticatedClient authenticate(Map<String, String> params, DpopProof proof, boolean requireProof) {
        var clientIdValue = params.get("client_id");
        if (clientIdValue == null || clientIdValue.isEmpty()) throw new OAuthException("invalid_client", "Client credentials missing", 400, false);
        var metadata = clients.get(ClientId.parse(clientIdValue));
        if (proof == null && requireProof) throw OAuthException.invalidDpopProof("DPoP proof required");
        if (!metadata.isConfidential()) {
            if (params.containsKey("client_assertion")) {
                throw new OAuthException("invalid_client", "client_assertion is not allowed for a client without token_endpoint_auth_method \"private_key_jwt\"", 400, false);
            }
            return new AuthenticatedClient(metadata, Json.object().put("method", "none").toString());
        }
        var assertion = params.get("client_assertion");
        if (assertion == null) {
            throw new OAuthException("invalid_request", "client authentication method \"private_key_jwt\" required a \"client_assertion\"", 400, false);
        }
        if (!CLIENT_ASSERTION_TYPE.equals(params.get("client_assertion_type"))) {
            throw invalidClient("Unsupported client_assertion_type \"" + params.get("client_assertion_type") + "\"");
        }
        var verified = verifyAssertion(metadata, assertion);
        if (proof != null && verified.jkt().equals(proof.jkt())) {
            throw new OAuthException("invalid_request", "The DPoP proof must be signed with a different key than the client assertion", 400, false);
        }
        var window = Duration.ofMillis(Math.max(CLIENT_ASSERTION_MAX_AGE.toMillis(), verified.expMs() - clock.millis()));
        if (!replays.unique("Auth@" + metadata.clientId(), verified.jti(), window)) {
            throw new OAuthException("invalid_grant", "private_key_jwt jti reused", 400, false);
        }
        var auth = Json.object().put("method", "private_key_jwt").put("kid", verified.kid()).put("jkt", verified.jkt());
        return new AuthenticatedClient(metadata, auth.toString());
    }

    private record Assertion(String jti, String kid, String jkt, long expMs) {}

    private Assertion verifyAssertion(ClientMetadata metadata, String assertion) {
        SignedJWT jwt;
        Map<String, Object> claims;
        try {
            jwt = SignedJWT.parse(assertion);
            claims = jwt.getPayload().toJSONObject();
        } catch (ParseException | RuntimeException e) {
            throw invalidClient("Unable to verify \"client_assertion\" JWT");
        }
        var header = jwt.getHeader();
        var alg = header.getAlgorithm().getName();
        var kid = header.getKeyID();
        if (kid == null) throw invalidClient("\"kid\" required in client_assertion");
        if (!ASSERTION_ALGS.contains(alg) || (metadata.tokenEndpointAuthSigningAlg() != null && !metadata.tokenEndpointAuthSigningAlg().equals(alg))) {
            throw invalidClient("Validation of \"client_assertion\" failed: unsupported \"alg\" value");
        }
        JWK key = clients.jwks(metadata).getKeyByKeyId(kid);
        if (key == null) throw invalidClient("Validation of \"client_assertion\" failed: no applicable key found in the JSON Web Key Set");
        try {
            JWSVerifier verifier = switch (key) {
                case ECKey ec -> new ECDSAVerifier(ec.toPublicJWK());
                case RSAKey rsa -> new RSASSAVerifier(rsa.toPublicJWK());
                default -> throw invalidClient("Validation of \"client_assertion\" failed: unsupported key type");
            };
            if (!jwt.verify(verifier)) throw invalidClient("Validation of \"client_assertion\" failed: signature verification failed");
        } catch (JOSEException | IllegalStateException e) {
            throw invalidClient("Validation of \"client_assertion\" failed: signature verification failed");
        }
        if (claims == null) throw invalidClient("Unable to verify \"client_assertion\" JWT");
        var clientId = metadata.clientId();
        if (!clientId.equals(claims.get("iss"))) throw invalidClient("Validation of \"client_assertion\" failed: unexpected \"iss\" claim value");
        if (!clientId.equals(claims.get("sub"))) throw invalidClient("Validation of \"client_assertion\" failed: unexpected \"sub\" claim value");
        var aud = claims.get("aud");
        boolean audOk = aud instanceof String s ? s.equals(issuer) : aud instanceof List<?> l && l.contains(issuer);
        if (!audOk) throw invalidClient("Validation of \"client_assertion\" failed: unexpected \"aud\" claim value");
        if (!(claims.get("jti") instanceof String jti) || jti.isEmpty()) throw invalidClient("Validation of \"client_assertion\" failed: missing required \"jti\" claim");
        long now = clock.millis();
        if (!(claims.get("iat") instanceof Number iat)) throw invalidClient("Validation of \"client_assertion\" failed: missing required \"iat\" claim");
        long iatMs = iat.longValue() * 1000;
        if (now - iatMs > CLIENT_ASSERTION_MAX_AGE.toMillis()) throw invalidClient("Validation of \"client_assertion\" failed: \"iat\" claim timestamp check failed (too far in the past)");
        if (iatMs - now > CLIENT_ASSERTION_MAX_AGE.toMillis()) throw invalidClient("Validation of \"client_assertion\" failed: \"iat\" claim timestamp check failed (it should be in the past)");
        long expMs = 0;
        if (claims.containsKey("exp")) {
            if (!(claims.get("exp") instanceof Number exp) || exp.longValue() * 1000 <= now) {
                throw invalidClient("Validation of \"client_assertion\" failed: \"exp\" claim timestamp check failed");
            }
            expMs = exp.longValue() * 1000;
        }
        String jkt;
        try {
            jkt = key.computeThumbprint().toString();
        } catch (JOSEException e) {
            throw invalidClient("Unable to compute JWK thumbprint");
        }
        return new Assertion((String) claims.get("jti"), kid, jkt, expMs);
    }

    /** The parameters PAR keeps; others are ignored, {@code request} (JAR) is refused. */
    private static final List<String> PAR_PARAMS = List.of("client_id", "response_type", "redirect_uri", "scope", "state",
            "code_challenge", "code_challenge_method", "response_mode", "login_hint", "prompt", "dpop_jkt", "nonce", "display", "ui_locales");

    /** PAR: validates the authorization request and stores it; the 201 answer's body. */
    public ObjectNode pushedAuthorizationRequest(Map<String, String> params, DpopProof proof) {
        var client = authenticate(params, proof);
        if (params.containsKey("request")) throw new OAuthException("invalid_request", "Request objects (JAR) are not supported", 400, false);
        var m = client.metadata();
        var p = Json.object();
        for (var name : PAR_PARAMS) {
            var v = params.get(name);
            if (v != null) p.put(name, v);
        }
        if (!"code".equals(params.get("response_type"))) {
            throw new OAuthException("unsupported_response_type", "Unsupported response_type \"" + params.get("response_type") + "\"", 400, false);
        }
        var redirect = params.get("redirect_uri");
        if (redirect == null) {
            if (m.redirectUris().size() != 1) throw invalidRequest("redirect_uri is required");
            p.put("redirect_uri", m.redirectUris().get(0));
        } else if (!m.redirectUris().contains(redirect)) {
            throw invalidRequest("Invalid redirect_uri " + redirect);
        }
        Pkce.checkChallenge(params.get("code_challenge"), params.get("code_challenge_method"));
        var mode = params.get("response_mode");
        if (mode != null && !mode.equals("query") && !mode.equals("fragment")) {
            throw invalidRequest("Unsupported response_mode \"" + mode + "\"");
        }
        var dpopJkt = params.get("dpop_jkt");
        if (dpopJkt != null && !dpopJkt.equals(proof.jkt())) throw OAuthException.invalidDpopKeyBinding();
        p.put("scope", checkScope(params.get("scope"), m));
        var request = requests.create(m.clientId(), client.clientAuth(), p, proof.jkt());
        var out = Json.object();
        out.put("request_uri", request.requestUri());
        out.put("expires_in", (request.expiresAt() - clock.millis()) / 1000);
        return out;
    }

    private String checkScope(String scope, ClientMetadata m) {
        if (scope == null || scope.isBlank()) throw invalidScope("The \"atproto\" scope is required");
        if (!ClientId.OAUTH_SCOPE.matcher(scope).matches()) throw invalidScope("Invalid scope");
        var declared = m.scope() == null ? List.<String>of() : List.of(m.scope().split(" "));
        var values = new ArrayList<String>();
        for (var s : scope.split(" ")) {
            if (!declared.contains(s)) throw invalidScope("Scope \"" + s + "\" is not declared in the client metadata");
            if (!ScopeSet.isKnown(s)) throw invalidScope("Invalid scope \"" + s + "\"");
            var include = IncludeScope.parse(s);
            if (include != null) {
                // Expanded now, as the reference builds the token scope: the token carries the set's permissions.
                if (permissionSets == null) throw invalidScope("Permission sets (\"" + s + "\") cannot be resolved by this server");
                for (var granted : include.scopes(permissionSets.resolve(include.nsid()))) {
                    if (!values.contains(granted)) values.add(granted);
                }
                continue;
            }
            if (!values.contains(s)) values.add(s);
        }
        if (!values.contains(ScopeSet.ATPROTO)) throw invalidScope("The \"atproto\" scope is required");
        return String.join(" ", values);
    }

    /**
     * Where the browser goes after the decision on {@code request}: its redirect URI with
     * {@code iss}, {@code state} and either {@code code} or {@code error}, in the query or the
     * fragment as the request asked.
     */
    public String redirect(OAuthRequests.Request request, Map<String, String> result) {
        var params = new LinkedHashMap<String, String>();
        params.put("iss", issuer);
        if (request.param("state") != null) params.put("state", request.param("state"));
        params.putAll(result);
        var encoded = new StringBuilder();
        params.forEach((k, v) -> {
            if (!encoded.isEmpty()) encoded.append('&');
            encoded.append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        });
        var uri = request.param("redirect_uri");
        boolean fragment = "fragment".equals(request.param("response_mode"));
        if (fragment) return uri + "#" + encoded;
        return uri + (URI.create(uri).getRawQuery() == null ? "?" : "&") + encoded;
    }

    /** The token endpoint: the authorization_code and refresh_token grants. */
    public OAuthTokens.Issued token(Map<String, String> params, DpopProof proof) {
        var client = authenticate(params, proof);
        var grant = params.get("grant_type");
        if (grant == null) throw new OAuthException("invalid_grant", "Invalid request payload", 400, false);
        if (!client.metadata().grantTypes().contains(grant)) {
            throw new OAuthException("unauthorized_client", "This client is not allowed to use the \"" + grant + "\" grant type", 400, false);
        }
        return switch (grant) {
            case "authorization_code" -> codeGrant(client, params, proof);
            case "refresh_token" -> {
                var refresh = params.get("refresh_token");
                if (refresh == null) throw new OAuthException("invalid_grant", "Invalid request payload", 400, false);
                yield tokens.refresh(refresh, client.metadata().clientId(), proof.jkt());
            }
            default -> throw new OAuthException("unsupported_grant_type", "Unsupported grant_type \"" + grant + "\"", 400, false);
        };
    }

    private OAuthTokens.Issued codeGrant(AuthenticatedClient client, Map<String, String> params, DpopProof proof) {
        var code = params.get("code");
        if (code == null || !OAuthIds.looksLike(code, OAuthIds.CODE)) throw new OAuthException("invalid_grant", "Invalid code", 400, false);
        var codeHash = OAuthIds.hash(code);
        var request = requests.findByCode(codeHash);
        if (request == null) {
            // A code redeemed before: whatever it issued is revoked (RFC 6749 section 4.1.2).
            boolean revoked = db.write(c -> tokens.revokeByCode(c, codeHash));
            throw new OAuthException("invalid_grant", revoked ? "Code replayed" : "Invalid code", 400, false);
        }
        var clientId = client.metadata().clientId();
        if (!request.clientId().equals(clientId)) throw new OAuthException("invalid_grant", "The code was not issued to client \"" + clientId + "\"", 400, false);
        var redirect = params.get("redirect_uri");
        if (redirect == null || !redirect.equals(request.param("redirect_uri"))) {
            throw new OAuthException("invalid_grant", "The redirect_uri parameter must match the one used in the authorization request", 400, false);
        }
        if (!request.dpopJkt().equals(proof.jkt())) throw new OAuthException("invalid_grant", "DPoP proof does not match the expected JKT", 400, false);
        Pkce.verify(request.param("code_challenge"), params.get("code_verifier"), replays);
        var grant = new OAuthTokens.Grant(request.did(), clientId, client.clientAuth(), client.metadata().isConfidential(),
                request.deviceId(), request.param("scope"), proof.jkt());
        var issued = db.write(c -> requests.consume(c, request.id(), codeHash) ? tokens.create(c, grant, codeHash) : null);
        if (issued == null) throw new OAuthException("invalid_grant", "Invalid code", 400, false);
        return issued;
    }

    /**
     * The revocation endpoint: ends the token's session if it is this client's. Never fails (RFC
     * 7009): the servlet answers 200 whatever happens here; only a DPoP proof it checked before (a
     * nonce to renew) can make it answer otherwise, as the reference.
     */
    public void revoke(Map<String, String> params, DpopProof proof) {
        try {
            var client = authenticate(params, proof, false);
            tokens.revoke(params.get("token"), client.metadata().clientId());
        } catch (OAuthException e) {
            // RFC 7009 section 2.2: the client cannot act on an error here, and the token is no use anyway.
        }
    }

    /** The account this server signs in (single-user). */
    public String did() {
        return did;
    }

    private static OAuthException invalidClient(String description) {
        return new OAuthException("invalid_client", description, 400, false);
    }

    private static OAuthException invalidRequest(String description) {
        return new OAuthException("invalid_request", description, 400, false);
    }

    private static OAuthException invalidScope(String description) {
        return new OAuthException("invalid_scope", description, 400, false);
    }
}
