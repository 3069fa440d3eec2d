package dev.alteran.pds.wire;

import com.fasterxml.jackson.databind.ObjectWriter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** Writing XRPC answers: a JSON output, or an {@link XrpcException} as {@code {"error","message"}}. */
public final class XrpcResponses {
    private XrpcResponses() {}

    /** A writer per output type: it keeps the type's serializer, which the mapper would look up on every call. */
    private static final ClassValue<ObjectWriter> WRITERS = new ClassValue<>() {
        @Override
        protected ObjectWriter computeValue(Class<?> type) {
            return Json.writerFor(type);
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
        if (resp.isCommitted()) return; // a streamed response already started: the caller aborts the connection
        resp.resetBuffer(); // keeps headers such as x-request-id; status and type are set anew below
        writeJson(resp, e.status(), new ErrorBody(e.error(), e.getMessage()));
    }

    /**
     * An error can answer a POST before its body was read (a 401 does). The container then drops the
     * connection after the response, and a client that already reused it fails; saying so up front
     * makes the client open a new one instead.
     */
    public static void closeIfBodyUnread(HttpServletRequest req, HttpServletResponse resp) {
        try {
            if (!resp.isCommitted() && !req.getInputStream().isFinished()) resp.setHeader("Connection", "close");
        } catch (IOException | IllegalStateException e) {
            resp.setHeader("Connection", "close");
        }
    }

    record ErrorBody(String error, String message) {}
}
