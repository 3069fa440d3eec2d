package dev.alteran.pds.oauth;

/**
 * The authorization server's side of a resource request: whether an access token it issued is
 * still good. Implemented by the token issuer; used by the XRPC authenticator for
 * {@code Authorization: DPoP <token>}.
 */
public interface AccessTokenVerifier {
    /**
     * Checks the token's signature, expiry and that its session is still live (not revoked, on any
     * instance: the database decides). Throws {@link OAuthException#invalidToken} (401, {@code
     * WWW-Authenticate: DPoP error="invalid_token"}) otherwise. Does not check the DPoP proof: the
     * caller matches the proof's key with {@link OAuthAccess#jkt()}.
     */
    OAuthAccess verify(String accessToken);
}
