package dev.alteran.pds.xrpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.Alteran;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.wire.Json;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.HashMap;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * com.atproto.server.* handlers as registered by {@link Alteran}: the session lifecycle and the
 * account-level rules, over real HTTP into a real SQLite file. Each step relies on what its route
 * declares (session, full access, refresh token), so a wrong declaration shows here.
 */
class ServerHandlersTest {
    static final String PASSWORD = "correct horse battery staple";
    static Alteran alteran;
    static Server jetty;
    static String base;
    static final HttpClient client = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        var values = new HashMap<String, String>();
        values.put("ALTERAN_ENV", "dev");
        values.put("PDS_DID", "did:web:localhost%3A" + port);
        values.put("PDS_HANDLE", "alice.test");
        values.put("PDS_HOSTNAME", "localhost:" + port);
        values.put("USER_PASSWORD", PASSWORD);
        values.put("ACCESS_TOKEN", "a".repeat(43));
        values.put("REFRESH_TOKEN", "b".repeat(43));
        values.put("REPO_SIGNING_KEY", "e5b9a2c1f0d3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7");
        values.put("PDS_DATA_DIR", Files.createTempDirectory("alteran-handlers-").toString());
        alteran = Alteran.builder().config(Config.from(values).validateOrThrow()).build();
        jetty = new Server();
        var connector = new ServerConnector(jetty);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        jetty.addConnector(connector);
        var context = new ServletContextHandler("/");
        context.addServletContainerInitializer((classes, ctx) -> alteran.install(ctx));
        jetty.setHandler(context);
        jetty.start();
        base = "http://127.0.0.1:" + port + "/xrpc/";
    }

    @AfterAll
    static void stop() throws Exception {
        jetty.stop();
        alteran.close();
    }

    record Answer(int status, JsonNode body) {
        String text(String field) {
            return body.path(field).asText(null);
        }
    }

    static Answer call(String method, String nsid, String token, String json) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(base + nsid));
        if (json != null) b.header("Content-Type", "application/json");
        if (token != null) b.header("Authorization", "Bearer " + token);
        b.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        var r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body().isEmpty() ? Json.object() : Json.READER.readTree(r.body()));
    }

    static Answer login(String identifier, String password) throws Exception {
        return call("POST", "com.atproto.server.createSession", null,
                Json.object().put("identifier", identifier).put("password", password).toString());
    }

    @Test
    void aSessionLivesRotatesAndEnds() throws Exception {
        assertThat(login("alice.test", "wrong").status()).isEqualTo(401);
        var session = login("alice.test", PASSWORD);
        assertThat(session.status()).isEqualTo(200);
        var access = session.text("accessJwt");
        var refresh = session.text("refreshJwt");

        var me = call("GET", "com.atproto.server.getSession", access, null);
        assertThat(me.text("handle")).isEqualTo("alice.test");
        assertThat(me.body().path("active").asBoolean()).isTrue();
        // A refresh token is no access token, and the other way round.
        assertThat(call("GET", "com.atproto.server.getSession", refresh, null).status()).isIn(400, 401);
        assertThat(call("POST", "com.atproto.server.refreshSession", access, null).status()).isIn(400, 401);

        var rotated = call("POST", "com.atproto.server.refreshSession", refresh, null);
        assertThat(rotated.status()).isEqualTo(200);
        assertThat(rotated.text("refreshJwt")).isNotEqualTo(refresh);
        assertThat(call("POST", "com.atproto.server.deleteSession", rotated.text("refreshJwt"), null).status()).isEqualTo(200);
        assertThat(call("POST", "com.atproto.server.refreshSession", rotated.text("refreshJwt"), null).status()).isIn(400, 401);
    }

    @Test
    void appPasswordsMayNotManageAppPasswordsOrTheAccount() throws Exception {
        var owner = login("alice.test", PASSWORD).text("accessJwt");
        var created = call("POST", "com.atproto.server.createAppPassword", owner, "{\"name\":\"phone\"}");
        assertThat(created.status()).isEqualTo(200);
        var app = login("alice.test", created.text("password")).text("accessJwt");

        assertThat(call("GET", "com.atproto.server.listAppPasswords", app, null).body().path("passwords")).hasSize(1);
        var refused = call("POST", "com.atproto.server.createAppPassword", app, "{\"name\":\"tablet\"}");
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.text("error")).isEqualTo("InvalidToken");
        assertThat(call("POST", "com.atproto.server.deactivateAccount", app, "{}").text("error")).isEqualTo("InvalidToken");
        assertThat(call("GET", "com.atproto.server.getSession", owner, null).body().path("active").asBoolean()).isTrue();

        // The lexicon checks the input before the handler: a name that is no string changes nothing.
        assertThat(call("POST", "com.atproto.server.revokeAppPassword", owner, "{\"name\":1}").text("message"))
                .isEqualTo("Input/name must be a string");
        assertThat(call("POST", "com.atproto.server.revokeAppPassword", owner, "{\"name\":\"phone\"}").status()).isEqualTo(200);
        assertThat(call("GET", "com.atproto.server.listAppPasswords", owner, null).body().path("passwords")).isEmpty();
    }

    @Test
    void theOwnerDeactivatesAndActivates() throws Exception {
        var owner = login("alice.test", PASSWORD).text("accessJwt");
        assertThat(call("POST", "com.atproto.server.deactivateAccount", owner, "{}").status()).isEqualTo(200);
        var status = call("GET", "com.atproto.server.checkAccountStatus", owner, null);
        assertThat(status.body().path("activated").asBoolean()).isFalse();
        assertThat(call("POST", "com.atproto.server.activateAccount", owner, null).status()).isEqualTo(200);
        assertThat(call("GET", "com.atproto.server.checkAccountStatus", owner, null).body().path("activated").asBoolean()).isTrue();
    }
}
