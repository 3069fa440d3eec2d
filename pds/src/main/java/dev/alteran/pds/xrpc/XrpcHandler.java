package dev.alteran.pds.xrpc;

/** One XRPC method. Returns the JSON output (rendered by Jackson), or null when it wrote the response itself. */
@FunctionalInterface
public interface XrpcHandler {
    Object handle(XrpcCall call) throws Exception;
}
