package dev.alteran.pds.web;

import dev.alteran.pds.auth.LoginLockout;
import dev.alteran.pds.blob.Blobs;
import dev.alteran.pds.config.TrustedProxies;
import dev.alteran.pds.identity.Identity;
import dev.alteran.pds.oauth.OAuthDevices;
import dev.alteran.pds.oauth.OAuthException;
import dev.alteran.pds.oauth.OAuthIds;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.Progress;
import dev.alteran.pds.store.RepoExport;
import dev.alteran.pds.wire.XrpcException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner's pages under {@code /account}: overview, storage, federation, access, backup and the
 * danger zone, each a section of {@link Dashboard} gathered by {@link AccountData}.
 *
 * <p>Signing in is the OAuth sign-in page's: the account password, then the browser's device
 * (the {@code alteran-device} cookie) remembers the account for {@link OAuthDevices#REMEMBER}. A
 * browser signed in for an app is signed in here, and the other way round. Without a live device
 * that remembers the account every page redirects to the sign-in page and every post is refused.
 *
 * <p>Every state-changing form is a POST carrying a CSRF token bound to the device, sent from our
 * own origin ({@code Origin}, {@code Sec-Fetch-Site}); anything else is a 403 that changes nothing.
 * Deactivating and activating ask for a confirmation page first. The pages work without script.
 */
public final class AccountServlet extends HttpServlet {
    private static final Logger log = LoggerFactory.getLogger(AccountServlet.class);
    public static final String PATH = "/account";
    static final String SIGN_IN = "/account/sign-in";
    static final long SIGNED_IN_DAYS = OAuthDevices.REMEMBER.toDays();
    /** The CSRF token's purpose for the account pages (an authorization request's ID for the OAuth pages). */
    private static final String CSRF_PURPOSE = "account-pages";
    private static final int MAX_NAME = 100;
    /** The sign-in form's own cookie: a random value its CSRF token is bound to, for as long as a person takes to sign in. */
    private static final String SIGN_IN_COOKIE = "alteran-sign-in";
    private static final String SIGN_IN_NONCE = "sin-";
    private static final java.time.Duration SIGN_IN_TIME = java.time.Duration.ofHours(1);
    private static final Map<String, String> DONE = Map.of(
            "app-password-revoked", "The app password is revoked.",
            "oauth-revoked", "The app is signed out.",
            "session-revoked", "The session is ended.",
            "deactivated", "The account is deactivated.",
            "activated", "The account is active.");

    private final AccountData data;
    private final OAuthDevices devices;
    private final WebPages web;
    private final Identity identity;
    private final Database database;
    private final Blobs blobs;
    private final TrustedProxies proxies;
    private final Clock clock;

    public AccountServlet(AccountData data, OAuthDevices devices, WebPages web, Identity identity, Database database, Blobs blobs,
                          TrustedProxies proxies, Clock clock) {
        this.data = data;
        this.devices = devices;
        this.web = web;
        this.identity = identity;
        this.database = database;
        this.blobs = blobs;
        this.proxies = proxies;
        this.clock = clock;
    }

    /** The paths this servlet answers. */
    public static List<String> paths() {
        return List.of(PATH, PATH + "/*");
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        var path = req.getRequestURI().substring(req.getContextPath().length());
        var method = req.getMethod();
        boolean get = method.equals("GET") || method.equals("HEAD");
        if (!get && !method.equals("POST")) {
            resp.setHeader("Allow", "GET, HEAD, POST");
            errorPage(resp, 405, "Method not allowed", "This page answers GET and POST only.");
            return;
        }
        if (path.equals(WebPages.SCRIPT) && get) {
            WebPages.js(resp);
            return;
        }
        var device = WebPages.device(devices, req);
        boolean signedIn = device != null && identity.did().equals(device.did());
        if (path.equals(SIGN_IN)) {
            if (get) signInGet(req, resp, signedIn);
            else signInPost(req, resp);
            return;
        }
        if (get) {
            if (!signedIn) {
                WebPages.redirect(resp, SIGN_IN);
                return;
            }
            switch (path) {
                case AccountData.REPO_CAR -> repoCar(resp);
                case AccountData.BLOBS_ZIP -> blobsZip(resp);
                default -> page(req, resp, path, device.id(), 200, null, null);
            }
            return;
        }
        // A post: our own page, a signed-in device, its token. Checked before the body is read.
        if (!web.sameOrigin(req)) {
            errorPage(resp, 403, "Request refused", "This form must be sent from this server's own page.");
            return;
        }
        if (!signedIn) {
            errorPage(resp, 403, "Request refused", "You are not signed in (or your sign-in has expired). Sign in and try again.");
            return;
        }
        Map<String, String> form = form(req, resp);
        if (form == null) return;
        if (!web.csrfMatches(form.get("csrf"), device.id(), CSRF_PURPOSE)) {
            errorPage(resp, 403, "Request refused", "This form has expired or was not sent from this browser. Reload the page and try again.");
            return;
        }
        post(req, resp, path, device, form);
    }

    private Map<String, String> form(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        try {
            if (req.getContentType() == null || !req.getContentType().toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
                throw new OAuthException("invalid_request", "form expected", 400, false);
            }
            return OAuthServlet.body(req);
        } catch (OAuthException e) {
            errorPage(resp, 400, "Request refused", "The form could not be read.");
            return null;
        }
    }

    // ---- signing in and out ----

    /**
     * The sign-in form. Its token is bound to a random cookie of its own, not to a stored device: a
     * stranger loading the page stores nothing; the device is created when the password is right.
     */
    private void signInGet(HttpServletRequest req, HttpServletResponse resp, boolean signedIn) throws IOException {
        if (signedIn) {
            WebPages.redirect(resp, PATH);
            return;
        }
        var nonce = WebPages.cookie(req, SIGN_IN_COOKIE);
        if (nonce == null || !OAuthIds.looksLike(nonce, SIGN_IN_NONCE)) {
            nonce = OAuthIds.random(SIGN_IN_NONCE, 16);
            web.setCookie(resp, SIGN_IN_COOKIE, nonce, SIGN_IN, SIGN_IN_TIME);
        }
        web.render(resp, 200, "signin.jte", Pages.SignIn.forAccount(web.csrf(nonce, CSRF_PURPOSE), identity.handle(), null));
    }

    private void signInPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!web.sameOrigin(req)) {
            errorPage(resp, 403, "Request refused", "This form must be sent from this server's own page.");
            return;
        }
        var form = form(req, resp);
        if (form == null) return;
        var nonce = WebPages.cookie(req, SIGN_IN_COOKIE);
        if (nonce == null || !OAuthIds.looksLike(nonce, SIGN_IN_NONCE) || !web.csrfMatches(form.get("csrf"), nonce, CSRF_PURPOSE)) {
            errorPage(resp, 403, "Request refused", "This form has expired or was not sent from this browser. Open the sign-in page again.");
            return;
        }
        var identifier = form.getOrDefault("identifier", "").trim();
        var csrf = web.csrf(nonce, CSRF_PURPOSE);
        try {
            data.sessions().checkAccountPassword(identifier, form.getOrDefault("password", ""), proxies.clientKey(req));
        } catch (LoginLockout.LockedOut e) {
            resp.setHeader("Retry-After", Long.toString(e.retryAfterSec()));
            web.render(resp, 429, "signin.jte", Pages.SignIn.forAccount(csrf, identifier,
                    "Too many failed attempts. Try again in " + Math.max(1, e.retryAfterSec() / 60) + " minutes."));
            return;
        } catch (XrpcException e) {
            web.render(resp, 401, "signin.jte", Pages.SignIn.forAccount(csrf, identifier, "Wrong handle or password."));
            return;
        }
        // A fresh device for the signed-in browser: a cookie planted before the sign-in is not the one that is signed in.
        var created = devices.create(req.getHeader("User-Agent"));
        devices.remember(created.device().id(), identity.did());
        web.setDeviceCookie(resp, created.cookie(), OAuthDevices.REMEMBER);
        web.setCookie(resp, SIGN_IN_COOKIE, "", SIGN_IN, java.time.Duration.ZERO);
        WebPages.redirect(resp, PATH);
    }

    // ---- pages ----

    private void page(HttpServletRequest req, HttpServletResponse resp, String path, String deviceId, int status, String error,
                      Pages.NewPassword created) throws IOException {
        var csrf = web.csrf(deviceId, CSRF_PURPOSE);
        var notice = DONE.get(req.getParameter("done") == null ? "" : req.getParameter("done"));
        var title = Pages.Shell.SECTIONS.stream().filter(s -> s.get(0).equals(path)).map(s -> s.get(1)).findFirst().orElse(null);
        if (title == null) {
            errorPage(resp, 404, "Not found", "There is no such page.");
            return;
        }
        var shell = new Pages.Shell(WebPages.STYLESHEET, WebPages.SCRIPT, title, path, identity.handle(), csrf, notice, error);
        var params = new HashMap<String, Object>();
        params.put("shell", shell);
        String template;
        switch (path) {
            case PATH -> {
                template = "account/overview.jte";
                params.put("data", data.overview(req));
            }
            case PATH + "/storage" -> {
                template = "account/storage.jte";
                var storage = data.storage();
                params.put("data", storage);
                params.put("growth", Chart.totalOverTime("Storage over time", storage.storageOverTime(),
                        LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC)));
                params.put("perDay", Chart.bars("Records written per day, last " + AccountData.CHART_DAYS + " days", storage.recordsPerDay(), "records"));
            }
            case PATH + "/federation" -> {
                template = "account/federation.jte";
                params.put("data", data.federation());
            }
            case PATH + "/access" -> {
                template = "account/access.jte";
                params.put("data", data.access());
                params.put("created", created);
            }
            case PATH + "/backup" -> {
                template = "account/backup.jte";
                params.put("data", data.backup());
            }
            default -> {
                template = "account/danger.jte";
                params.put("data", data.danger(req));
            }
        }
        web.render(resp, status, template, params, true, "", "");
    }

    private void errorPage(HttpServletResponse resp, int status, String title, String message) throws IOException {
        web.render(resp, status, "error.jte", new Pages.ErrorPage(WebPages.STYLESHEET, title, message));
    }

    // ---- actions ----

    private void post(HttpServletRequest req, HttpServletResponse resp, String path, OAuthDevices.Device device, Map<String, String> form)
            throws IOException {
        switch (path) {
            case PATH + "/sign-out" -> {
                devices.remember(device.id(), null);
                WebPages.redirect(resp, SIGN_IN);
            }
            case PATH + "/app-passwords" -> {
                var name = form.getOrDefault("name", "").strip();
                if (name.isEmpty() || name.length() > MAX_NAME) {
                    page(req, resp, PATH + "/access", device.id(), 400, "Give the app password a name of 1 to " + MAX_NAME + " characters.", null);
                    return;
                }
                try {
                    var made = data.appPasswords().create(name, "1".equals(form.get("privileged")));
                    // Shown once, in this answer: no redirect, nothing stored to show it again.
                    page(req, resp, PATH + "/access", device.id(), 200, null, new Pages.NewPassword(made.name(), made.password()));
                } catch (XrpcException e) {
                    page(req, resp, PATH + "/access", device.id(), 400, e.getMessage(), null);
                }
            }
            case PATH + "/app-passwords/revoke" -> {
                data.appPasswords().revoke(form.getOrDefault("name", ""));
                WebPages.redirect(resp, PATH + "/access?done=app-password-revoked");
            }
            case PATH + "/oauth/revoke" -> {
                data.oauth().revokeSession(form.getOrDefault("id", ""));
                WebPages.redirect(resp, PATH + "/access?done=oauth-revoked");
            }
            case PATH + "/sessions/revoke" -> {
                data.sessions().revoke(form.getOrDefault("id", ""));
                WebPages.redirect(resp, PATH + "/access?done=session-revoked");
            }
            case PATH + "/deactivate", PATH + "/activate" -> statusChange(req, resp, path.endsWith("/activate"), device, form);
            default -> errorPage(resp, 404, "Not found", "There is no such form.");
        }
    }

    private void statusChange(HttpServletRequest req, HttpServletResponse resp, boolean activate, OAuthDevices.Device device,
                              Map<String, String> form) throws IOException {
        if (!"yes".equals(form.get("confirm"))) {
            var confirm = activate
                    ? new Pages.Confirm("activate", "Activate the account?", "The account is announced on the firehose again and"
                            + " relays are asked to crawl it; its repository accepts writes and is served to others.", "Activate")
                    : new Pages.Confirm("deactivate", "Deactivate the account?", "Its repository stops accepting writes and is no"
                            + " longer served to others; the firehose announces it as deactivated. You can activate it again here.",
                            "Deactivate");
            var shell = new Pages.Shell(WebPages.STYLESHEET, WebPages.SCRIPT, confirm.title(), PATH + "/danger", identity.handle(),
                    web.csrf(device.id(), CSRF_PURPOSE), null, null);
            web.render(resp, 200, "account/confirm.jte", Map.of("shell", shell, "confirm", confirm), true, "", "");
            return;
        }
        try {
            if (activate) data.activation().activate(req);
            else data.activation().deactivate(null);
        } catch (XrpcException e) {
            page(req, resp, PATH + "/danger", device.id(), 400, e.getMessage(), null);
            return;
        }
        WebPages.redirect(resp, PATH + "/danger?done=" + (activate ? "activated" : "deactivated"));
    }

    // ---- downloads ----

    private void repoCar(HttpServletResponse resp) throws IOException {
        resp.setContentType("application/vnd.ipld.car");
        resp.setHeader("Content-Disposition", "attachment; filename=\"" + fileName("car") + "\"");
        resp.setHeader("Cache-Control", "no-store");
        RepoExport.writeCar(database, resp.getOutputStream(), Progress.NONE);
    }

    /** Every stored blob, named by its CID, streamed into the zip one at a time: nothing is copied first. */
    private void blobsZip(HttpServletResponse resp) throws IOException {
        resp.setContentType("application/zip");
        resp.setHeader("Content-Disposition", "attachment; filename=\"" + fileName("blobs.zip") + "\"");
        resp.setHeader("Cache-Control", "no-store");
        try (var zip = new ZipOutputStream(new KeepOpen(resp.getOutputStream()))) {
            String cursor = null;
            for (List<Blobs.Stored> page; !(page = blobs.listStored(cursor, 500)).isEmpty(); cursor = page.getLast().cid().toString()) {
                for (var blob : page) {
                    var in = blobs.open(blob.cid());
                    if (in.isEmpty()) {
                        log.warn("blob {} is listed but its bytes are missing from the store; left out of the zip", blob.cid());
                        continue;
                    }
                    try (var bytes = in.get()) {
                        zip.putNextEntry(new ZipEntry(blob.cid().toString()));
                        bytes.transferTo(zip);
                        zip.closeEntry();
                    }
                }
            }
        }
    }

    private String fileName(String extension) {
        return identity.handle() + "-" + LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC) + "." + extension;
    }

    /** The response stream, left for the container to close (closing a zip closes what it writes to). */
    private static final class KeepOpen extends FilterOutputStream {
        KeepOpen(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
