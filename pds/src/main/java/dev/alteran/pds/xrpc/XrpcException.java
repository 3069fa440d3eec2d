package dev.alteran.pds.xrpc;

/**
 * The one error type of the XRPC layer: handlers throw it, {@link XrpcServlet} renders it as
 * {@code {"error","message"}} with its HTTP status.
 */
public final class XrpcException extends RuntimeException {
    private final int status;
    private final String error;

    public XrpcException(int status, String error, String message) {
        super(message, null, false, false);
        this.status = status;
        this.error = error;
    }

    public int status() {
        return status;
    }

    public String error() {
        return error;
    }

    public static XrpcException invalidRequest(String message) {
        return new XrpcException(400, "InvalidRequest", message);
    }

    public static XrpcException badRequest(String error, String message) {
        return new XrpcException(400, error, message);
    }

    public static XrpcException authRequired(String message) {
        return new XrpcException(401, "AuthenticationRequired", message);
    }

    public static XrpcException forbidden(String message) {
        return new XrpcException(403, "Forbidden", message);
    }

    public static XrpcException notFound(String error, String message) {
        return new XrpcException(404, error, message);
    }

    public static XrpcException payloadTooLarge(String message) {
        return new XrpcException(413, "PayloadTooLarge", message);
    }

    public static XrpcException methodNotImplemented() {
        return new XrpcException(501, "MethodNotImplemented", "Method Not Implemented");
    }

    public static XrpcException internal() {
        return new XrpcException(500, "InternalServerError", "Internal Server Error");
    }
}
