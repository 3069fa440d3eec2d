package dev.alteran.pds.xrpc;

import com.fasterxml.jackson.databind.ObjectWriter;
import dev.alteran.pds.auth.Authenticator;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /xrpc/*}: finds the route for the NSID, checks the HTTP method, runs the handler and renders
 * its output or its {@link XrpcException}. Anything else thrown is logged with the request ID and
 * answered with a bare 500, never with internal details.
 */
public final class XrpcServlet extends HttpServlet {
    private static final Logger log = LoggerFactory.getLogger(XrpcServlet.class);

    private final XrpcRouter router;
    private final long maxJsonBytes;
    private final Authenticator authenticator;

    public XrpcServlet(XrpcRouter router, long maxJsonBytes, Authenticator authenticator) {
        this.router = router;
        this.maxJsonBytes = maxJsonBytes;
        this.authenticator = authenticator;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        var path = req.getPathInfo();
        var nsid = path == null ? "" : path.substring(1);
        try {
            var route = router.find(nsid);
            if (route == null) throw new XrpcException(501, "MethodNotImplemented", "Method Not Implemented");
            var method = req.getMethod();
            var expected = route.kind() == XrpcRouter.Kind.QUERY ? "GET" : "POST";
            boolean ok = method.equals(expected) || (route.kind() == XrpcRouter.Kind.QUERY && method.equals("HEAD"));
            if (!ok) throw XrpcException.invalidRequest("Incorrect HTTP method (" + method + ") expected " + expected);
            var output = route.handler().handle(new XrpcCall(nsid, req, resp, maxJsonBytes, authenticator));
            if (output != null) writeJson(resp, 200, output);
        } catch (XrpcException e) {
            closeIfBodyUnread(req, resp);
            writeError(resp, e);
        } catch (Exception e) {
            log.error("unhandled error in {}", nsid, e);
            closeIfBodyUnread(req, resp);
            writeError(resp, XrpcException.internal());
        }
    }

    /**
     * An error can answer a POST before its body was read (a 401 does). The container then drops the
     * connection after the response, and a client that already reused it fails; saying so up front
     * makes the client open a new one instead.
     */
    private static void closeIfBodyUnread(HttpServletRequest req, HttpServletResponse resp) {
        try {
            if (!resp.isCommitted() && !req.getInputStream().isFinished()) resp.setHeader("Connection", "close");
        } catch (IOException | IllegalStateException e) {
            resp.setHeader("Connection", "close");
        }
    }

    /** A writer per output type: it keeps the type's serializer, which the mapper would look up on every call. */
    private static final ClassValue<ObjectWriter> WRITERS = new ClassValue<>() {
        @Override
        protected ObjectWriter computeValue(Class<?> type) {
            return Json.MAPPER.writerFor(type);
        }
    };

    public static void writeJson(HttpServletResponse resp, int status, Object body) throws IOException {
        var bytes = WRITERS.get(body.getClass()).writeValueAsBytes(body);
        resp.setStatus(status);
        resp.setContentType("application/json; charset=utf-8");
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    public static void writeError(HttpServletResponse resp, XrpcException e) throws IOException {
        if (resp.isCommitted()) return; // a streamed response already started; the connection ends abruptly instead
        resp.resetBuffer(); // keeps headers such as x-request-id; status and type are set anew below
        writeJson(resp, e.status(), new ErrorBody(e.error(), e.getMessage()));
    }

    record ErrorBody(String error, String message) {}
}
