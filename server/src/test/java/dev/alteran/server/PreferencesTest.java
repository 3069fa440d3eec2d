package dev.alteran.server;

import static dev.alteran.server.AuthClient.error;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.wire.Json;
import java.net.http.HttpResponse;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** app.bsky.actor.getPreferences / putPreferences: kept by the PDS, with the reference PDS's rules. */
class PreferencesTest {
    static final String ADULT = "{\"$type\":\"app.bsky.actor.defs#adultContentPref\",\"enabled\":true}";
    static final String SAVED = "{\"$type\":\"app.bsky.actor.defs#savedFeedsPrefV2\",\"items\":[{\"id\":\"3l6\",\"type\":\"timeline\","
            + "\"value\":\"following\",\"pinned\":true}]}";
    static final String THREAD = "{\"$type\":\"app.bsky.actor.defs#threadViewPref\",\"sort\":\"oldest\"}";

    static StandInService appView;
    static TestServer server;
    static String access;

    @BeforeAll
    static void start() throws Exception {
        appView = new StandInService();
        server = TestServer.start(Map.of(
                "PDS_BSKY_APP_VIEW_URL", appView.url(), "PDS_BSKY_APP_VIEW_DID", "did:web:appview.test",
                "PDS_CHAT_URL", appView.url(), "PDS_CHAT_DID", "did:web:chat.test"));
        access = AuthClient.login(server).get("accessJwt").asText();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        appView.close();
    }

    static HttpResponse<String> put(String token, String... prefs) throws Exception {
        return server.post("/xrpc/app.bsky.actor.putPreferences", "{\"preferences\":[" + String.join(",", prefs) + "]}",
                "Authorization", "Bearer " + token);
    }

    static List<JsonNode> get(String token) throws Exception {
        var r = server.get("/xrpc/app.bsky.actor.getPreferences", "Authorization", "Bearer " + token);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        var out = new ArrayList<JsonNode>();
        TestServer.json(r).get("preferences").forEach(out::add);
        return out;
    }

    static JsonNode node(String json) throws Exception {
        return Json.READER.readTree(json);
    }

    @Test
    void roundTripInOrderAndPutReplacesEverything() throws Exception {
        assertThat(put(access, SAVED, ADULT, THREAD).statusCode()).isEqualTo(200);
        assertThat(get(access)).containsExactly(node(SAVED), node(ADULT), node(THREAD));
        assertThat(put(access, THREAD).statusCode()).isEqualTo(200);
        assertThat(get(access)).containsExactly(node(THREAD));
        assertThat(put(access).statusCode()).isEqualTo(200);
        assertThat(get(access)).isEmpty();
        // unknown app.bsky types are kept as given (open union)
        var future = "{\"$type\":\"app.bsky.actor.defs#someFuturePref\",\"x\":[1,2,{\"y\":\"z\"}]}";
        assertThat(put(access, future).statusCode()).isEqualTo(200);
        assertThat(get(access)).containsExactly(node(future));
    }

    @Test
    void refusals() throws Exception {
        assertThat(error(server.get("/xrpc/app.bsky.actor.getPreferences"))).isEqualTo("401 AuthMissing: Authentication Required");
        assertThat(error(server.post("/xrpc/app.bsky.actor.putPreferences", "{\"preferences\":[]}")))
                .isEqualTo("401 AuthMissing: Authentication Required");
        put(access, ADULT);
        assertThat(error(put(access, ADULT, "{\"$type\":\"com.example.pref\"}")))
                .isEqualTo("400 InvalidRequest: Some preferences are not in the app.bsky namespace");
        assertThat(error(put(access, "{\"enabled\":true}"))).startsWith("400 InvalidRequest: Input/preferences/0 must be an object which includes the \"$type\"");
        assertThat(error(put(access, "{\"$type\":\"app.bsky.actor.defs#savedFeedsPrefV2\"}")))
                .startsWith("400 InvalidRequest: Input/preferences/0 must have the property \"items\"");
        assertThat(error(put(access, "{\"$type\":\"app.bsky.actor.defs#adultContentPref\",\"enabled\":\"yes\"}")))
                .startsWith("400 InvalidRequest: Input/preferences/0/enabled must be a boolean");
        assertThat(error(server.post("/xrpc/app.bsky.actor.putPreferences", "{}", "Authorization", "Bearer " + access)))
                .isEqualTo("400 InvalidRequest: Input must have the property \"preferences\"");
        assertThat(error(server.post("/xrpc/app.bsky.actor.putPreferences", "{\"preferences\":{}}", "Authorization", "Bearer " + access)))
                .startsWith("400 InvalidRequest: Input/preferences must be an array");
        assertThat(get(access)).containsExactly(node(ADULT)); // nothing refused changed anything
    }

    @Test
    void personalDetailsAreForFullSessionsAndTheDeclaredAgeIsDerived() throws Exception {
        var birth = LocalDate.now().minusYears(17).minusDays(1) + "T00:00:00.000Z";
        var details = "{\"$type\":\"app.bsky.actor.defs#personalDetailsPref\",\"birthDate\":\"" + birth + "\"}";
        var age = "{\"$type\":\"app.bsky.actor.defs#declaredAgePref\",\"isOverAge13\":true,\"isOverAge16\":true,\"isOverAge18\":false}";
        // the derived preference is never stored, even when a client sends it back
        assertThat(put(access, ADULT, details, age).statusCode()).isEqualTo(200);
        assertThat(get(access)).containsExactly(node(ADULT), node(details), node(age));

        for (var privileged : new boolean[] {false, true}) {
            var app = appPassword(privileged);
            assertThat(get(app)).containsExactly(node(ADULT), node(age));
            assertThat(error(put(app, THREAD, details)))
                    .isEqualTo("400 InvalidRequest: Do not have authorization to set preferences: app.bsky.actor.defs#personalDetailsPref");
            // an app password's put replaces what it can see, and keeps the birth date it cannot
            assertThat(put(app, THREAD).statusCode()).isEqualTo(200);
            assertThat(get(app)).containsExactly(node(THREAD), node(age));
            assertThat(get(access)).containsExactly(node(details), node(THREAD), node(age));
            put(access, ADULT, details);
        }
    }

    static String appPassword(boolean privileged) throws Exception {
        var created = server.post("/xrpc/com.atproto.server.createAppPassword",
                "{\"name\":\"p" + System.nanoTime() + "\",\"privileged\":" + privileged + "}", "Authorization", "Bearer " + access);
        return AuthClient.login(server, TestServer.json(created).get("password").asText()).get("accessJwt").asText();
    }

    @Test
    void anotherAppViewNamedInTheHeaderGetsTheCall() throws Exception {
        appView.onXrpc("app.bsky.actor.getPreferences", StandInService.json(200, "{\"preferences\":[" + THREAD + "]}"));
        appView.onXrpc("app.bsky.actor.putPreferences", StandInService.json(200, ""));
        put(access, ADULT);
        appView.received.clear();
        var r = server.get("/xrpc/app.bsky.actor.getPreferences", "Authorization", "Bearer " + access, "atproto-proxy", "did:web:chat.test#bsky_chat");
        assertThat(TestServer.json(r).get("preferences")).containsExactly(node(THREAD));
        var got = appView.take();
        StandInService.verifyServiceToken(got.bearer(), StandInService.publishedKey(server), server.config.did(), "did:web:chat.test",
                "app.bsky.actor.getPreferences");
        var putResponse = server.post("/xrpc/app.bsky.actor.putPreferences", "{\"preferences\":[" + SAVED + "]}",
                "Authorization", "Bearer " + access, "atproto-proxy", "did:web:chat.test#bsky_chat");
        assertThat(putResponse.statusCode()).isEqualTo(200);
        assertThat(new String(appView.take().body())).isEqualTo("{\"preferences\":[" + SAVED + "]}");
        // the configured AppView named explicitly is this PDS itself
        assertThat(server.get("/xrpc/app.bsky.actor.getPreferences", "Authorization", "Bearer " + access,
                "atproto-proxy", "did:web:appview.test#bsky_appview").body()).isEqualTo("{\"preferences\":[" + ADULT + "]}");
        assertThat(get(access)).containsExactly(node(ADULT));
        assertThat(appView.received).isEmpty();
    }
}
