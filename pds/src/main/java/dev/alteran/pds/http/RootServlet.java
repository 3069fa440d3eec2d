package dev.alteran.pds.http;

import dev.alteran.pds.config.Config;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** {@code /}: a plain-text note for people who open the PDS address in a browser. */
public final class RootServlet extends HttpServlet {
    private final byte[] body;

    public RootServlet(Config config) {
        body = ("This is an AT Protocol Personal Data Server (Alteran) for " + config.handle() + " (" + config.did() + ").\n\n"
                + "Most API routes are under /xrpc/\n").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setContentType("text/plain; charset=utf-8");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
