package dev.alteran.pds.appview;

import dev.alteran.atproto.syntax.Nsid;
import dev.alteran.pds.auth.Permissions;
import dev.alteran.pds.auth.Principal;
import dev.alteran.pds.auth.Scope;
import dev.alteran.pds.auth.ServiceAuth;
import dev.alteran.pds.xrpc.AuthLevel;
import dev.alteran.pds.xrpc.XrpcCall;
import dev.alteran.pds.wire.XrpcException;
import dev.alteran.pds.xrpc.XrpcHandler;
import java.io.IOException;
import java.util.Locale;

/**
 * The {@code XrpcServlet} fallback: a method this PDS does not serve goes to the service the
 * {@code atproto-proxy} header names, or by default {@code app.bsky.*} to the AppView and
 * {@code chat.bsky.*} to the chat service; any other is 501. Only our own sessions may be proxied,
 * account-management methods never are, and chat needs more than a plain app password.
 */
public final class ProxyHandler implements XrpcHandler {
    public static final String PROXY_HEADER = "atproto-proxy";
    private static final String GET_FEED = "app.bsky.feed.getFeed";
    private static final String GET_FEED_SKELETON = "app.bsky.feed.getFeedSkeleton";

    private final ServiceDirectory directory;
    private final Pipethrough pipethrough;

    public ProxyHandler(ServiceDirectory directory, Pipethrough pipethrough) {
        this.directory = directory;
        this.pipethrough = pipethrough;
    }

    @Override
    public Object handle(XrpcCall call) throws IOException {
        var nsid = call.nsid();
        if (!Nsid.isValid(nsid)) throw XrpcException.methodNotImplemented();
        var method = call.request().getMethod();
        if (!method.equals("GET") && !method.equals("HEAD") && !method.equals("POST")) {
            throw XrpcException.invalidRequest("XRPC requests only supports GET and POST");
        }
        if (ServiceAuth.isProtected(nsid) || nsid.toLowerCase(Locale.ROOT).startsWith("com.atproto.admin.")) {
            throw badTokenMethod();
        }
        var header = proxyHeader(call);
        var service = header != null ? ServiceRef.parse(header) : directory.defaultFor(nsid);
        if (service == null) throw XrpcException.methodNotImplemented();
        var principal = call.authorize(AuthLevel.ACCESS);
        if (principal.scope() == Scope.APP_PASS && ServiceAuth.isPrivileged(nsid)) throw badTokenMethod();
        if (principal.isOAuth()) requireRpc(principal.permissions(), nsid, service);
        forward(call, principal, directory.resolve(service));
        return null;
    }

    /**
     * What an OAuth token needs for {@code nsid} at {@code service}: {@code rpc:<nsid>?aud=<did#service>}
     * (the transitional scopes stand in), and for a feed also the feed generator's skeleton, as the reference.
     */
    static void requireRpc(Permissions permissions, String nsid, ServiceRef service) {
        permissions.requireRpc(nsid, service.toString());
        if (nsid.equals(GET_FEED)) permissions.requireRpc(GET_FEED_SKELETON, service.toString());
    }

    /** A route of ours that the reference serves by proxying ({@link BskyHandlers}): its rpc permission is checked the same way. */
    public XrpcHandler rpc(XrpcHandler handler) {
        return XrpcHandler.authorized((permissions, call) -> {
            var header = proxyHeader(call);
            requireRpc(permissions, call.nsid(), header != null ? ServiceRef.parse(header) : directory.defaultFor(call.nsid()));
        }, handler);
    }

    /** Sends the call to {@code target} and its answer (or its error) back to the client. */
    public void forward(XrpcCall call, Principal principal, ProxyTarget target) throws IOException {
        var up = pipethrough.send(call, principal, target, false);
        if (up.status() >= 400) {
            Pipethrough.copyAtprotoHeaders(up, call.response());
            throw Pipethrough.readError(up).toException();
        }
        pipethrough.stream(up, call.response());
    }

    /** Where a method this PDS pipes through itself (read-after-write) goes: the header's service or the AppView. */
    public ProxyTarget target(XrpcCall call) {
        var header = proxyHeader(call);
        return directory.resolve(header != null ? ServiceRef.parse(header) : directory.appView());
    }

    /**
     * The target of a method this PDS serves itself but a client may send elsewhere (preferences):
     * null when the call is for the configured AppView (or names no service), else that service.
     */
    public ProxyTarget elsewhere(XrpcCall call) {
        var header = proxyHeader(call);
        if (header == null) return null;
        var service = ServiceRef.parse(header);
        return service.equals(directory.appView()) ? null : directory.resolve(service);
    }

    /** The {@code atproto-proxy} header; an empty one counts as absent, as in the reference PDS. */
    private static String proxyHeader(XrpcCall call) {
        var header = call.request().getHeader(PROXY_HEADER);
        return header == null || header.isEmpty() ? null : header;
    }

    private static XrpcException badTokenMethod() {
        return XrpcException.badRequest("InvalidToken", "Bad token method");
    }
}
