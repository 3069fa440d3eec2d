package dev.alteran.pds.xrpc;

import dev.alteran.pds.auth.Permissions;
import java.util.function.BiConsumer;

/** One XRPC method. Returns the JSON output (rendered by Jackson), or null when it wrote the response itself. */
@FunctionalInterface
public interface XrpcHandler {
    Object handle(XrpcCall call) throws Exception;

    /**
     * {@code handler}, run once {@code authorize} has checked what an OAuth caller's token may do (the
     * reference's per-route {@code authorize}; it throws 403 ScopeMissingError). Session and service
     * tokens are limited by the route's {@link AuthLevel} alone, so the check is skipped for them.
     */
    static XrpcHandler authorized(BiConsumer<Permissions, XrpcCall> authorize, XrpcHandler handler) {
        return call -> {
            var principal = call.principal();
            if (principal.isOAuth()) authorize.accept(principal.permissions(), call);
            return handler.handle(call);
        };
    }
}
