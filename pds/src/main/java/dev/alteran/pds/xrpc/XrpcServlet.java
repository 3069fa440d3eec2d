package dev.alteran.pds.xrpc;

import dev.alteran.pds.wire.XrpcResponses;
import dev.alteran.pds.wire.MethodKind;
import dev.alteran.pds.wire.Json;
import dev.alteran.pds.wire.XrpcException;
import dev.alteran.atproto.syntax.Nsid;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.alteran.pds.auth.Authenticator;
import dev.alteran.pds.http.RateLimiter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /xrpc/*}: finds the route for the NSID, checks the HTTP method, runs the handler and renders
 * its output or its {@link XrpcException}. A method without a route goes to the fallback (the
 * AppView proxy), which checks the HTTP method itself; without one it is 501. Anything else thrown
 * is logged with the request ID and answered with a bare 500, never with internal details.
 */
public final class XrpcServlet extends HttpServlet {
    private static final Logger log = LoggerFactory.getLogger(XrpcServlet.class);
    /** The fallback without a proxy: every method without a route is 501. */
    public static final XrpcHandler NOT_IMPLEMENTED = call -> {
        throw XrpcException.methodNotImplemented();
    };

    private final XrpcRouter router;
    private final long maxJsonBytes;
    private final Authenticator authenticator;
    private final RateLimiter rateLimiter;
    private final XrpcParams params;
    private final XrpcHandler fallback;

    /**
     * {@code fallback} answers every NSID without a route (the AppView proxy); it throws 501 for those
     * it does not take ({@link #NOT_IMPLEMENTED} takes none).
     */
    public XrpcServlet(XrpcRouter router, long maxJsonBytes, Authenticator authenticator, RateLimiter rateLimiter,
                       XrpcParams params, XrpcHandler fallback) {
        this.router = router;
        this.maxJsonBytes = maxJsonBytes;
        this.authenticator = authenticator;
        this.rateLimiter = rateLimiter;
        this.params = params;
        this.fallback = fallback;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        var path = req.getPathInfo();
        var nsid = path == null ? "" : path.substring(1);
        try {
            // As the reference: a path that is no NSID is the client's error; a method we lack is ours to admit.
            if (!Nsid.isValid(nsid)) throw XrpcException.invalidRequest("invalid xrpc path");
            var route = router.find(nsid);
            var handler = route == null ? fallback : route.handler();
            var method = req.getMethod();
            if (route != null) {
                var expected = route.kind() == MethodKind.QUERY ? "GET" : "POST";
                boolean ok = method.equals(expected) || (route.kind() == MethodKind.QUERY && method.equals("HEAD"));
                if (!ok) throw XrpcException.invalidRequest("Incorrect HTTP method (" + method + ") expected " + expected);
            }
            // A proxied method has no route here: its HTTP method says whether it writes.
            var kind = route != null ? route.kind() : method.equals("POST") ? MethodKind.PROCEDURE : MethodKind.QUERY;
            var bucket = RateLimiter.Bucket.of(nsid, kind);
            if (bucket != null) rateLimiter.enforce(bucket, req, resp); // before auth: guessing tokens counts too
            var call = new XrpcCall(nsid, req, resp, maxJsonBytes, authenticator);
            if (route != null) params.check(nsid, call.query()); // a proxied method is the upstream's to check
            var output = handler.handle(call);
            if (output != null) XrpcResponses.writeJson(resp, 200, output);
        } catch (XrpcException e) {
            abortIfCommitted(resp, e);
            XrpcResponses.closeIfBodyUnread(req, resp);
            XrpcResponses.writeError(resp, e);
        } catch (Exception e) {
            abortIfCommitted(resp, e);
            log.error("unhandled error in {}", nsid, e);
            XrpcResponses.closeIfBodyUnread(req, resp);
            XrpcResponses.writeError(resp, XrpcException.internal());
        }
    }

    /**
     * A failure after the response started (a streamed proxy response whose upstream broke off) must
     * not end as a complete-looking response: rethrown, the container aborts the connection, so the
     * client sees the truncation.
     */
    private static void abortIfCommitted(HttpServletResponse resp, Exception e) throws IOException {
        if (!resp.isCommitted()) return;
        log.warn("response failed after it started: {}", e.toString());
        throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    }
}
