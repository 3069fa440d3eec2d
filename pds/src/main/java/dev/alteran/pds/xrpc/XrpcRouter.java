package dev.alteran.pds.xrpc;

import dev.alteran.pds.http.RateLimiter.Bucket;
import dev.alteran.pds.wire.MethodKind;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * NSID -> route. Each registration states the route's rules in one place: its kind (a query answers
 * GET and HEAD, a procedure POST), who may call it, the rate-limit bucket it counts against, and
 * whether a Lexicon describes it. {@link XrpcServlet} enforces all of them before the handler runs.
 */
public final class XrpcRouter {
    /**
     * One method. {@code bucket} is null for a route that is not rate limited (queries);
     * {@code lexicon} is false only for this server's own methods, which no schema describes.
     */
    public record Route(String nsid, MethodKind kind, AuthLevel auth, Bucket bucket, boolean lexicon, XrpcHandler handler) {
        public Route {
            Objects.requireNonNull(nsid);
            Objects.requireNonNull(kind);
            Objects.requireNonNull(auth);
            Objects.requireNonNull(handler);
            if (kind == MethodKind.PROCEDURE && bucket == null) throw new IllegalArgumentException(nsid + ": a procedure needs a rate-limit bucket");
        }
    }

    private final Map<String, Route> routes = new ConcurrentHashMap<>();

    /** A query described by its Lexicon; queries are not rate limited. */
    public XrpcRouter query(String nsid, AuthLevel auth, XrpcHandler handler) {
        return add(new Route(nsid, MethodKind.QUERY, auth, null, true, handler));
    }

    /** A query of this server's own that no Lexicon describes (the original Alteran's JSON variants). */
    public XrpcRouter queryWithoutLexicon(String nsid, AuthLevel auth, XrpcHandler handler) {
        return add(new Route(nsid, MethodKind.QUERY, auth, null, false, handler));
    }

    /** A procedure described by its Lexicon, counted against {@code bucket}. */
    public XrpcRouter procedure(String nsid, AuthLevel auth, Bucket bucket, XrpcHandler handler) {
        return add(new Route(nsid, MethodKind.PROCEDURE, auth, bucket, true, handler));
    }

    private XrpcRouter add(Route route) {
        if (routes.putIfAbsent(route.nsid(), route) != null) throw new IllegalStateException("route registered twice: " + route.nsid());
        return this;
    }

    public Route find(String nsid) {
        return routes.get(nsid);
    }

    public Collection<Route> routes() {
        return List.copyOf(routes.values());
    }
}
