package dev.alteran.pds.auth;

import dev.alteran.pds.wire.XrpcException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Access-level authentication for every XRPC call: {@code Authorization: Bearer <access jwt>}.
 * Access tokens are stateless (as in the reference PDS), so a verified token is remembered until
 * its {@code exp}: a client repeating its token skips the parse and the HMAC. The memory is small
 * and simply emptied when full; a single-user PDS has a handful of live tokens.
 */
public final class SessionAuthenticator implements Authenticator {
    private static final int CACHE_LIMIT = 256;

    private final SessionTokens tokens;
    private final ServiceTokenVerifier serviceTokens;
    private final Map<String, SessionTokens.Access> verified = new ConcurrentHashMap<>();

    public SessionAuthenticator(SessionTokens tokens, ServiceTokenVerifier serviceTokens) {
        this.tokens = tokens;
        this.serviceTokens = serviceTokens;
    }

    @Override
    public Principal authenticateServiceToken(HttpServletRequest request, String lxm) {
        var header = AuthorizationHeader.of(request);
        if (header == null || header.type() != AuthorizationHeader.Type.BEARER) return null;
        if (!ServiceTokenVerifier.isServiceToken(header.credentials())) return null;
        return serviceTokens.verify(header.credentials(), lxm);
    }

    @Override
    public Principal authenticate(HttpServletRequest request, HttpServletResponse response) {
        var header = AuthorizationHeader.of(request);
        if (header == null) return null;
        if (header.type() != AuthorizationHeader.Type.BEARER) {
            throw new XrpcException(400, "InvalidToken", "Unexpected authorization type");
        }
        if (header.credentials().isEmpty()) throw AuthorizationHeader.authMissing();
        return verify(header.credentials());
    }

    Principal verify(String token) {
        long now = tokens.nowSec();
        var hit = verified.get(token);
        if (hit != null) {
            if (hit.expiresAt() > now) return hit.principal();
            verified.remove(token);
        }
        var access = tokens.verifyAccess(token);
        if (verified.size() >= CACHE_LIMIT) verified.clear();
        verified.put(token, access);
        return access.principal();
    }
}
