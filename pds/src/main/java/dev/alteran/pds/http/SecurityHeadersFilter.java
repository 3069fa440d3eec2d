package dev.alteran.pds.http;

import dev.alteran.pds.config.TrustedProxies;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;

/**
 * Headers every PDS response carries. The PDS serves JSON, CAR files, blobs and one plain-text page,
 * never a page meant to run anything, so one strict policy fits every response: any HTML that ever
 * slipped through (an uploaded blob opened in a browser, say) loads nothing and cannot be framed.
 * HSTS only when the request arrived over HTTPS: TLS on our socket, or a trusted proxy saying so.
 */
public final class SecurityHeadersFilter extends HttpFilter {
    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    /** The headers that do not depend on the request, also for error pages written outside the PDS servlets. */
    public static final Map<String, String> ALWAYS = Map.of(
            "x-content-type-options", "nosniff",
            "referrer-policy", "no-referrer",
            "x-frame-options", "DENY",
            "content-security-policy", CONTENT_SECURITY_POLICY);
    public static final String HSTS = "max-age=63072000; includeSubDomains";

    private final TrustedProxies proxies;

    public SecurityHeadersFilter(TrustedProxies proxies) {
        this.proxies = proxies;
    }

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        ALWAYS.forEach(resp::setHeader);
        if (proxies.isHttps(req)) resp.setHeader("strict-transport-security", HSTS);
        chain.doFilter(req, resp);
    }
}
