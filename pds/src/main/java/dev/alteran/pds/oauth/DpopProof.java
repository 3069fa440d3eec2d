package dev.alteran.pds.oauth;

/**
 * A verified DPoP proof: its {@code jti}, the SHA-256 JWK thumbprint of its key ({@code jkt},
 * RFC 7638, what tokens are bound to), and the method and URL it was made for.
 */
public record DpopProof(String jti, String jkt, String htm, String htu) {
    /** Throws 401 {@code invalid_token} ("Invalid DPoP key binding") unless the proof's key is {@code boundJkt}. */
    public void requireKey(String boundJkt) {
        if (!jkt.equals(boundJkt)) throw OAuthException.invalidDpopKeyBinding();
    }
}
