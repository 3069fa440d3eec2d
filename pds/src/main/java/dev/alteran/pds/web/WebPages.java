package dev.alteran.pds.web;

import dev.alteran.pds.oauth.OAuthDevices;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What every server-rendered page shares: the precompiled templates (HTML escaping on), the page
 * headers, the device cookie that names a browser, and the form rules: a CSRF token bound to that
 * cookie, posts only from our own origin.
 */
public final class WebPages {
    public static final String STYLESHEET = "/oauth/assets/style.css";
    public static final String SCRIPT = "/account/assets/account.js";
    public static final String DEVICE_COOKIE = "alteran-device";
    /**
     * The pages' policy: our stylesheet (and, on the account pages, our script) only, images inline or
     * (the OAuth pages' client logos) from where the page says, forms to us (and the app the consent page answers).
     */
    static String csp(boolean script, String imgSources, String formTargets) {
        return "default-src 'none'; style-src 'self'" + (script ? "; script-src 'self'" : "") + "; img-src 'self' data:"
                + (imgSources.isEmpty() ? "" : " " + imgSources) + "; form-action 'self'" + (formTargets.isEmpty() ? "" : " " + formTargets)
                + "; frame-ancestors 'none'; base-uri 'none'";
    }
    static final byte[] CSS = resource("style.css");
    static final byte[] JS = resource("account.js");

    private final TemplateEngine templates = TemplateEngine.createPrecompiled(null, ContentType.Html, null, "dev.alteran.pds.web.templates");
    private final String origin;
    private final boolean secureCookie;
    private final SecretKeySpec csrfKey;

    /**
     * @param origin     our public origin (no trailing slash): what {@code Origin} must say
     * @param csrfSecret a server secret ({@code ACCESS_TOKEN}); the CSRF key is derived from it
     */
    public WebPages(String origin, String csrfSecret) {
        this.origin = origin;
        this.secureCookie = origin.startsWith("https://");
        this.csrfKey = new SecretKeySpec(hmac(new SecretKeySpec(csrfSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"),
                "alteran oauth csrf"), "HmacSHA256");
    }

    public String origin() {
        return origin;
    }

    private static byte[] resource(String name) {
        try (InputStream in = WebPages.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException(name + " is missing from the build", e);
        }
    }

    /** Renders {@code template} (one page object, or a map of its named parameters) with its page headers; {@code imgSources} and {@code formTargets} widen the policy (may be empty). */
    void render(HttpServletResponse resp, int status, String template, Object page, boolean script, String imgSources, String formTargets)
            throws IOException {
        var out = new StringOutput();
        if (page instanceof Map<?, ?> params) {
            @SuppressWarnings("unchecked") var named = (Map<String, Object>) params;
            templates.render(template, named, out);
        } else {
            templates.render(template, page, out);
        }
        resp.setStatus(status);
        resp.setContentType("text/html; charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("Content-Security-Policy", csp(script, imgSources, formTargets));
        resp.setHeader("X-Frame-Options", "DENY");
        resp.setHeader("Referrer-Policy", "same-origin");
        resp.getOutputStream().write(out.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** A page without script. */
    void render(HttpServletResponse resp, int status, String template, Object page) throws IOException {
        render(resp, status, template, page, false, "", "");
    }

    static void redirect(HttpServletResponse resp, String location) {
        resp.setStatus(303);
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("Location", location);
    }

    /**
     * A post from our own page: {@code Sec-Fetch-Site} (when the browser sends it) says same-origin,
     * and {@code Origin} is our public origin. A request with neither is refused.
     */
    boolean sameOrigin(HttpServletRequest req) {
        var site = req.getHeader("Sec-Fetch-Site");
        if (site != null && !site.equals("same-origin")) return false;
        var o = req.getHeader("Origin");
        if (o != null) return o.equals(origin);
        return site != null;
    }

    /**
     * The browser's device, from its device cookie: the first that names a live device remembering an
     * account, else the first live one, else null. (A browser can hold two: one set by an older
     * version for {@code Path=/oauth} beside the current {@code Path=/} one.)
     */
    static OAuthDevices.Device device(OAuthDevices devices, HttpServletRequest req) {
        var cookies = req.getCookies();
        if (cookies == null) return null;
        OAuthDevices.Device first = null;
        for (var c : cookies) {
            if (!c.getName().equals(DEVICE_COOKIE)) continue;
            var device = devices.load(c.getValue());
            if (device != null && device.did() != null) return device;
            if (first == null) first = device;
        }
        return first;
    }

    /** The device cookie for every page of ours (the OAuth pages and the account pages share the sign-in). */
    void setDeviceCookie(HttpServletResponse resp, String value, Duration maxAge) {
        setCookie(resp, DEVICE_COOKIE, value, "/", maxAge);
    }

    /** An HttpOnly, SameSite=Lax cookie (Secure over https); a zero {@code maxAge} deletes it. */
    void setCookie(HttpServletResponse resp, String name, String value, String path, Duration maxAge) {
        resp.addHeader("Set-Cookie", name + "=" + value + "; Path=" + path + "; Max-Age=" + maxAge.toSeconds()
                + "; HttpOnly; SameSite=Lax" + (secureCookie ? "; Secure" : ""));
    }

    /** The first cookie named {@code name}, or null. */
    static String cookie(HttpServletRequest req, String name) {
        var cookies = req.getCookies();
        if (cookies == null) return null;
        for (var c : cookies) if (c.getName().equals(name)) return c.getValue();
        return null;
    }

    /** The CSRF token of a device for one purpose (an authorization request's ID, or the account pages). */
    String csrf(String deviceId, String purpose) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(hmac(csrfKey, deviceId + "|" + purpose));
    }

    boolean csrfMatches(String token, String deviceId, String purpose) {
        if (token == null) return false;
        return MessageDigest.isEqual(token.getBytes(StandardCharsets.US_ASCII), csrf(deviceId, purpose).getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] hmac(SecretKeySpec key, String data) {
        try {
            var mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    static void css(HttpServletResponse resp) throws IOException {
        resp.setContentType("text/css; charset=utf-8");
        resp.setHeader("Cache-Control", "public, max-age=3600");
        resp.getOutputStream().write(CSS);
    }

    static void js(HttpServletResponse resp) throws IOException {
        resp.setContentType("text/javascript; charset=utf-8");
        resp.setHeader("Cache-Control", "public, max-age=3600");
        resp.getOutputStream().write(JS);
    }
}
