package dev.alteran.pds.http;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Gives every request an {@code x-request-id} (a caller's own is kept when it looks like an ID) and
 * logs one line when it ends: requestId, method, path, status, duration. The path is logged
 * without its query string, and no header is logged, so tokens never reach the log.
 */
public final class RequestLogFilter extends HttpFilter {
    public static final String HEADER = "x-request-id";
    public static final String ATTRIBUTE = "alteran.requestId";
    private static final Logger log = LoggerFactory.getLogger("alteran.request");
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    /**
     * A random (version 4 form) UUID. A request ID needs to be unique, not unguessable: drawing it from
     * the shared SecureRandom, as {@link UUID#randomUUID()} does, serializes concurrent requests on its lock.
     */
    static String newId() {
        var r = ThreadLocalRandom.current();
        return new UUID((r.nextLong() & ~0xF000L) | 0x4000L, (r.nextLong() & ~(3L << 62)) | (1L << 63)).toString();
    }

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        var incoming = req.getHeader(HEADER);
        var id = incoming != null && SAFE_ID.matcher(incoming).matches() ? incoming : newId();
        req.setAttribute(ATTRIBUTE, id);
        resp.setHeader(HEADER, id);
        long start = System.nanoTime();
        MDC.put("requestId", id);
        try {
            chain.doFilter(req, resp);
        } finally {
            log.atInfo()
                    .addKeyValue("requestId", id)
                    .addKeyValue("method", req.getMethod())
                    .addKeyValue("path", req.getRequestURI())
                    .addKeyValue("status", resp.getStatus())
                    .addKeyValue("durationMs", (System.nanoTime() - start) / 1_000_000.0)
                    .log("request");
            MDC.remove("requestId");
        }
    }
}
