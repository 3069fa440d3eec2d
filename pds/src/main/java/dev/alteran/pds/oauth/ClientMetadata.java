package dev.alteran.pds.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.JWKSet;
import dev.alteran.pds.wire.Json;
import java.net.URI;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * A client's metadata document (RFC 7591 fields), checked by the rules of
 * {@code @atproto/oauth-provider}'s client manager: the fields' types and URI forms, {@code atproto}
 * in the scope, {@code authorization_code} (and optionally {@code refresh_token}) grants with the
 * {@code code} response type, authentication {@code none} or {@code private_key_jwt} (with a signing
 * algorithm and exactly one of {@code jwks} or {@code jwks_uri}), DPoP-bound tokens, redirect URIs
 * that fit the application type, and the rules for discoverable ({@code client_id} equal to the
 * document's URL, {@code client_uri} a parent of it, private-use schemes the reversed domain) and
 * loopback clients (native, public, no {@code client_uri}).
 *
 * <p>Only what this server uses is kept; the document was validated as a whole.
 */
public record ClientMetadata(
        String clientId,
        List<String> redirectUris,
        String scope,
        List<String> grantTypes,
        String tokenEndpointAuthMethod,
        String tokenEndpointAuthSigningAlg,
        String applicationType,
        JWKSet jwks,
        String jwksUri,
        String clientName,
        String clientUri,
        String logoUri,
        String tosUri,
        String policyUri) {
    public static final List<String> AUTH_METHODS = List.of("none", "private_key_jwt");
    public static final List<String> GRANT_TYPES = List.of("authorization_code", "refresh_token");
    /** Fields whose presence the reference refuses. */
    private static final List<String> UNSUPPORTED = List.of("default_max_age", "userinfo_signed_response_alg",
            "id_token_signed_response_alg", "userinfo_encrypted_response_alg");

    public ClientMetadata {
        redirectUris = List.copyOf(redirectUris);
        grantTypes = List.copyOf(grantTypes);
    }

    /** A confidential client authenticates at the token endpoint with a key of its own. */
    public boolean isConfidential() {
        return tokenEndpointAuthMethod.equals("private_key_jwt");
    }

    /**
     * The metadata of {@code clientId} in {@code document} (the JSON fetched from a discoverable
     * client id's URL), or 400 {@code invalid_client_metadata} / {@code invalid_redirect_uri}.
     */
    public static ClientMetadata validate(ClientId clientId, JsonNode document) {
        if (!(document instanceof ObjectNode doc)) throw invalid("Client metadata must be a JSON object");
        var m = schema(doc);
        return rules(clientId, m);
    }

    /** The metadata a loopback client id stands for, checked by the same rules. */
    public static ClientMetadata loopback(ClientId.Loopback clientId) {
        var doc = Json.object().put("client_id", clientId.value()).put("scope", clientId.scope())
                .put("token_endpoint_auth_method", "none").put("application_type", "native")
                .put("dpop_bound_access_tokens", true);
        var redirects = doc.putArray("redirect_uris");
        clientId.redirectUris().forEach(redirects::add);
        doc.putArray("response_types").add("code");
        doc.putArray("grant_types").add("authorization_code").add("refresh_token");
        return validate(clientId, doc);
    }

    /** The document's fields with their types, defaults and URI forms checked. */
    private static ClientMetadata schema(ObjectNode doc) {
        var redirectUris = strings(doc, "redirect_uris", null);
        if (redirectUris == null || redirectUris.isEmpty()) throw invalid("At least one redirect_uri is required");
        for (var uri : redirectUris) {
            var problem = ClientUris.redirectProblem(uri);
            if (problem != null) throw invalid("Invalid redirect_uris: " + problem);
        }
        var responseTypes = strings(doc, "response_types", List.of("code"));
        var grantTypes = strings(doc, "grant_types", List.of("authorization_code"));
        if (responseTypes.isEmpty() || grantTypes.isEmpty()) throw invalid("response_types and grant_types must not be empty");
        var scope = text(doc, "scope");
        if (scope != null && !ClientId.OAUTH_SCOPE.matcher(scope).matches()) throw invalid("Invalid scope");
        var authMethod = orElse(text(doc, "token_endpoint_auth_method"), "client_secret_basic");
        var applicationType = orElse(text(doc, "application_type"), "web");
        if (!applicationType.equals("web") && !applicationType.equals("native")) throw invalid("Invalid application_type");
        var subjectType = orElse(text(doc, "subject_type"), "public");
        if (!subjectType.equals("public") && !subjectType.equals("pairwise")) throw invalid("Invalid subject_type");
        var enc = text(doc, "authorization_encrypted_response_enc");
        if (enc != null && !enc.equals("A128CBC-HS256")) throw invalid("Invalid authorization_encrypted_response_enc");
        for (var field : List.of("client_uri", "policy_uri", "tos_uri", "logo_uri", "jwks_uri")) {
            var v = text(doc, field);
            if (v == null) continue;
            var problem = ClientUris.webProblem(v);
            if (problem != null) throw invalid("Invalid " + field + ": " + problem);
        }
        for (var field : List.of("token_endpoint_auth_signing_alg", "userinfo_signed_response_alg", "userinfo_encrypted_response_alg",
                "request_object_signing_alg", "id_token_signed_response_alg", "authorization_signed_response_alg",
                "authorization_encrypted_response_alg", "client_id", "client_name")) {
            text(doc, field);
        }
        for (var field : List.of("require_auth_time", "tls_client_certificate_bound_access_tokens", "dpop_bound_access_tokens")) {
            var v = doc.get(field);
            if (v != null && !v.isBoolean()) throw invalid("Invalid " + field + ": expected a boolean");
        }
        var maxAge = doc.get("default_max_age");
        if (maxAge != null && !maxAge.isNumber()) throw invalid("Invalid default_max_age");
        strings(doc, "contacts", null);
        strings(doc, "authorization_details_types", null);

        JWKSet jwks = null;
        if (doc.has("jwks")) {
            try {
                jwks = JWKSet.parse(Json.WRITER.writeValueAsString(doc.get("jwks")));
            } catch (ParseException | com.fasterxml.jackson.core.JsonProcessingException | RuntimeException e) {
                throw invalid("Invalid jwks");
            }
            if (jwks.getKeys().stream().anyMatch(k -> k.isPrivate())) throw invalid("Invalid jwks: keys must be public");
        }

        for (var field : UNSUPPORTED) {
            if (doc.has(field) && !doc.get(field).isNull()) throw invalid("Unsupported \"" + field + "\" parameter");
        }
        if (jwks != null && doc.has("jwks_uri")) throw invalid("jwks_uri and jwks are mutually exclusive");
        // checked here because the record keeps only what later steps need
        if (!subjectType.equals("public")) throw invalid("Only \"public\" subject_type is supported");
        if (enc != null) throw invalid("Encrypted authorization response is not supported");
        if (doc.path("tls_client_certificate_bound_access_tokens").asBoolean(false)) throw invalid("Mutual-TLS bound access tokens are not supported");
        if (!doc.path("dpop_bound_access_tokens").asBoolean(false)) throw invalid("\"dpop_bound_access_tokens\" must be true");
        if (!responseTypes.contains("code")) throw invalid("response_types must include \"code\"");
        if (!grantTypes.contains("authorization_code")) {
            throw invalid("The \"code\" response type requires that \"grant_types\" contains \"authorization_code\"");
        }
        var detailsTypes = strings(doc, "authorization_details_types", List.of());
        if (!detailsTypes.isEmpty()) throw invalid("authorization_details_types are not supported");

        return new ClientMetadata(text(doc, "client_id"), redirectUris, scope, grantTypes, authMethod,
                text(doc, "token_endpoint_auth_signing_alg"), applicationType, jwks, text(doc, "jwks_uri"),
                text(doc, "client_name"), text(doc, "client_uri"), text(doc, "logo_uri"), text(doc, "tos_uri"), text(doc, "policy_uri"));
    }

    /** The client manager's rules on the typed metadata. */
    private static ClientMetadata rules(ClientId clientId, ClientMetadata m) {
        if (m.clientUri() != null && ClientUris.isLocalHostname(ClientUris.parse(m.clientUri()).getHost())) {
            throw invalid("client_uri hostname is invalid");
        }
        if (m.scope() == null) throw invalid("Missing scope property");
        var scopes = List.of(m.scope().split(" "));
        if (!scopes.contains(ScopeSet.ATPROTO)) throw invalid("Missing \"atproto\" scope");
        var dupScope = duplicate(scopes);
        if (dupScope != null) throw invalid("Duplicate scope \"" + dupScope + "\"");
        var dupGrant = duplicate(m.grantTypes());
        if (dupGrant != null) throw invalid("Duplicate grant type \"" + dupGrant + "\"");
        for (var grant : m.grantTypes()) {
            if (grant.equals("implicit")) throw invalid("Grant type \"implicit\" is not allowed");
            if (!GRANT_TYPES.contains(grant)) throw invalid("Grant type \"" + grant + "\" is not supported");
        }
        if (m.clientId() != null && !m.clientId().equals(clientId.value())) throw invalid("client_id does not match");
        switch (m.tokenEndpointAuthMethod()) {
            case "none" -> {
                if (m.tokenEndpointAuthSigningAlg() != null) {
                    throw invalid("token_endpoint_auth_method \"none\" must not have token_endpoint_auth_signing_alg");
                }
            }
            case "private_key_jwt" -> {
                if (m.jwks() == null && m.jwksUri() == null) throw invalid("private_key_jwt auth method requires jwks or jwks_uri");
                if (m.jwks() != null && m.jwks().getKeys().isEmpty()) throw invalid("private_key_jwt auth method requires at least one key in jwks");
                if (m.tokenEndpointAuthSigningAlg() == null) throw invalid("Missing token_endpoint_auth_signing_alg client metadata");
            }
            default -> throw invalid("Unsupported client authentication method \"" + m.tokenEndpointAuthMethod()
                    + "\". Make sure \"token_endpoint_auth_method\" is set to one of: \"none\", \"private_key_jwt\"");
        }
        boolean nativeApp = m.applicationType().equals("native");
        if (nativeApp && !m.tokenEndpointAuthMethod().equals("none")) throw invalid("Native clients must authenticate using \"none\" method");
        for (var redirect : m.redirectUris()) {
            var url = ClientUris.parse(redirect);
            if (url.getRawUserInfo() != null) throw invalidRedirect("Redirect URI " + redirect + " must not contain credentials");
            var host = url.getHost();
            var scheme = url.getScheme();
            if ("localhost".equals(host)) {
                throw invalidRedirect("Loopback redirect URI " + redirect + " is not allowed (use explicit IPs instead)");
            } else if ("127.0.0.1".equals(host) || "[::1]".equals(host)) {
                if (!nativeApp) throw invalidRedirect("Loopback redirect URIs are only allowed for native apps");
                if (!scheme.equals("http")) throw invalidRedirect("Loopback redirect URI " + redirect + " must use HTTP");
            } else if (scheme.equals("http")) {
                throw invalidRedirect("Only loopback redirect URIs are allowed to use the \"http\" scheme");
            } else if (scheme.equals("https")) {
                if (ClientUris.isLocalHostname(host)) throw invalidRedirect("Redirect URI \"" + redirect + "\"'s domain name must not be a local hostname");
            } else if (scheme.contains(".")) {
                if (!nativeApp) throw invalidRedirect("Private-Use URI Scheme redirect URI are only allowed for native apps");
            } else {
                throw invalidRedirect("Invalid redirect URI scheme \"" + scheme + ":\"");
            }
        }
        switch (clientId) {
            case ClientId.Loopback loopback -> {
                if (m.clientUri() != null) throw invalid("client_uri is not allowed for loopback clients");
                if (!nativeApp) throw invalid("Loopback clients must have application_type \"native\"");
                if (!m.tokenEndpointAuthMethod().equals("none")) {
                    throw invalid("Loopback clients are not allowed to use \"token_endpoint_auth_method\" " + m.tokenEndpointAuthMethod());
                }
            }
            case ClientId.Discoverable discoverable -> discoverableRules(discoverable, m);
        }
        return m;
    }

    private static void discoverableRules(ClientId.Discoverable clientId, ClientMetadata m) {
        if (m.clientId() == null) throw invalid("client_id is required for discoverable clients");
        var idUrl = clientId.url();
        if (m.clientUri() != null) {
            var uri = ClientUris.parse(m.clientUri());
            if (!origin(uri).equals(origin(idUrl))) throw invalid("client_uri must have the same origin as the client_id");
            var idPath = path(idUrl);
            var uriPath = path(uri);
            if (!idPath.equals(uriPath) && !idPath.startsWith(uriPath.endsWith("/") ? uriPath : uriPath + "/")) {
                throw invalid("client_uri must be a parent URL of the client_id");
            }
        }
        var scheme = ClientUris.reverseDomain(idUrl.getHost());
        for (var redirect : m.redirectUris()) {
            var url = ClientUris.parse(redirect);
            if (url.getScheme().contains(".") && !url.getScheme().equals(scheme)) {
                throw invalidRedirect("Private-Use URI Scheme redirect URI, for discoverable client metadata, must be the fully qualified "
                        + "domain name (FQDN) of the client_id, in reverse order (" + scheme + ":)");
            }
        }
    }

    private static String origin(URI uri) {
        int port = uri.getPort();
        boolean dflt = port == -1 || (uri.getScheme().equals("https") && port == 443) || (uri.getScheme().equals("http") && port == 80);
        return uri.getScheme() + "://" + uri.getHost().toLowerCase(java.util.Locale.ROOT) + (dflt ? "" : ":" + port);
    }

    private static String path(URI uri) {
        var p = uri.normalize().getRawPath();
        return p == null || p.isEmpty() ? "/" : p;
    }

    private static String duplicate(List<String> values) {
        var seen = new HashSet<String>();
        for (var v : values) if (!seen.add(v)) return v;
        return null;
    }

    private static String text(ObjectNode doc, String field) {
        var v = doc.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw invalid("Invalid " + field + ": expected a string");
        return v.textValue();
    }

    private static String orElse(String value, String fallback) {
        return value == null ? fallback : value;
    }

    private static List<String> strings(ObjectNode doc, String field, List<String> fallback) {
        var v = doc.get(field);
        if (v == null || v.isNull()) return fallback;
        if (!v.isArray()) throw invalid("Invalid " + field + ": expected an array of strings");
        var out = new ArrayList<String>();
        for (var item : v) {
            if (!item.isTextual()) throw invalid("Invalid " + field + ": expected an array of strings");
            out.add(item.textValue());
        }
        return out;
    }

    private static OAuthException invalid(String description) {
        return new OAuthException("invalid_client_metadata", description, 400, false);
    }

    private static OAuthException invalidRedirect(String description) {
        return new OAuthException("invalid_redirect_uri", description, 400, false);
    }
}
