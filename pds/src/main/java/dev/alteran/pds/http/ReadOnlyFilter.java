package dev.alteran.pds.http;

import dev.alteran.pds.wire.XrpcResponses;
import dev.alteran.pds.wire.XrpcException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Set;

/**
 * The PDS's plain pages (health, well-known files, the root note) answer GET and HEAD only. Any
 * other method is a 405 with an XRPC error body here, in one place: left to the servlet API, an
 * unknown method such as PATCH would be a 501, a server error for a client's mistake.
 */
public final class ReadOnlyFilter extends HttpFilter {
    private static final Set<String> ALLOWED = Set.of("GET", "HEAD", "OPTIONS");

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        if (ALLOWED.contains(req.getMethod())) {
            chain.doFilter(req, resp);
            return;
        }
        resp.setHeader("Allow", "GET, HEAD, OPTIONS");
        XrpcResponses.closeIfBodyUnread(req, resp);
        XrpcResponses.writeError(resp, XrpcException.forStatus(405));
    }
}
