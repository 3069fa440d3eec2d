package dev.alteran.pds.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.auth.LoginLockout;
import dev.alteran.pds.auth.Sessions;
import dev.alteran.pds.config.TrustedProxies;
import dev.alteran.pds.oauth.ClientMetadataFetcher;
import dev.alteran.pds.oauth.DpopProof;
import dev.alteran.pds.oauth.DpopVerifier;
import dev.alteran.pds.oauth.OAuthDevices;
import dev.alteran.pds.oauth.OAuthException;
import dev.alteran.pds.oauth.OAuthProvider;
import dev.alteran.pds.oauth.OAuthRequests;
import dev.alteran.pds.store.StorageFull;
import dev.alteran.pds.wire.Json;
import dev.alteran.pds.wire.XrpcException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The authorization server over HTTP: the discovery documents, {@code /oauth/par},
 * {@code /oauth/token}, {@code /oauth/revoke}, {@code /oauth/jwks}, and the sign-in and consent
 * pages at {@code /oauth/authorize}.
 *
 * <p>The JSON endpoints answer the reference's way: {@code Cache-Control: no-store}, a fresh
 * {@code DPoP-Nonce} on every answer, errors as {@code {"error","error_description"}}, and CORS open
 * to any origin without credentials (browser apps call them). Every DPoP {@code htu} is checked
 * against the configured public origin, never the Host header.
 *
 * <p>The pages are plain forms (no script): a device cookie (HttpOnly, SameSite=Lax, Secure over
 * https) names the browser; each form carries a CSRF token bound to that cookie and the request;
 * posts must come from our own origin ({@code Origin}, {@code Sec-Fetch-Site}). Pages forbid framing
 * and load nothing but our stylesheet and the client's logo.
 */
public final class OAuthServlet extends HttpServlet {
    private static final Logger log = LoggerFactory.getLogger(OAuthServlet.class);
    public static final String AUTHORIZATION_SERVER = "/.well-known/oauth-authorization-server";
    public static final String PROTECTED_RESOURCE = "/.well-known/oauth-protected-resource";
    static final String STYLESHEET = WebPages.STYLESHEET;
    static final int MAX_BODY = 64 * 1024;

    private final OAuthProvider provider;
    private final ClientMetadataFetcher clients;
    private final DpopVerifier dpop;
    private final OAuthDevices devices;
    private final Sessions sessions;
    private final TrustedProxies proxies;
    private final Supplier<String> handle;
    private final String issuer;
    private final WebPages web;

    /** @param web the page support shared with the account pages (templates, device cookie, CSRF) */
    public OAuthServlet(OAuthProvider provider, ClientMetadataFetcher clients, DpopVerifier dpop, OAuthDevices devices, Sessions sessions,
                        TrustedProxies proxies, Supplier<String> handle, WebPages web) {
        this.provider = provider;
        this.clients = clients;
        this.dpop = dpop;
        this.devices = devices;
        this.sessions = sessions;
        this.proxies = proxies;
        this.handle = handle;
        this.issuer = provider.issuer();
        this.web = web;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        var path = req.getRequestURI().substring(req.getContextPath().length());
        var method = req.getMethod();
        boolean api = switch (path) {
            case AUTHORIZATION_SERVER, PROTECTED_RESOURCE, "/oauth/jwks", "/oauth/par", "/oauth/token", "/oauth/revoke" -> true;
            default -> false;
        };
        if (api) {
            cors(resp);
            if (method.equals("OPTIONS")) {
                resp.setStatus(200);
                return;
            }
        }
        switch (path) {
            case AUTHORIZATION_SERVER -> getJson(req, resp, provider.metadata());
            case PROTECTED_RESOURCE -> getJson(req, resp, provider.protectedResource());
            case "/oauth/jwks" -> getJson(req, resp, provider.jwks());
            case "/oauth/par" -> oauthPost(req, resp, path, 201, (params, proof) -> provider.pushedAuthorizationRequest(params, proof));
            case "/oauth/token" -> oauthPost(req, resp, path, 200, (params, proof) -> provider.token(params, proof).toJson());
            case "/oauth/revoke" -> oauthPost(req, resp, path, 200, (params, proof) -> {
                provider.revoke(params, proof);
                return Json.object();
            });
            case "/oauth/authorize" -> {
                if (method.equals("GET")) authorizePage(req, resp);
                else if (method.equals("POST")) authorizeForm(req, resp);
                else resp.sendError(405);
            }
            case STYLESHEET -> WebPages.css(resp);
            default -> resp.sendError(404);
        }
    }

    private static void cors(HttpServletResponse resp) {
        resp.setHeader("Access-Control-Allow-Origin", "*");
        resp.setHeader("Access-Control-Allow-Methods", "*");
        resp.setHeader("Access-Control-Allow-Headers", "Content-Type,DPoP");
        resp.setHeader("Access-Control-Max-Age", "86400");
    }

    private static void getJson(HttpServletRequest req, HttpServletResponse resp, JsonNode body) throws IOException {
        if (!req.getMethod().equals("GET") && !req.getMethod().equals("HEAD")) {
            resp.sendError(405);
            return;
        }
        resp.setHeader("Cache-Control", "max-age=300");
        writeJson(resp, 200, body);
    }

    private interface OAuthCall {
        JsonNode run(Map<String, String> params, DpopProof proof);
    }

    private void oauthPost(HttpServletRequest req, HttpServletResponse resp, String path, int status, OAuthCall call) throws IOException {
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("Pragma", "no-cache");
        resp.setHeader("DPoP-Nonce", dpop.nextNonce());
        resp.setHeader("Access-Control-Expose-Headers", "DPoP-Nonce");
        if (!req.getMethod().equals("POST")) {
            resp.setStatus(405);
            return;
        }
        try {
            var params = body(req);
            var proof = dpop.verify(Collections.list(req.getHeaders("DPoP")), "POST", URI.create(issuer + path), null);
            writeJson(resp, status, call.run(params, proof));
        } catch (OAuthException e) {
            if (path.equals("/oauth/revoke") && !e.error().equals("use_dpop_nonce") && !e.error().equals("invalid_dpop_proof")) {
                writeJson(resp, 200, Json.object()); // RFC 7009: revocation does not fail
                return;
            }
            if (e.wwwAuthenticate() != null) resp.setHeader("WWW-Authenticate", e.wwwAuthenticate());
            writeJson(resp, e.status(), e.toJson());
        } catch (RuntimeException e) {
            if (StorageFull.isCause(e)) {
                // OAuth's word for a server that cannot take this now (RFC 6749, 4.1.2.1); the client retries later.
                log.warn("OAuth endpoint {} refused: the disk is full ({})", path, StorageFull.describe(e));
                writeJson(resp, 503, Json.object().put("error", "temporarily_unavailable").put("error_description", StorageFull.MESSAGE));
                return;
            }
            log.warn("OAuth endpoint {} failed", path, e);
            writeJson(resp, 500, Json.object().put("error", "server_error").put("error_description", "Server error"));
        }
    }

    /** A form or JSON body as single-valued parameters; 400 invalid_request otherwise. */
    static Map<String, String> body(HttpServletRequest req) throws IOException {
        var type = req.getContentType() == null ? "" : req.getContentType().toLowerCase(Locale.ROOT);
        var bytes = req.getInputStream().readNBytes(MAX_BODY + 1);
        if (bytes.length > MAX_BODY) throw invalidRequest("Request body too large");
        var text = new String(bytes, StandardCharsets.UTF_8);
        var params = new HashMap<String, String>();
        if (type.startsWith("application/x-www-form-urlencoded")) {
            for (var pair : text.split("&")) {
                if (pair.isEmpty()) continue;
                int eq = pair.indexOf('=');
                String k, v;
                try {
                    k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                    v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw invalidRequest("Invalid form body");
                }
                if (params.put(k, v) != null) throw invalidRequest("Duplicate parameter \"" + k + "\"");
            }
        } else if (type.startsWith("application/json")) {
            JsonNode json;
            try {
                json = Json.READER.readTree(bytes);
            } catch (IOException e) {
                throw invalidRequest("Invalid JSON body");
            }
            if (json == null || !json.isObject()) throw invalidRequest("Invalid JSON body");
            for (var it = json.fields(); it.hasNext(); ) {
                var f = it.next();
                if (f.getValue().isNull()) continue;
                if (!f.getValue().isValueNode()) throw invalidRequest("Invalid \"" + f.getKey() + "\" parameter");
                params.put(f.getKey(), f.getValue().asText());
            }
        } else {
            throw invalidRequest("Unsupported content type (form or JSON expected)");
        }
        return params;
    }

    private static OAuthException invalidRequest(String description) {
        return new OAuthException("invalid_request", description, 400, false);
    }

    private static void writeJson(HttpServletResponse resp, int status, JsonNode body) throws IOException {
        resp.setStatus(status);
        resp.setContentType("application/json; charset=utf-8");
        resp.getOutputStream().write(Json.WRITER.writeValueAsBytes(body));
    }

    // ---- the sign-in and consent pages ----

    private void authorizePage(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        var request = provider.requests().find(req.getParameter("request_uri"));
        var clientIdValue = req.getParameter("client_id");
        if (request == null || !request.clientId().equals(clientIdValue)) {
            unknownRequestPage(resp);
            return;
        }
        var client = pageClient(resp, request.clientId());
        if (client == null) return;
        var device = WebPages.device(devices, req);
        if (device == null) {
            var created = devices.create(req.getHeader("User-Agent"));
            web.setDeviceCookie(resp, created.cookie(), OAuthDevices.REMEMBER);
            device = created.device();
        }
        var prompt = request.param("prompt");
        var remembered = provider.did().equals(device.did()) && !"login".equals(prompt) ? device.did() : null;
        if (!provider.requests().bind(request.id(), device.id(), remembered)) {
            errorPage(resp, 400, "Sign-in request in use", "This sign-in request was opened in another browser. Go back to the app and start again.");
            return;
        }
        if ("none".equals(prompt)) {
            // No page may be shown, and every app must be allowed on the consent page: answer at once, as the reference.
            provider.requests().delete(request.id());
            var error = remembered == null ? "login_required" : "consent_required";
            WebPages.redirect(resp, provider.redirect(request, Map.of("error", error, "error_description", remembered == null
                    ? "Login is required" : "Consent is required")));
            return;
        }
        var form = new Pages.Form(request.requestUri(), request.clientId(), web.csrf(device.id(), request.id()));
        // Signed in on this browser already (remembered, or a reload after signing in): straight to consent.
        boolean signedIn = remembered != null || (device.id().equals(request.deviceId()) && provider.did().equals(request.did()) && !"login".equals(prompt));
        if (signedIn) consentPage(resp, 200, client, form, request);
        else signInPage(resp, 200, client, form, request.param("login_hint"), null);
    }

    private void authorizeForm(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!web.sameOrigin(req)) {
            errorPage(resp, 403, "Request refused", "This form must be sent from this server's own page.");
            return;
        }
        Map<String, String> form;
        try {
            if (req.getContentType() == null || !req.getContentType().toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
                throw invalidRequest("form expected");
            }
            form = body(req);
        } catch (OAuthException e) {
            errorPage(resp, 400, "Request refused", "The form could not be read.");
            return;
        }
        var device = WebPages.device(devices, req);
        var request = provider.requests().find(form.get("request_uri"));
        if (request == null || !request.clientId().equals(form.get("client_id"))) {
            unknownRequestPage(resp);
            return;
        }
        if (device == null || !device.id().equals(request.deviceId()) || !web.csrfMatches(form.get("csrf"), device.id(), request.id())) {
            errorPage(resp, 403, "Request refused", "This form has expired or was not sent from this browser. Go back to the app and start again.");
            return;
        }
        var client = pageClient(resp, request.clientId());
        if (client == null) return;
        var pageForm = new Pages.Form(request.requestUri(), request.clientId(), web.csrf(device.id(), request.id()));
        switch (form.getOrDefault("action", "")) {
            case "sign-in" -> {
                var identifier = form.getOrDefault("identifier", "").trim();
                try {
                    sessions.checkAccountPassword(identifier, form.getOrDefault("password", ""), proxies.clientKey(req));
                } catch (LoginLockout.LockedOut e) {
                    resp.setHeader("Retry-After", Long.toString(e.retryAfterSec()));
                    signInPage(resp, 429, client, pageForm, identifier, "Too many failed attempts. Try again in " + Math.max(1, e.retryAfterSec() / 60) + " minutes.");
                    return;
                } catch (XrpcException e) {
                    signInPage(resp, 401, client, pageForm, identifier, "Wrong handle or password.");
                    return;
                }
                provider.requests().bind(request.id(), device.id(), provider.did());
                if ("1".equals(form.get("remember"))) devices.remember(device.id(), provider.did());
                consentPage(resp, 200, client, pageForm, request);
            }
            case "allow" -> {
                if (request.did() == null) {
                    signInPage(resp, 401, client, pageForm, null, "Sign in first.");
                    return;
                }
                var code = provider.requests().authorize(request.id(), device.id());
                if (code == null) {
                    errorPage(resp, 400, "Sign-in request expired", "This sign-in request has expired. Go back to the app and start again.");
                    return;
                }
                WebPages.redirect(resp, provider.redirect(request, Map.of("code", code)));
            }
            case "deny" -> {
                provider.requests().delete(request.id());
                WebPages.redirect(resp, provider.redirect(request, Map.of("error", "access_denied", "error_description", "Access denied")));
            }
            default -> errorPage(resp, 400, "Request refused", "Unknown action.");
        }
    }

    /** The app's details for a page (from its metadata), or null after an error page when they cannot be had. */
    private Pages.Client pageClient(HttpServletResponse resp, String clientId) throws IOException {
        try {
            return Pages.client(clients, clientId);
        } catch (OAuthException e) {
            errorPage(resp, 400, "Unknown app", e.description());
            return null;
        }
    }

    private void unknownRequestPage(HttpServletResponse resp) throws IOException {
        errorPage(resp, 400, "Sign-in request expired", "This sign-in request is unknown or has expired. Go back to the app and start again.");
    }

    private void signInPage(HttpServletResponse resp, int status, Pages.Client client, Pages.Form form, String identifier, String error)
            throws IOException {
        var id = identifier != null ? identifier : handle.get();
        web.render(resp, status, "signin.jte", Pages.SignIn.forApp(client, form, id, error), false, "https:", "");
    }

    private void consentPage(HttpServletResponse resp, int status, Pages.Client client, Pages.Form form, OAuthRequests.Request request)
            throws IOException {
        var page = new Pages.Consent(STYLESHEET, client, form, handle.get(), provider.did(), ScopeWords.describe(request.param("scope")));
        web.render(resp, status, "consent.jte", page, false, "https:", formTarget(request.param("redirect_uri")));
    }

    private void errorPage(HttpServletResponse resp, int status, String title, String message) throws IOException {
        web.render(resp, status, "error.jte", new Pages.ErrorPage(STYLESHEET, title, message));
    }

    /** The CSP source that lets the consent form's answer redirect to the app: its origin, or its private-use scheme. */
    private static String formTarget(String redirectUri) {
        var uri = URI.create(redirectUri);
        if (uri.getScheme().equals("http") || uri.getScheme().equals("https")) {
            return uri.getScheme() + "://" + uri.getRawAuthority();
        }
        return uri.getScheme() + ":";
    }

    /** The paths this servlet answers (mounted by {@code Alteran.install}). */
    public static List<String> paths() {
        return List.of("/oauth/*", AUTHORIZATION_SERVER, PROTECTED_RESOURCE);
    }
}
