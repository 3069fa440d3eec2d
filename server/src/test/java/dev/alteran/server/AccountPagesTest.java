package dev.alteran.server;

import static dev.alteran.server.OAuthTestClient.csrf;
import static dev.alteran.server.OAuthTestClient.form;
import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.car.CarReader;
import dev.alteran.atproto.data.Cid;
import dev.alteran.pds.oauth.OAuthTokens;
import dev.alteran.pds.wire.Json;
import java.io.ByteArrayInputStream;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The owner's pages over real HTTP: the status page at {@code /}, sign-in through the device
 * session, every page refused without it (or with an expired one), the form rules (CSRF token,
 * {@code Origin}, {@code Sec-Fetch-Site}), the page headers, escaping, the downloads, and the
 * JSON route's authentication.
 */
class AccountPagesTest {
    static final List<String> PAGES = List.of("/account", "/account/storage", "/account/federation", "/account/access",
            "/account/backup", "/account/danger", "/account/repo.car", "/account/blobs.zip");
    static final String CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self';"
            + " frame-ancestors 'none'; base-uri 'none'";
    static TestServer server;
    static String origin;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        origin = server.config.publicOrigin();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    /** A browser: its own cookies, following no redirects (the test reads them). */
    static final class Browser {
        final HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
        String csrf;

        HttpResponse<String> get(String path) throws Exception {
            return http.send(HttpRequest.newBuilder(URI.create(server.url(path))).header("Accept", "text/html").build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<byte[]> download(String path) throws Exception {
            return http.send(HttpRequest.newBuilder(URI.create(server.url(path))).build(), HttpResponse.BodyHandlers.ofByteArray());
        }

        /** Posts a form as our page does (same origin), unless {@code headers} are given. */
        HttpResponse<String> post(String path, Map<String, String> fields, String... headers) throws Exception {
            var b = HttpRequest.newBuilder(URI.create(server.url(path)))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form(fields)));
            if (headers.length == 0) b.header("Origin", origin).header("Sec-Fetch-Site", "same-origin");
            else b.headers(headers);
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }

        /** The same, with this browser's CSRF token added. */
        HttpResponse<String> submit(String path, Map<String, String> fields, String... headers) throws Exception {
            var all = new LinkedHashMap<>(fields);
            all.put("csrf", csrf);
            return post(path, all, headers);
        }

        Browser signIn() throws Exception {
            var page = get("/account/sign-in");
            assertThat(page.statusCode()).isEqualTo(200);
            var signedIn = post("/account/sign-in", Map.of("csrf", csrf(page.body()), "identifier", TestServer.HANDLE,
                    "password", TestServer.PASSWORD));
            assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(303);
            assertThat(signedIn.headers().firstValue("Location")).hasValue("/account");
            var overview = get("/account");
            assertThat(overview.statusCode()).isEqualTo(200);
            csrf = csrf(overview.body());
            return this;
        }
    }

    static long devices() {
        return server.alteran.database().read(c -> {
            try (var st = c.prepareStatement("SELECT COUNT(*) FROM oauth_device"); var rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    static String accessJwt() throws Exception {
        return AuthClient.login(server).get("accessJwt").asText();
    }

    @Test
    void theRootIsAStatusPageForBrowsersAndPlainTextForOthers() throws Exception {
        var html = new Browser().get("/");
        assertThat(html.statusCode()).isEqualTo(200);
        assertThat(html.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(html.body()).contains("@" + TestServer.HANDLE, server.config.did(), "Up: every check passes");
        assertThat(html.headers().firstValue("Content-Security-Policy")).hasValue(CSP.replace(" script-src 'self';", ""));
        assertThat(html.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        // Public: nothing private, the account pages' data least of all.
        assertThat(html.body()).doesNotContain("verificationMethod", "csrf");

        var plain = server.get("/");
        assertThat(plain.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(plain.body()).startsWith("This is an AT Protocol Personal Data Server (Alteran) for " + TestServer.HANDLE);
    }

    @Test
    void everyOwnerPageWithoutASessionOrWithAnExpiredOneSendsToTheSignInPage() throws Exception {
        var stranger = new Browser();
        for (var path : PAGES) {
            var r = stranger.get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(303);
            assertThat(r.headers().firstValue("Location")).as(path).hasValue("/account/sign-in");
            assertThat(r.body()).as(path).isEmpty();
        }
        var owner = new Browser().signIn();
        for (var path : PAGES) assertThat(owner.download(path).statusCode()).as(path).isEqualTo(200);
        // The device session runs out.
        server.alteran.database().write(c -> {
            try (var st = c.prepareStatement("UPDATE oauth_device SET expires_at = ?")) {
                st.setLong(1, System.currentTimeMillis() - 1);
                return st.executeUpdate();
            }
        });
        for (var path : PAGES) {
            var r = owner.get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(303);
            assertThat(r.headers().firstValue("Location")).as(path).hasValue("/account/sign-in");
        }
        var revoke = owner.submit("/account/app-passwords", Map.of("name", "after expiry"));
        assertThat(revoke.statusCode()).isEqualTo(403);
        assertThat(server.alteran.appPasswords().list()).noneMatch(p -> p.name().equals("after expiry"));
    }

    @Test
    void theOAuthPagesAndTheAccountPagesShareTheSignIn() throws Exception {
        // Signed in for an app with "remember this device": the account pages open.
        var app = new OAuthTestClient(server, "http://127.0.0.1:8765/callback", "atproto");
        var auth = app.par("atproto");
        var page = app.authorizePage(auth.requestUri());
        var consent = app.submit(auth.requestUri(), csrf(page.body()),
                Map.of("action", "sign-in", "identifier", TestServer.HANDLE, "password", TestServer.PASSWORD, "remember", "1"));
        assertThat(consent.statusCode()).isEqualTo(200);
        var account = app.browser.send(HttpRequest.newBuilder(URI.create(server.url("/account"))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(account.statusCode()).isEqualTo(200);
        assertThat(account.body()).contains("id=\"overview-did\"");

        // Signed in on the account pages: an app's sign-in goes straight to the consent page.
        var owner = new Browser().signIn();
        var other = new OAuthTestClient(server, "http://127.0.0.1:8765/callback", "atproto");
        var request = other.par("atproto");
        var url = server.url("/oauth/authorize?client_id=" + OAuthTestClient.enc(other.clientId) + "&request_uri="
                + OAuthTestClient.enc(request.requestUri()));
        var straight = owner.http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(straight.statusCode()).isEqualTo(200);
        assertThat(straight.body()).contains("value=\"allow\"").doesNotContain("name=\"password\"");
    }

    @Test
    void aWrongPasswordOrAnAppPasswordDoesNotSignIn() throws Exception {
        var b = new Browser();
        long devices = devices();
        var page = b.get("/account/sign-in");
        var token = csrf(page.body());
        var wrong = b.post("/account/sign-in", Map.of("csrf", token, "identifier", TestServer.HANDLE, "password", "nope"));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).contains("Wrong handle or password");
        // A stranger's visits store nothing: the device is made once the password is right.
        assertThat(devices()).isEqualTo(devices);
        var appPassword = server.alteran.appPasswords().create("sign-in attempt", false).password();
        var withAppPassword = b.post("/account/sign-in", Map.of("csrf", token, "identifier", TestServer.HANDLE, "password", appPassword));
        assertThat(withAppPassword.statusCode()).isEqualTo(401);
        var noCsrf = b.post("/account/sign-in", Map.of("identifier", TestServer.HANDLE, "password", TestServer.PASSWORD));
        assertThat(noCsrf.statusCode()).isEqualTo(403);
        var crossSite = b.post("/account/sign-in", Map.of("csrf", token, "identifier", TestServer.HANDLE, "password", TestServer.PASSWORD),
                "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site");
        assertThat(crossSite.statusCode()).isEqualTo(403);
        assertThat(b.get("/account").statusCode()).isEqualTo(303);
        server.alteran.appPasswords().revoke("sign-in attempt");
    }

    @Test
    void pagesSendTheStrictHeadersAndCannotBeFramed() throws Exception {
        var b = new Browser().signIn();
        for (var path : PAGES.subList(0, 6)) {
            var r = b.get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Security-Policy")).as(path).hasValue(CSP);
            assertThat(r.headers().firstValue("X-Frame-Options")).as(path).hasValue("DENY");
            assertThat(r.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
            assertThat(r.headers().firstValue("Cache-Control")).as(path).hasValue("no-store");
            assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).as(path).isEmpty();
            assertThat(r.body()).as(path).contains("<meta name=\"viewport\"");
        }
        var script = b.get("/account/assets/account.js");
        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.headers().firstValue("Content-Type").orElse("")).startsWith("text/javascript");
        var cookie = b.http.cookieHandler().orElseThrow().get(URI.create(server.url("/account")), Map.of()).get("Cookie");
        assertThat(cookie).anyMatch(c -> c.contains("alteran-device="));
    }

    @Test
    void formsWithoutTheirTokenOrFromAnotherOriginAreRefusedAndChangeNothing() throws Exception {
        var b = new Browser().signIn();
        var create = Map.of("name", "forged");
        var refusals = new LinkedHashMap<String, HttpResponse<String>>();
        refusals.put("no token", b.post("/account/app-passwords", create));
        refusals.put("a wrong token", b.post("/account/app-passwords", Map.of("name", "forged", "csrf", "AAAA")));
        refusals.put("another browser's token", b.post("/account/app-passwords", Map.of("name", "forged", "csrf", new Browser().signIn().csrf)));
        refusals.put("another origin", b.submit("/account/app-passwords", create, "Origin", "https://evil.example"));
        refusals.put("cross-site", b.submit("/account/app-passwords", create, "Origin", origin, "Sec-Fetch-Site", "cross-site"));
        refusals.put("same-site", b.submit("/account/app-passwords", create, "Sec-Fetch-Site", "same-site"));
        refusals.put("no origin at all", b.submit("/account/app-passwords", create, "X-Nothing", "none"));
        refusals.put("deactivation from another origin", b.submit("/account/deactivate", Map.of("confirm", "yes"), "Origin", "https://evil.example"));
        refusals.put("deactivation without a token", b.post("/account/deactivate", Map.of("confirm", "yes")));
        refusals.forEach((why, r) -> {
            assertThat(r.statusCode()).as(why).isEqualTo(403);
            assertThat(r.body()).as(why).contains("Request refused");
        });
        assertThat(server.alteran.appPasswords().list()).noneMatch(p -> p.name().equals("forged"));
        assertThat(server.alteran.accountStatus().isActive()).isTrue();
        // The form itself still works.
        var made = b.submit("/account/app-passwords", create);
        assertThat(made.statusCode()).isEqualTo(200);
        assertThat(server.alteran.appPasswords().list()).anyMatch(p -> p.name().equals("forged"));
        server.alteran.appPasswords().revoke("forged");
    }

    @Test
    void malformedRequestsAreRefusedWithoutAServerError() throws Exception {
        var b = new Browser().signIn();
        var before = server.alteran.appPasswords().list().size();
        var put = b.http.send(HttpRequest.newBuilder(URI.create(server.url("/account/app-passwords")))
                .PUT(HttpRequest.BodyPublishers.ofString("name=x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(405);
        var json = b.http.send(HttpRequest.newBuilder(URI.create(server.url("/account/app-passwords")))
                .header("Content-Type", "application/json").header("Origin", origin).header("Sec-Fetch-Site", "same-origin")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"x\",\"csrf\":\"" + b.csrf + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(json.statusCode()).isEqualTo(400);
        var huge = b.submit("/account/app-passwords", Map.of("name", "y".repeat(70_000)));
        assertThat(huge.statusCode()).isEqualTo(400);
        var form = URI.create(server.url("/account/app-passwords"));
        var broken = b.http.send(HttpRequest.newBuilder(form).header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", origin).header("Sec-Fetch-Site", "same-origin")
                .POST(HttpRequest.BodyPublishers.ofString("csrf=" + b.csrf + "&name=%zz")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(broken.statusCode()).isEqualTo(400);
        var duplicate = b.http.send(HttpRequest.newBuilder(form).header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", origin).header("Sec-Fetch-Site", "same-origin")
                .POST(HttpRequest.BodyPublishers.ofString("csrf=" + b.csrf + "&name=a&name=b")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(duplicate.statusCode()).isEqualTo(400);
        var tooLong = b.submit("/account/app-passwords", Map.of("name", "z".repeat(101)));
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(b.submit("/account/nothing-here", Map.of()).statusCode()).isEqualTo(404);
        assertThat(b.get("/account/nothing-here").statusCode()).isEqualTo(404);
        assertThat(b.submit("/account/sessions/revoke", Map.of("id", "no such session")).statusCode()).isEqualTo(303);
        assertThat(server.alteran.appPasswords().list()).hasSize(before);
    }

    @Test
    void anAppPasswordIsShownOnceUsableAndRevokedFromThePage() throws Exception {
        var b = new Browser().signIn();
        var made = b.submit("/account/app-passwords", Map.of("name", "<img src=x onerror=alert(1)>"));
        assertThat(made.statusCode()).isEqualTo(200);
        var password = made.body().replaceAll("(?s).*<code class=\"secret\" id=\"new-password\">([^<]+)</code>.*", "$1");
        assertThat(password).matches("[a-z0-9]{4}(-[a-z0-9]{4}){3}");
        // Escaped wherever the name is shown.
        assertThat(made.body()).contains("&lt;img src=x onerror=alert(1)&gt;").doesNotContain("<img src=x");
        assertThat(AuthClient.createSession(server, TestServer.HANDLE, password).statusCode()).isEqualTo(200);
        // Not shown again.
        assertThat(b.get("/account/access").body()).doesNotContain(password).contains("&lt;img src=x onerror=alert(1)&gt;");

        var revoked = b.submit("/account/app-passwords/revoke", Map.of("name", "<img src=x onerror=alert(1)>"));
        assertThat(revoked.statusCode()).isEqualTo(303);
        assertThat(b.get(revoked.headers().firstValue("Location").orElseThrow()).body()).contains("The app password is revoked.");
        assertThat(AuthClient.createSession(server, TestServer.HANDLE, password).statusCode()).isEqualTo(401);
    }

    @Test
    void passwordSessionsAndOAuthAppsAreListedAndRevoked() throws Exception {
        var session = AuthClient.login(server);
        var grant = new OAuthTokens.Grant(server.config.did(), "https://app.example.com/client-metadata.json", "{\"method\":\"none\"}",
                false, null, "atproto transition:generic", "jkt-of-a-test-key");
        var issued = server.alteran.oauthTokens().create(grant, null);
        var b = new Browser().signIn();
        var access = b.get("/account/access").body();
        assertThat(access).contains("https://app.example.com/client-metadata.json", "transition:generic", "account password");

        var sessionId = AuthClient.claims(session.get("refreshJwt").asText()).get("jti").asText();
        assertThat(server.alteran.sessions().list()).anyMatch(s -> s.id().equals(sessionId));
        assertThat(b.submit("/account/sessions/revoke", Map.of("id", sessionId)).statusCode()).isEqualTo(303);
        assertThat(AuthClient.refresh(server, session.get("refreshJwt").asText()).statusCode()).isEqualTo(400);

        assertThat(b.submit("/account/oauth/revoke", Map.of("id", issued.sessionId())).statusCode()).isEqualTo(303);
        assertThat(server.alteran.oauthTokens().sessions()).noneMatch(s -> s.id().equals(issued.sessionId()));
        assertThat(b.get("/account/access").body()).doesNotContain("https://app.example.com/client-metadata.json");
    }

    @Test
    void deactivationAsksFirstThenAnnouncesAndActivationUndoesIt() throws Exception {
        var b = new Browser().signIn();
        long seq = server.alteran.sequence().lastSeq();
        var ask = b.submit("/account/deactivate", Map.of());
        assertThat(ask.statusCode()).isEqualTo(200);
        assertThat(ask.body()).contains("Deactivate the account?", "name=\"confirm\" value=\"yes\"");
        assertThat(server.alteran.accountStatus().isActive()).isTrue();

        var done = b.submit("/account/deactivate", Map.of("confirm", "yes"));
        assertThat(done.statusCode()).isEqualTo(303);
        assertThat(server.alteran.accountStatus().isActive()).isFalse();
        var events = server.alteran.sequence().after(seq, 10);
        assertThat(events).extracting(e -> e.type()).containsExactly("account");
        assertThat(done.headers().firstValue("Location")).hasValue("/account/danger?done=deactivated");
        assertThat(b.get("/account/danger?done=deactivated").body()).contains("The account is deactivated.", "id=\"activate\"");

        assertThat(b.submit("/account/activate", Map.of("confirm", "yes")).statusCode()).isEqualTo(303);
        assertThat(server.alteran.accountStatus().isActive()).isTrue();
    }

    @Test
    void recordsAreShownEscapedAndTheDownloadsHoldTheRepositoryAndTheBlobs() throws Exception {
        var jwt = accessJwt();
        var record = Json.object().put("$type", "app.bsky.feed.post").put("text", "<script>alert('pwned')</script>")
                .put("createdAt", Instant.now().toString());
        var write = server.post("/xrpc/com.atproto.repo.createRecord", Json.object().put("repo", server.config.did())
                .put("collection", "app.bsky.feed.post").set("record", record).toString(), "Authorization", "Bearer " + jwt);
        assertThat(write.statusCode()).as(write.body()).isEqualTo(200);
        var png = new byte[5000];
        new Random(7).nextBytes(png);
        System.arraycopy(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}, 0, png, 0, 8);
        var upload = server.http.send(HttpRequest.newBuilder(URI.create(server.url("/xrpc/com.atproto.repo.uploadBlob")))
                .header("content-type", "image/png").header("Authorization", "Bearer " + jwt)
                .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(upload.statusCode()).as(upload.body()).isEqualTo(200);
        var blobCid = TestServer.json(upload).at("/blob/ref/$link").asText();

        var b = new Browser().signIn();
        var overview = b.get("/account").body();
        assertThat(overview).contains("app.bsky.feed.post", "&lt;script&gt;alert(").doesNotContain("<script>alert");
        assertThat(overview).contains("\"verificationMethod\"");

        var car = b.download("/account/repo.car");
        assertThat(car.headers().firstValue("Content-Type")).hasValue("application/vnd.ipld.car");
        assertThat(car.headers().firstValue("Content-Disposition").orElse("")).startsWith("attachment;");
        var file = CarReader.readAll(car.body());
        assertThat(file.roots()).containsExactly(server.alteran.repo().head().cid());

        var zip = b.download("/account/blobs.zip");
        assertThat(zip.headers().firstValue("Content-Type")).hasValue("application/zip");
        try (var in = new ZipInputStream(new ByteArrayInputStream(zip.body()))) {
            var entry = in.getNextEntry();
            assertThat(entry.getName()).isEqualTo(blobCid);
            assertThat(in.readAllBytes()).isEqualTo(png);
            assertThat(Cid.ofRaw(png).toString()).isEqualTo(blobCid);
            assertThat(in.getNextEntry()).isNull();
        }
    }

    @Test
    void theJsonRouteAnswersTheAccountPasswordSessionOnly() throws Exception {
        var path = "/xrpc/dev.alteran.account.getDashboard";
        var none = server.get(path);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(TestServer.json(none).get("error").asText()).isEqualTo("AuthMissing");

        var appPassword = server.alteran.appPasswords().create("dashboard script", true).password();
        var appSession = TestServer.json(AuthClient.createSession(server, TestServer.HANDLE, appPassword)).get("accessJwt").asText();
        var refused = AuthClient.getWithToken(server, path, appSession);
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(TestServer.json(refused).get("error").asText()).isEqualTo("InvalidToken");
        server.alteran.appPasswords().revoke("dashboard script");

        var ok = AuthClient.getWithToken(server, path, accessJwt());
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        var json = TestServer.json(ok);
        assertThat(json.fieldNames()).toIterable().containsExactly("overview", "storage", "federation", "access", "backup", "danger");
        assertThat(json.at("/overview/did").asText()).isEqualTo(server.config.did());
        assertThat(json.at("/overview/status").asText()).isEqualTo("active");
        assertThat(json.at("/overview/lastCommit/cid").asText()).isEqualTo(server.alteran.repo().head().cid().toString());
        assertThat(json.at("/storage/recordsPerDay").size()).isEqualTo(90);
        assertThat(json.at("/federation/seq").asLong()).isEqualTo(server.alteran.sequence().lastSeq());
        assertThat(json.at("/backup/repoCar").asText()).isEqualTo("/account/repo.car");
        assertThat(json.at("/danger/active").asBoolean()).isTrue();
    }
}
