package dev.alteran.pds.oauth;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * An OAuth client_id as atproto defines them: either the https URL of the client's metadata
 * document ({@link Discoverable}), or a development client on the user's machine
 * ({@link Loopback}: {@code http://localhost} with optional {@code scope} and repeated
 * {@code redirect_uri} query parameters, whose metadata is derived, not fetched).
 */
public sealed interface ClientId permits ClientId.Discoverable, ClientId.Loopback {
    String LOOPBACK_ORIGIN = "http://localhost";
    List<String> DEFAULT_LOOPBACK_REDIRECT_URIS = List.of("http://127.0.0.1/", "http://[::1]/");
    /** RFC 6749 scope: space-separated tokens of printable ASCII but {@code "} and {@code \}. */
    Pattern OAUTH_SCOPE = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]+(?: [\\x21\\x23-\\x5B\\x5D-\\x7E]+)*");

    String value();

    /** A client identified by the URL its metadata is fetched from. */
    record Discoverable(String value, URI url) implements ClientId {}

    /** A loopback client: its scope ({@code atproto} unless given) and redirect URIs (127.0.0.1 and [::1] unless given). */
    record Loopback(String value, String scope, List<String> redirectUris) implements ClientId {
        public Loopback {
            redirectUris = List.copyOf(redirectUris);
        }
    }

    /** The client id {@code value}, or 400 {@code invalid_client_id} saying what is wrong with it. */
    static ClientId parse(String value) {
        if (value == null || value.isEmpty()) throw invalid("client_id is required");
        if (value.startsWith(LOOPBACK_ORIGIN) && (value.length() == LOOPBACK_ORIGIN.length()
                || "/?:".indexOf(value.charAt(LOOPBACK_ORIGIN.length())) >= 0)) {
            return parseLoopback(value);
        }
        return parseDiscoverable(value);
    }

    private static Loopback parseLoopback(String value) {
        int origin = LOOPBACK_ORIGIN.length();
        if (value.indexOf('#', origin) != -1) throw invalid("Invalid loopback client ID: Value must not contain a hash component");
        int query = value.length() > origin && value.charAt(origin) == '/' ? origin + 1 : origin;
        if (value.length() != query && value.charAt(query) != '?') {
            throw invalid("Invalid loopback client ID: Value must not contain a path component");
        }
        String scope = null;
        var redirects = new ArrayList<String>();
        var params = value.length() > query ? ScopeStringSyntax.parseQuery(value.substring(query + 1)) : List.<java.util.Map.Entry<String, String>>of();
        for (var p : params) {
            switch (p.getKey()) {
                case "scope" -> {
                    if (scope != null) throw invalid("Invalid loopback client ID: Duplicate \"scope\" query parameter");
                    if (!OAUTH_SCOPE.matcher(p.getValue()).matches()) throw invalid("Invalid loopback client ID: Invalid \"scope\" query parameter");
                    scope = p.getValue();
                }
                case "redirect_uri" -> {
                    var problem = ClientUris.loopbackRedirectProblem(p.getValue());
                    if (problem != null) throw invalid("Invalid loopback client ID: Invalid \"redirect_uri\" query parameter: " + problem);
                    redirects.add(p.getValue());
                }
                default -> throw invalid("Invalid loopback client ID: Unexpected query parameter \"" + p.getKey() + "\"");
            }
        }
        if (scope == null) scope = ScopeSet.ATPROTO;
        if (!List.of(scope.split(" ")).contains(ScopeSet.ATPROTO)) throw invalid("ATProto Loopback ClientID must include \"atproto\" scope");
        return new Loopback(value, scope, redirects.isEmpty() ? DEFAULT_LOOPBACK_REDIRECT_URIS : redirects);
    }

    private static Discoverable parseDiscoverable(String value) {
        var problem = ClientUris.httpsProblem(value);
        if (problem != null) throw invalid("Invalid discoverable client identifier: " + problem);
        var url = ClientUris.parse(value);
        if (url.getRawUserInfo() != null) throw invalid("ClientID must not contain credentials");
        if (url.getRawFragment() != null) throw invalid("ClientID must not contain a fragment");
        var path = url.getRawPath();
        if (path == null || path.isEmpty() || path.equals("/")) throw invalid("ClientID must contain a path component (e.g. \"/client-metadata.json\")");
        if (path.endsWith("/")) throw invalid("ClientID path must not end with a trailing slash");
        if (ClientUris.isIpHost(url.getHost())) throw invalid("ClientID hostname must not be an IP address");
        if (!path.equals(url.normalize().getRawPath()) || !path.equals(ClientUris.writtenPath(value))) {
            throw invalid("ClientID must be in canonical form");
        }
        if (ClientUris.isLocalHostname(url.getHost())) throw invalid("The client_id's TLD must not be a local hostname");
        return new Discoverable(value, url);
    }

    private static OAuthException invalid(String description) {
        return new OAuthException("invalid_client_id", description, 400, false);
    }
}
