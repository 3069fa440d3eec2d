package dev.alteran.pds.oauth;

import java.time.Instant;

/**
 * A verified OAuth access token, as the resource server (the XRPC routes) needs it: the account it
 * speaks for, the client and session it belongs to, what it may do, and the DPoP key (JWK SHA-256
 * thumbprint) every request with it must prove.
 */
public record OAuthAccess(String did, String clientId, String sessionId, ScopeSet scopes, String jkt, Instant expiresAt) {}
