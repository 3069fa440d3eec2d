package dev.alteran.pds.oauth;

import dev.alteran.pds.auth.Authenticator;
import dev.alteran.pds.auth.AuthorizationHeader;
import dev.alteran.pds.auth.Principal;
import dev.alteran.pds.auth.Scope;
import dev.alteran.pds.identity.DidDocuments;
import dev.alteran.pds.wire.XrpcException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.util.Collections;

/**
 * The XRPC routes as an OAuth resource server: {@code Authorization: DPoP <token>} with a
 * {@code DPoP} proof, checked as the reference PDS's OAuth verifier does. The proof first (its
 * {@code htu} against the configured public origin and the request path, the nonce, the replay
 * cache, {@code ath}), then the token (the issuer's {@link AccessTokenVerifier}: signature, expiry,
 * live session), then that the proof's key is the one the token is bound to. Every other scheme
 * goes to the session authenticator untouched, so password sessions pay nothing for OAuth.
 *
 * <p>Every DPoP request's response carries the next nonce ({@code DPoP-Nonce}); a refused one
 * carries the {@code WWW-Authenticate: DPoP ...} challenge clients act on ({@code use_dpop_nonce}:
 * retry with the nonce; {@code invalid_token}: refresh) and the body {@code {"error","message"}}
 * with the OAuth error code, as the reference sends them.
 */
public final class ResourceServer implements Authenticator {
    private final Authenticator sessions;
    private final AccessTokenVerifier tokens;
    private final DpopVerifier dpop;
    private final DidDocuments origin;

    /** {@code origin} gives the public origin request URLs are rebuilt from (the request's only in dev, as the DID document). */
    public ResourceServer(Authenticator sessions, AccessTokenVerifier tokens, DpopVerifier dpop, DidDocuments origin) {
        this.sessions = sessions;
        this.tokens = tokens;
        this.dpop = dpop;
        this.origin = origin;
    }

    @Override
    public Principal authenticate(HttpServletRequest request, HttpServletResponse response) {
        if (!isDpop(request)) return sessions.authenticate(request, response);
        var header = AuthorizationHeader.of(request); // a malformed header is the same 400 as on the session path
        response.setHeader("DPoP-Nonce", dpop.nextNonce());
        try {
            return verify(request, header.credentials());
        } catch (OAuthException e) {
            var challenge = e.forResourceServer();
            response.setHeader("WWW-Authenticate", challenge.wwwAuthenticate());
            throw new XrpcException(challenge.status(), challenge.error(), challenge.description());
        }
    }

    @Override
    public Principal authenticateServiceToken(HttpServletRequest request, String lxm) {
        return sessions.authenticateServiceToken(request, lxm);
    }

    private Principal verify(HttpServletRequest request, String token) {
        if (token.isEmpty()) throw OAuthException.invalidToken("Malformed token");
        var proofs = Collections.list(request.getHeaders("DPoP"));
        var proof = dpop.verify(proofs, request.getMethod(), requestUrl(request), token);
        if (proof == null) throw OAuthException.invalidDpopProof("DPoP proof required");
        var access = tokens.verify(token);
        proof.requireKey(access.jkt());
        if (!access.scopes().has(ScopeSet.ATPROTO)) throw OAuthException.invalidToken("Invalid scope (expected atproto)");
        return new Principal(access.did(), Scope.OAUTH, new ScopePermissions(access.scopes()));
    }

    /** The URL the client called: the configured public origin (never the Host header outside dev) and the request path. */
    private URI requestUrl(HttpServletRequest request) {
        try {
            return URI.create(origin.serviceEndpoint(request) + request.getRequestURI());
        } catch (IllegalArgumentException e) {
            throw OAuthException.invalidDpopProof("DPoP \"htu\" mismatch");
        }
    }

    /** The scheme test alone (case-insensitive, as the header parser): anything else takes the session path as before. */
    static boolean isDpop(HttpServletRequest request) {
        var value = request.getHeader("Authorization");
        return value != null && value.regionMatches(true, 0, "DPoP ", 0, 5);
    }
}
