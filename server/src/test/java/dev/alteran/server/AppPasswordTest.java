package dev.alteran.server;

import static dev.alteran.server.AuthClient.claims;
import static dev.alteran.server.AuthClient.createSession;
import static dev.alteran.server.AuthClient.error;
import static dev.alteran.server.AuthClient.getSession;
import static dev.alteran.server.AuthClient.login;
import static dev.alteran.server.AuthClient.refresh;
import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.syntax.Datetime;
import dev.alteran.pds.wire.Json;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AppPasswordTest {
    TestServer server;
    String fullAccess;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start();
        fullAccess = login(server).get("accessJwt").asText();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    HttpResponse<String> create(String access, String name, Boolean privileged) throws Exception {
        var body = Json.object().put("name", name);
        if (privileged != null) body.put("privileged", privileged);
        return server.post("/xrpc/com.atproto.server.createAppPassword", body.toString(), "Authorization", "Bearer " + access);
    }

    HttpResponse<String> list(String access) throws Exception {
        return AuthClient.getWithToken(server, "/xrpc/com.atproto.server.listAppPasswords", access);
    }

    HttpResponse<String> revoke(String access, String name) throws Exception {
        return server.post("/xrpc/com.atproto.server.revokeAppPassword",
                Json.object().put("name", name).toString(), "Authorization", "Bearer " + access);
    }

    String newAppPassword(String name, boolean privileged) throws Exception {
        var r = create(fullAccess, name, privileged);
        assertThat(r.statusCode()).isEqualTo(200);
        return TestServer.json(r).get("password").asText();
    }

    @Test
    void createReturnsThePasswordOnce() throws Exception {
        var r = create(fullAccess, "phone", null);
        assertThat(r.statusCode()).isEqualTo(200);
        var body = TestServer.json(r);
        assertThat(body.get("name").asText()).isEqualTo("phone");
        assertThat(body.get("password").asText()).matches("[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}");
        assertThat(Datetime.isValid(body.get("createdAt").asText())).isTrue();
        assertThat(body.get("privileged").asBoolean()).isFalse();
        var privileged = TestServer.json(create(fullAccess, "laptop", true));
        assertThat(privileged.get("privileged").asBoolean()).isTrue();
        assertThat(privileged.get("password").asText()).isNotEqualTo(body.get("password").asText());
    }

    @Test
    void storedOnlyAsAScryptHash() throws Exception {
        var password = newAppPassword("phone", false);
        var stored = server.alteran.database().read(c -> {
            try (var rs = c.createStatement().executeQuery("SELECT password_hash FROM app_password WHERE name = 'phone'")) {
                rs.next();
                return rs.getString(1);
            }
        });
        assertThat(stored).startsWith("$scrypt$ln=14,r=8,p=1$").doesNotContain(password).doesNotContain(password.replace("-", ""));
    }

    @Test
    void listNewestFirstWithoutPasswords() throws Exception {
        newAppPassword("first", false);
        newAppPassword("second", true); // in the same millisecond or not: ties go to the later insert
        var r = list(fullAccess);
        assertThat(r.statusCode()).isEqualTo(200);
        var passwords = TestServer.json(r).get("passwords");
        assertThat(passwords).hasSize(2);
        assertThat(passwords.get(0).get("name").asText()).isEqualTo("second");
        assertThat(passwords.get(0).get("privileged").asBoolean()).isTrue();
        assertThat(passwords.get(1).get("name").asText()).isEqualTo("first");
        assertThat(passwords.get(1).get("privileged").asBoolean()).isFalse();
        assertThat(passwords.get(0).has("password")).isFalse();
        assertThat(passwords.get(0).get("createdAt").asText()).isNotBlank();
    }

    @Test
    void duplicateNameIsRefused() throws Exception {
        newAppPassword("phone", false);
        assertThat(error(create(fullAccess, "phone", true)))
                .isEqualTo("400 InvalidRequest: An app password named 'phone' already exists");
    }

    @Test
    void loginWithAnAppPasswordCarriesItsScope() throws Exception {
        var plain = newAppPassword("phone", false);
        var privileged = newAppPassword("laptop", true);
        var s1 = login(server, plain);
        assertThat(claims(s1.get("accessJwt").asText()).get("scope").asText()).isEqualTo("com.atproto.appPass");
        assertThat(getSession(server, s1.get("accessJwt").asText()).statusCode()).isEqualTo(200);
        var s2 = login(server, privileged);
        assertThat(claims(s2.get("accessJwt").asText()).get("scope").asText()).isEqualTo("com.atproto.appPassPrivileged");
        // scope survives refresh
        var refreshed = TestServer.json(refresh(server, s1.get("refreshJwt").asText()));
        assertThat(claims(refreshed.get("accessJwt").asText()).get("scope").asText()).isEqualTo("com.atproto.appPass");
        var refreshed2 = TestServer.json(refresh(server, s2.get("refreshJwt").asText()));
        assertThat(claims(refreshed2.get("accessJwt").asText()).get("scope").asText()).isEqualTo("com.atproto.appPassPrivileged");
        // an app password is not case-folded or trimmed
        assertThat(createSession(server, TestServer.HANDLE, plain.toUpperCase()).statusCode()).isEqualTo(401);
    }

    @Test
    void appPasswordSessionsCannotCreateAppPasswords() throws Exception {
        var plainSession = login(server, newAppPassword("phone", false)).get("accessJwt").asText();
        var privilegedSession = login(server, newAppPassword("laptop", true)).get("accessJwt").asText();
        assertThat(error(create(plainSession, "another", false))).isEqualTo("400 InvalidToken: Bad token scope");
        assertThat(error(create(privilegedSession, "another", false))).isEqualTo("400 InvalidToken: Bad token scope");
        // as in the reference PDS, listing and revoking are open to any access session
        assertThat(list(plainSession).statusCode()).isEqualTo(200);
        assertThat(revoke(privilegedSession, "phone").statusCode()).isEqualTo(200);
    }

    @Test
    void unauthenticatedCallsAreRefused() throws Exception {
        assertThat(error(server.post("/xrpc/com.atproto.server.createAppPassword", "{\"name\":\"x\"}")))
                .isEqualTo("401 AuthMissing: Authentication Required");
        assertThat(error(server.get("/xrpc/com.atproto.server.listAppPasswords")))
                .isEqualTo("401 AuthMissing: Authentication Required");
        assertThat(error(server.post("/xrpc/com.atproto.server.revokeAppPassword", "{\"name\":\"x\"}")))
                .isEqualTo("401 AuthMissing: Authentication Required");
        assertThat(error(server.post("/xrpc/com.atproto.server.createAppPassword", "{}", "Authorization", "Bearer " + fullAccess)))
                .isEqualTo("400 InvalidRequest: Input must have the property \"name\"");
    }

    @Test
    void revokingEndsLoginsAndRefreshes() throws Exception {
        var password = newAppPassword("phone", false);
        var session = login(server, password);
        var keep = login(server); // a full session is not affected
        var r = revoke(fullAccess, "phone");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(error(refresh(server, session.get("refreshJwt").asText()))).isEqualTo("400 ExpiredToken: Token has been revoked");
        assertThat(error(createSession(server, TestServer.HANDLE, password)))
                .isEqualTo("401 AuthenticationRequired: Invalid identifier or password");
        assertThat(TestServer.json(list(fullAccess)).get("passwords")).isEmpty();
        assertThat(refresh(server, keep.get("refreshJwt").asText()).statusCode()).isEqualTo(200);
        // revoking an unknown name is not an error
        assertThat(revoke(fullAccess, "nothing").statusCode()).isEqualTo(200);
    }
}
