package dev.alteran.pds.identity;

import dev.alteran.pds.config.Environment;
import dev.alteran.pds.wire.Json;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * {@code /.well-known/did.json} (did:web accounts only) and {@code /.well-known/atproto-did}.
 * Each answers only for the host it is about, so a host application serving other domains from the
 * same container does not hand out our identity under them.
 */
public final class WellKnownServlet extends HttpServlet {
    public static final String DID_JSON = "/.well-known/did.json";
    public static final String ATPROTO_DID = "/.well-known/atproto-did";
    static final String CACHE_CONTROL = "public, max-age=3600, stale-while-revalidate=86400";

    private final Identity identity;
    private final DidDocuments documents;
    private final Environment env;

    public WellKnownServlet(Identity identity, DidDocuments documents, Environment env) {
        this.identity = identity;
        this.documents = documents;
        this.env = env;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        switch (req.getServletPath()) {
            case DID_JSON -> didJson(req, resp);
            case ATPROTO_DID -> atprotoDid(req, resp);
            default -> notFound(resp, "Not Found");
        }
    }

    /** The did:web document, only when the request came to the host the DID names. */
    private void didJson(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        var host = DidDocuments.webHost(identity.did());
        if (host == null || !sameHost(host, req)) {
            notFound(resp, "Not Found");
            return;
        }
        var body = Json.WRITER.writeValueAsBytes(documents.build(documents.serviceEndpoint(req)));
        resp.setHeader("Cache-Control", CACHE_CONTROL);
        resp.setContentType("application/json");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /**
     * The DID for HTTPS handle resolution. The reference PDS answers for hosts that are handles of
     * its accounts (under its service domains) and says "User not found" otherwise; our one account
     * has one handle, so the request's host must be it. In development it answers for any host, so
     * a local client can resolve a handle such as {@code alice.test} against localhost.
     */
    private void atprotoDid(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (env != Environment.DEV && !identity.isOurHandle(req.getServerName())) {
            notFound(resp, "User not found");
            return;
        }
        var body = identity.did().getBytes(StandardCharsets.UTF_8);
        resp.setHeader("Cache-Control", CACHE_CONTROL);
        resp.setContentType("text/plain; charset=utf-8");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /**
     * {@code didHost} is {@code name} or {@code name:port}. The request must name the same host and,
     * when the DID carries a port, the same port; a DID without a port matches the default ports only.
     */
    static boolean sameHost(String didHost, HttpServletRequest req) {
        var name = req.getServerName();
        if (name == null) return false;
        int colon = didHost.lastIndexOf(':');
        var didName = colon < 0 ? didHost : didHost.substring(0, colon);
        if (!didName.equals(name.toLowerCase(Locale.ROOT))) return false;
        int port = req.getServerPort();
        if (colon >= 0) return port == Integer.parseInt(didHost.substring(colon + 1));
        return port <= 0 || port == 80 || port == 443;
    }

    private static void notFound(HttpServletResponse resp, String message) throws IOException {
        var body = message.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(404);
        resp.setContentType("text/plain; charset=utf-8");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
