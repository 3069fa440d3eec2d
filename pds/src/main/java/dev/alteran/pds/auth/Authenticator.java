package dev.alteran.pds.auth;

import jakarta.servlet.http.HttpServletRequest;

/**
 * Verifies the credentials of a request for an access-level call. Returns null when the request
 * carries none; throws {@link dev.alteran.pds.wire.XrpcException} (401) when it carries bad ones.
 */
public interface Authenticator {
    Principal authenticate(HttpServletRequest request);
}
