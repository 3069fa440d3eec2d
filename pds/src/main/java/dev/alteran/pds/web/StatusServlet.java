package dev.alteran.pds.web;

import dev.alteran.pds.http.HealthServlet;
import dev.alteran.pds.http.RootServlet;
import dev.alteran.pds.identity.Identity;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code /}: for a browser (it asks for {@code text/html}) a public status page, the handle, the DID
 * and whether the server's checks pass, nothing private; for any other client the plain-text note
 * ({@link RootServlet}), as the reference PDS answers.
 */
public final class StatusServlet extends HttpServlet {
    private final Identity identity;
    private final Supplier<Map<String, String>> checks;
    private final WebPages web;

    /** @param checks what {@code /health} checks ({@link HealthServlet#checks}) */
    public StatusServlet(Identity identity, Supplier<Map<String, String>> checks, WebPages web) {
        this.identity = identity;
        this.checks = checks;
        this.web = web;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.addHeader("Vary", "Accept");
        var accept = req.getHeader("Accept");
        if (accept == null || !accept.toLowerCase(java.util.Locale.ROOT).contains("text/html")) {
            RootServlet.writePlainText(identity, resp);
            return;
        }
        var checks = this.checks.get();
        boolean up = checks.values().stream().allMatch("ok"::equals);
        web.render(resp, up ? 200 : 503, "status.jte", new Pages.Status(WebPages.STYLESHEET, identity.handle(), identity.did(), up, checks));
    }
}
