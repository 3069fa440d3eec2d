package dev.alteran.pds.auth;

import dev.alteran.pds.wire.XrpcException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Locale;

/**
 * The {@code Authorization} header, read as the reference PDS reads it: exactly "type credentials",
 * the type case-insensitive and one of Basic, Bearer or DPoP. Anything else is a 400 InvalidToken.
 */
public record AuthorizationHeader(Type type, String credentials) {
    public enum Type { BASIC, BEARER, DPOP }

    /** The parsed header, or null when the request has none. */
    public static AuthorizationHeader of(HttpServletRequest request) {
        var value = request.getHeader("Authorization");
        if (value == null || value.isEmpty()) return null;
        var parts = value.split(" ", -1);
        if (parts.length != 2) throw new XrpcException(400, "InvalidToken", "Malformed authorization header");
        var type = switch (parts[0].toUpperCase(Locale.ROOT)) {
            case "BASIC" -> Type.BASIC;
            case "BEARER" -> Type.BEARER;
            case "DPOP" -> Type.DPOP;
            default -> throw new XrpcException(400, "InvalidToken", "Unsupported authorization type: " + parts[0]);
        };
        return new AuthorizationHeader(type, parts[1]);
    }

    /** The bearer token a refresh-token route needs; a missing one is a 401 AuthMissing. */
    public static String requireBearer(HttpServletRequest request) {
        var header = of(request);
        if (header == null || header.type != Type.BEARER || header.credentials.isEmpty()) throw authMissing();
        return header.credentials;
    }

    public static XrpcException authMissing() {
        return new XrpcException(401, "AuthMissing", "Authentication Required");
    }
}
