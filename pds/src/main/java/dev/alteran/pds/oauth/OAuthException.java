package dev.alteran.pds.oauth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.pds.wire.Json;
import java.util.ArrayList;

/**
 * An OAuth error (RFC 6749 section 5.2, RFC 9449): {@code error} and {@code error_description} for
 * the JSON body, the HTTP status, and whether the response carries a {@code WWW-Authenticate: DPoP}
 * challenge (the resource-server errors do).
 */
public final class OAuthException extends RuntimeException {
    /** The proof algorithms we verify, advertised in the DPoP challenge as the reference does. */
    public static final String DPOP_ALGS = String.join(" ", DpopVerifier.ALGORITHMS);

    private final String error;
    private final int status;
    private final boolean challenge;

    public OAuthException(String error, String description, int status, boolean challenge) {
        super(description, null, false, false);
        this.error = error;
        this.status = status;
        this.challenge = challenge;
    }

    /** 401 {@code invalid_dpop_proof}: a DPoP proof is missing where required, malformed, or does not fit the request. */
    public static OAuthException invalidDpopProof(String description) {
        return new OAuthException("invalid_dpop_proof", description, 401, true);
    }

    /**
     * {@code use_dpop_nonce}: the proof lacks the server's current nonce. 400 as the authorization
     * server answers (token, PAR); see {@link #forResourceServer()}.
     */
    public static OAuthException useDpopNonce(String description) {
        return new OAuthException("use_dpop_nonce", description, 400, false);
    }

    /** 401 {@code invalid_token}: expired, revoked or malformed access token. */
    public static OAuthException invalidToken(String description) {
        return new OAuthException("invalid_token", description, 401, true);
    }

    /** 401 {@code invalid_token}: the proof was signed by another key than the token is bound to. */
    public static OAuthException invalidDpopKeyBinding() {
        return invalidToken("Invalid DPoP key binding");
    }

    /** The same error as a resource server gives it: 401 with a DPoP challenge (RFC 9449 section 9). */
    public OAuthException forResourceServer() {
        return challenge ? this : new OAuthException(error, getMessage(), 401, true);
    }

    public String error() {
        return error;
    }

    public String description() {
        return getMessage();
    }

    public int status() {
        return status;
    }

    /** The {@code WWW-Authenticate} value, or null when this error sends none. */
    public String wwwAuthenticate() {
        if (!challenge) return null;
        var params = new ArrayList<String>();
        params.add("algs=\"" + DPOP_ALGS + "\"");
        params.add("error=\"" + error + "\"");
        // a description with a quote would break the header, so it is left out (as the reference does)
        if (getMessage() != null && !getMessage().isEmpty() && !getMessage().contains("\"")) {
            params.add("error_description=\"" + getMessage() + "\"");
        }
        return "DPoP " + String.join(", ", params);
    }

    /** The JSON body: {@code {"error","error_description"}}. */
    public ObjectNode toJson() {
        return Json.object().put("error", error).put("error_description", getMessage());
    }
}
