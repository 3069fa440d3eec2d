package dev.alteran.pds.appview;

/** XRPC error names and texts by HTTP status, as the atproto clients name them. */
final class StatusNames {
    private StatusNames() {}

    static String name(int status) {
        return switch (status) {
            case 400 -> "InvalidRequest";
            case 401 -> "AuthenticationRequired";
            case 403 -> "Forbidden";
            case 404 -> "XRPCNotSupported";
            case 406 -> "NotAcceptable";
            case 413 -> "PayloadTooLarge";
            case 415 -> "UnsupportedMediaType";
            case 429 -> "RateLimitExceeded";
            case 500 -> "InternalServerError";
            case 501 -> "MethodNotImplemented";
            case 502 -> "UpstreamFailure";
            case 503 -> "NotEnoughResources";
            case 504 -> "UpstreamTimeout";
            default -> status < 500 ? "InvalidRequest" : "InternalServerError";
        };
    }

    static String text(int status) {
        return switch (status) {
            case 400 -> "Invalid Request";
            case 401 -> "Authentication Required";
            case 403 -> "Forbidden";
            case 404 -> "XRPC Not Supported";
            case 406 -> "Not Acceptable";
            case 413 -> "Payload Too Large";
            case 415 -> "Unsupported Media Type";
            case 429 -> "Rate Limit Exceeded";
            case 500 -> "Internal Server Error";
            case 501 -> "Method Not Implemented";
            case 502 -> "Upstream Failure";
            case 503 -> "Not Enough Resources";
            case 504 -> "Upstream Timeout";
            default -> status < 500 ? "Invalid Request" : "Internal Server Error";
        };
    }
}
