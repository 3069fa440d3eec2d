package dev.alteran.server;

import dev.alteran.pds.http.SecurityHeadersFilter;
import dev.alteran.pds.wire.XrpcException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own error responses (unparsable requests, bad URIs and headers, paths no servlet claims,
 * an exception escaping a servlet) as the XRPC error body {@code {"error","message"}} with only the
 * standard reason: never Jetty's message, the URI, a servlet name or a stack trace. The details
 * stay in the server log. Jetty asks the server's handler about requests that never reached the
 * servlet context, and the context's handler about the rest; both answer alike.
 */
final class JsonErrorHandler {
    private JsonErrorHandler() {}

    static byte[] body(int status) {
        var e = XrpcException.forStatus(status);
        return ("{\"error\":\"" + e.error() + "\",\"message\":\"" + e.getMessage() + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static void headers(Request request, HttpFields.Mutable headers) {
        SecurityHeadersFilter.ALWAYS.forEach(headers::put);
        if (request != null && request.isSecure()) headers.put("strict-transport-security", SecurityHeadersFilter.HSTS);
    }

    /** No stack, cause, origin or message in an error page: they go to the log, never to the client. */
    private static void quiet(org.eclipse.jetty.server.handler.ErrorHandler handler) {
        handler.setShowStacks(false);
        handler.setShowCauses(false);
        handler.setShowOrigin(false);
        handler.setShowMessageInTitle(false);
    }

    /** For the server: requests outside any context, and those Jetty could not parse at all. */
    static final class ForServer extends org.eclipse.jetty.server.handler.ErrorHandler {
        ForServer() {
            quiet(this);
        }

        @Override
        public boolean errorPageForMethod(String method) {
            return true; // every method gets the JSON body, not only GET/POST/HEAD
        }

        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                        Callback callback) throws IOException {
            // An HTTP version we do not speak is the client's mistake: a 400, not a server error.
            if (code == 505) {
                code = 400;
                response.setStatus(code);
            }
            headers(request, response.getHeaders());
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, ByteBuffer.wrap(body(code)), callback);
        }

        @Override
        public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
            headers(null, fields);
            fields.put(HttpHeader.CONTENT_TYPE, "application/json");
            return ByteBuffer.wrap(body(status));
        }
    }

    /** For the servlet context: unclaimed paths, sendError, exceptions escaping a servlet. */
    static final class ForContext extends org.eclipse.jetty.ee10.servlet.ErrorHandler {
        ForContext() {
            quiet(this);
        }

        @Override
        public boolean errorPageForMethod(String method) {
            return true;
        }

        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                        Callback callback) throws IOException {
            headers(request, response.getHeaders());
            // JSON whatever the client said it accepts; the servlet machinery completes the response.
            generateAcceptableResponse(request, response, callback, "application/json", List.of(StandardCharsets.UTF_8), code, message, cause);
        }

        @Override
        protected void writeErrorJson(Request request, PrintWriter writer, int code, String message, Throwable cause) {
            writer.write(new String(body(code), StandardCharsets.UTF_8));
        }
    }
}
