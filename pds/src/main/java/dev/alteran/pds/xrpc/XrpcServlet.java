package dev.alteran.pds.xrpc;

import dev.alteran.atproto.syntax.Nsid;
import dev.alteran.pds.auth.Authenticator;
import dev.alteran.pds.http.RateLimiter;
import dev.alteran.pds.store.StorageFull;
import dev.alteran.pds.wire.MethodKind;
import dev.alteran.pds.wire.XrpcException;
import dev.alteran.pds.wire.XrpcResponses;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /xrpc/*}: finds the route for the NSID and enforces what its registration declares, in the
 * reference PDS's order: the HTTP method, the rate-limit bucket (before auth, so guessing tokens
 * counts too), the parameters, the caller's auth level, then the JSON input against the Lexicon.
 * Only then does the handler run; its output (or its {@link XrpcException}) is rendered here. A method
 * without a route goes to the fallback (the AppView proxy), which checks the HTTP method and the
 * caller itself; without one it is 501. A failure for want of disk space is 507 InsufficientStorage
 * (and {@code /health} reports it). Anything else thrown is logged with the request ID and
 * answered with a bare 500, never with internal details.
 */
public final class XrpcServlet extends HttpServlet {
    private static final Logger log = LoggerFactory.getLogger(XrpcServlet.class);
    /** The fallback without a proxy: every method without a route is 501. */
    public static final XrpcHandler NOT_IMPLEMENTED = call -> {
        throw XrpcException.methodNotImplemented();
    };
    /**
     * How much of a refused upload (a blob, a CAR) is read and dropped so that the client, still
     * sending, sees the error: closing a connection with unread request bytes resets it, and the
     * client then gets no response at all. JSON bodies are small or refused on their declared length,
     * and waiting for a body a client may never send would hold the connection until it times out.
     */
    private static final long DISCARD_LIMIT = 8L * 1024 * 1024;

    private final XrpcRouter router;
    private final long maxJsonBytes;
    private final Authenticator authenticator;
    private final RateLimiter rateLimiter;
    private final XrpcParams params;
    private final XrpcBodies bodies;
    private final XrpcHandler fallback;
    private final StorageFull storageFull;
    private final RequestMetrics metrics;

    /**
     * {@code fallback} answers every NSID without a route (the AppView proxy); it throws 501 for those
     * it does not take ({@link #NOT_IMPLEMENTED} takes none). Every answered call is timed in {@code metrics}.
     */
    public XrpcServlet(XrpcRouter router, long maxJsonBytes, Authenticator authenticator, RateLimiter rateLimiter,
                       XrpcParams params, XrpcBodies bodies, XrpcHandler fallback, StorageFull storageFull,
                       RequestMetrics metrics) {
        this.metrics = metrics;
        this.router = router;
        this.maxJsonBytes = maxJsonBytes;
        this.authenticator = authenticator;
        this.rateLimiter = rateLimiter;
        this.params = params;
        this.bodies = bodies;
        this.fallback = fallback;
        this.storageFull = storageFull;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        long start = System.nanoTime();
        var path = req.getPathInfo();
        var nsid = path == null ? "" : path.substring(1);
        try {
            answer(nsid, req, resp);
        } finally {
            metrics.record(nsid, resp.getStatus(), System.nanoTime() - start);
        }
    }

    private void answer(String nsid, HttpServletRequest req, HttpServletResponse resp) throws IOException {
        XrpcCall call = null;
        try {
            // As the reference: a path that is no NSID is the client's error; a method we lack is ours to admit.
            if (!Nsid.isValid(nsid)) throw XrpcException.invalidRequest("invalid xrpc path");
            call = new XrpcCall(nsid, req, resp, maxJsonBytes, authenticator);
            var route = router.find(nsid);
            var output = route == null ? proxied(call) : routed(route, call);
            if (output != null) XrpcResponses.writeJson(resp, 200, output);
        } catch (XrpcException e) {
            abortIfCommitted(resp, e);
            if (call != null && bodies.takesRawInput(nsid)) call.discardBody(DISCARD_LIMIT);
            XrpcResponses.closeIfBodyUnread(req, resp);
            XrpcResponses.writeError(resp, e);
        } catch (Exception e) {
            abortIfCommitted(resp, e);
            XrpcResponses.closeIfBodyUnread(req, resp);
            if (StorageFull.isCause(e)) {
                storageFull.reportFull();
                log.warn("{} refused: the disk is full ({})", nsid, StorageFull.describe(e));
                XrpcResponses.writeError(resp, new XrpcException(507, "InsufficientStorage", StorageFull.MESSAGE));
                return;
            }
            log.error("unhandled error in {}", nsid, e);
            XrpcResponses.writeError(resp, XrpcException.internal());
        }
    }

    private Object routed(XrpcRouter.Route route, XrpcCall call) throws Exception {
        var method = call.request().getMethod();
        if (!route.kind().accepts(method)) {
            throw XrpcException.invalidRequest("Incorrect HTTP method (" + method + ") expected " + route.kind().httpMethod());
        }
        if (route.bucket() != null) rateLimiter.enforce(route.bucket(), call.request(), call.response());
        if (route.lexicon()) params.check(route.nsid(), call.query());
        call.authorize(route.auth());
        if (route.lexicon() && route.kind() == MethodKind.PROCEDURE) bodies.checkInput(route.nsid(), call);
        var output = route.handler().handle(call);
        if (output != null && route.lexicon()) bodies.checkOutput(route.nsid(), output);
        return output;
    }

    /** A method served elsewhere: its HTTP method says whether it writes; its parameters are the upstream's to check. */
    private Object proxied(XrpcCall call) throws Exception {
        if (call.request().getMethod().equals("POST")) rateLimiter.enforce(RateLimiter.Bucket.WRITE, call.request(), call.response());
        return fallback.handle(call);
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
