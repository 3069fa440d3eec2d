package dev.alteran.pds.auth;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Verifies the credentials of a request for an access-level call. Returns null when the request
 * carries none; throws {@link dev.alteran.pds.wire.XrpcException} (401) when it carries bad ones.
 */
public interface Authenticator {
    /**
     * The caller, or null. {@code response} takes the headers an answer needs (OAuth's
     * {@code DPoP-Nonce} and {@code WWW-Authenticate}); session tokens need none.
     */
    Principal authenticate(HttpServletRequest request, HttpServletResponse response);

    /**
     * The account, when the request carries its own service token for {@code lxm} (see
     * {@link ServiceTokenVerifier}); null when it carries none (a session token, or nothing). A bad
     * service token is a 401.
     */
    Principal authenticateServiceToken(HttpServletRequest request, String lxm);
}
