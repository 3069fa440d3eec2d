package dev.alteran.pds.http;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** Headers every PDS response carries; HSTS only when the request arrived over HTTPS (directly or via a proxy). */
public final class SecurityHeadersFilter extends HttpFilter {
    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        resp.setHeader("x-content-type-options", "nosniff");
        resp.setHeader("referrer-policy", "no-referrer");
        resp.setHeader("x-frame-options", "DENY");
        if (req.isSecure() || "https".equalsIgnoreCase(req.getHeader("X-Forwarded-Proto"))) {
            resp.setHeader("strict-transport-security", "max-age=63072000; includeSubDomains");
        }
        chain.doFilter(req, resp);
    }
}
