package dev.alteran.pds.wire;


/**
 * The one error type of the XRPC layer: handlers throw it, the XRPC servlet renders it as
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

    /**
     * The error for a bare HTTP status, named as the XRPC spec names them (any other 4xx is
     * InvalidRequest, any other 5xx InternalServerError), with the standard reason as message.
     */
    public static XrpcException forStatus(int status) {
        var name = switch (status) {
            case 400 -> "InvalidRequest";
            case 401 -> "AuthenticationRequired";
            case 403 -> "Forbidden";
            case 404 -> "NotFound";
            case 405 -> "MethodNotAllowed";
            case 406 -> "NotAcceptable";
            case 413 -> "PayloadTooLarge";
            case 415 -> "UnsupportedMediaType";
            case 429 -> "RateLimitExceeded";
            case 501 -> "MethodNotImplemented";
            case 502 -> "UpstreamFailure";
            case 503 -> "NotEnoughResources";
            case 504 -> "UpstreamTimeout";
            default -> status >= 400 && status < 500 ? "InvalidRequest" : "InternalServerError";
        };
        var message = switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Authentication Required";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 406 -> "Not Acceptable";
            case 408 -> "Request Timeout";
            case 411 -> "Length Required";
            case 413 -> "Payload Too Large";
            case 414 -> "URI Too Long";
            case 415 -> "Unsupported Media Type";
            case 429 -> "Rate Limit Exceeded";
            case 431 -> "Request Header Fields Too Large";
            case 501 -> "Method Not Implemented";
            case 502 -> "Upstream Failure";
            case 503 -> "Service Unavailable";
            case 504 -> "Upstream Timeout";
            default -> status >= 400 && status < 500 ? "Invalid Request" : "Internal Server Error";
        };
        return new XrpcException(status, name, message);
    }

    public static XrpcException methodNotImplemented() {
        return new XrpcException(501, "MethodNotImplemented", "Method Not Implemented");
    }

    public static XrpcException internal() {
        return new XrpcException(500, "InternalServerError", "Internal Server Error");
    }
}
