package dev.alteran.pds.http;

import dev.alteran.pds.wire.XrpcResponses;
import dev.alteran.pds.wire.XrpcException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * CORS for the PDS routes. {@code *} allows any origin (dev); otherwise only the listed origins get
 * allow headers, and a preflight from any other origin is refused. There is no wildcard fallback.
 * No credentials mode: sessions travel in the Authorization header, never in cookies.
 */
public final class CorsFilter extends HttpFilter {
    private static final String ALLOW_METHODS = "GET, HEAD, POST, OPTIONS";
    private static final String EXPOSE = "x-request-id, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, ratelimit-limit, ratelimit-remaining, ratelimit-reset, ratelimit-policy, "
            + "atproto-repo-rev, atproto-content-labelers, atproto-upstream-lag, content-language, retry-after, "
            // OAuth clients read the next DPoP nonce and the challenge that says whether to retry or refresh
            + "dpop-nonce, www-authenticate";
    private final boolean any;
    private final Set<String> origins;

    public CorsFilter(List<String> allowedOrigins) {
        this.any = allowedOrigins.contains("*");
        // Browsers serialize origins in lower case; the configured ones may not be.
        this.origins = allowedOrigins.stream().map(o -> o.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        var origin = req.getHeader("Origin");
        boolean preflight = "OPTIONS".equals(req.getMethod()) && req.getHeader("Access-Control-Request-Method") != null;
        boolean allowed = origin != null && (any || origins.contains(origin));
        // The answer depends on the Origin unless every origin is allowed: caches must keep them apart.
        if (!any) resp.addHeader("Vary", "Origin");
        if (allowed) {
            resp.setHeader("Access-Control-Allow-Origin", any ? "*" : origin);
            resp.setHeader("Access-Control-Expose-Headers", EXPOSE);
        }
        if (preflight) {
            if (!allowed) {
                XrpcResponses.writeError(resp, XrpcException.forbidden("Origin not allowed"));
                return;
            }
            resp.setHeader("Access-Control-Allow-Methods", ALLOW_METHODS);
            var requested = req.getHeader("Access-Control-Request-Headers");
            if (requested != null && requested.matches("[A-Za-z0-9_,\\s-]{0,1024}")) {
                resp.setHeader("Access-Control-Allow-Headers", requested);
            }
            resp.setHeader("Access-Control-Max-Age", "86400");
            resp.setStatus(204);
            return;
        }
        chain.doFilter(req, resp);
    }
}
