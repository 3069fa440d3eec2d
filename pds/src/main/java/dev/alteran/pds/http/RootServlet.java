package dev.alteran.pds.http;

import dev.alteran.pds.identity.Identity;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** {@code /}: a plain-text note for people who open the PDS address in a browser. */
public final class RootServlet extends HttpServlet {
    private final Identity identity;

    public RootServlet(Identity identity) {
        this.identity = identity;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        writePlainText(identity, resp);
    }

    /** The note, for a client that does not ask for HTML (a browser gets the status page, {@code web.StatusServlet}). */
    public static void writePlainText(Identity identity, HttpServletResponse resp) throws IOException {
        // Built per request: the handle can change while the server runs.
        var body = ("This is an AT Protocol Personal Data Server (Alteran) for " + identity.handle() + " (" + identity.did() + ").\n\n"
                + "Most API routes are under /xrpc/\n").getBytes(StandardCharsets.UTF_8);
        resp.setContentType("text/plain; charset=utf-8");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
