package dev.alteran.pds.xrpc;

import dev.alteran.pds.wire.MethodKind;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** NSID -> handler. Queries answer GET (and HEAD), procedures answer POST, as the XRPC spec says. */
public final class XrpcRouter {
    

    public record Route(MethodKind kind, XrpcHandler handler) {}

    private final Map<String, Route> routes = new ConcurrentHashMap<>();

    public XrpcRouter query(String nsid, XrpcHandler handler) {
        return add(nsid, new Route(MethodKind.QUERY, handler));
    }

    public XrpcRouter procedure(String nsid, XrpcHandler handler) {
        return add(nsid, new Route(MethodKind.PROCEDURE, handler));
    }

    private XrpcRouter add(String nsid, Route route) {
        if (routes.putIfAbsent(nsid, route) != null) throw new IllegalStateException("route registered twice: " + nsid);
        return this;
    }

    public Route find(String nsid) {
        return routes.get(nsid);
    }

    public Set<String> methods() {
        return Set.copyOf(routes.keySet());
    }
}
