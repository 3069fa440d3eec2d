package dev.alteran.server;

import static dev.alteran.server.StandInService.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The original Alteran's settings at work on a real server: describeServer's links, the moderation service. */
class OriginalSettingsTest {
    static final String OZONE_DID = "did:plc:ozoneozoneozoneozoneozon";

    @Test
    void describeServerNamesThePolicyLinksAndContact() throws Exception {
        try (var server = TestServer.start(Map.of("PDS_LINK_PRIVACY", "https://example.com/privacy",
                "PDS_LINK_TOS", "https://example.com/tos", "PDS_CONTACT_EMAIL", "admin@example.com"))) {
            var body = TestServer.json(server.get("/xrpc/com.atproto.server.describeServer"));
            assertThat(body.path("links").path("privacyPolicy").asText()).isEqualTo("https://example.com/privacy");
            assertThat(body.path("links").path("termsOfService").asText()).isEqualTo("https://example.com/tos");
            assertThat(body.path("contact").path("email").asText()).isEqualTo("admin@example.com");
        }
        try (var server = TestServer.start()) {
            var body = TestServer.json(server.get("/xrpc/com.atproto.server.describeServer"));
            assertThat(body.path("links").size()).isZero();
            assertThat(body.path("contact").size()).isZero();
        }
    }

    @Test
    void reportsAndOzoneCallsGoToTheModerationServiceWithServiceAuth() throws Exception {
        try (var ozone = new StandInService();
             var server = TestServer.start(Map.of("PDS_OZONE_URL", ozone.url(), "PDS_OZONE_DID", OZONE_DID, "PDS_PLC_URL", ozone.url()))) {
            var did = server.config.did();
            var access = "Bearer " + AuthClient.login(server).get("accessJwt").asText();
            var key = StandInService.publishedKey(server);
            ozone.received.clear();

            ozone.onXrpc("com.atproto.moderation.createReport", json(200, "{\"id\":7,\"reasonType\":\"x\"}"));
            var report = server.post("/xrpc/com.atproto.moderation.createReport", "{\"reasonType\":\"x\",\"subject\":{}}",
                    "Authorization", access);
            assertThat(report.statusCode()).as(report.body()).isEqualTo(200);
            assertThat(TestServer.json(report).path("id").asInt()).isEqualTo(7);
            var req = ozone.take();
            assertThat(req.path()).isEqualTo("/xrpc/com.atproto.moderation.createReport");
            assertThat(new String(req.body())).isEqualTo("{\"reasonType\":\"x\",\"subject\":{}}");
            StandInService.verifyServiceToken(req.bearer(), key, did, OZONE_DID, "com.atproto.moderation.createReport");

            ozone.onXrpc("tools.ozone.moderation.queryStatuses", json(200, "{\"subjectStatuses\":[]}"));
            var statuses = server.get("/xrpc/tools.ozone.moderation.queryStatuses?limit=5", "Authorization", access);
            assertThat(statuses.statusCode()).as(statuses.body()).isEqualTo(200);
            req = ozone.take();
            assertThat(req.path()).isEqualTo("/xrpc/tools.ozone.moderation.queryStatuses");
            assertThat(req.query()).isEqualTo("limit=5");
            StandInService.verifyServiceToken(req.bearer(), key, did, OZONE_DID, "tools.ozone.moderation.queryStatuses");

            // Anonymous callers are not proxied; the service hears nothing of them.
            assertThat(server.get("/xrpc/tools.ozone.moderation.queryStatuses").statusCode()).isEqualTo(401);
            assertThat(ozone.received).isEmpty();

            // The proxy's meters name the service, not its DID.
            var timer = server.alteran.meterRegistry().find("alteran.proxy.upstream").tag("service", "moderation").timer();
            assertThat(timer).isNotNull();
            assertThat(timer.count()).isEqualTo(2);
        }
    }

    @Test
    void theOriginalsChatSettingsChooseTheChatService() throws Exception {
        var chatDid = "did:web:chat.original.test";
        try (var chat = new StandInService();
             var server = TestServer.start(Map.of("PDS_BSKY_CHAT_URL", chat.url(), "PDS_BSKY_CHAT_DID", chatDid, "PDS_PLC_URL", chat.url()))) {
            var access = "Bearer " + AuthClient.login(server).get("accessJwt").asText();
            var key = StandInService.publishedKey(server);
            chat.received.clear();
            chat.onXrpc("chat.bsky.convo.listConvos", json(200, "{\"convos\":[]}"));
            var r = server.get("/xrpc/chat.bsky.convo.listConvos", "Authorization", access);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            StandInService.verifyServiceToken(chat.take().bearer(), key, server.config.did(), chatDid, "chat.bsky.convo.listConvos");
        }
    }

    @Test
    void withoutAModerationServiceReportsAreNotProxied() throws Exception {
        try (var server = TestServer.start()) {
            var access = "Bearer " + AuthClient.login(server).get("accessJwt").asText();
            var r = server.post("/xrpc/com.atproto.moderation.createReport", "{\"reasonType\":\"x\",\"subject\":{}}", "Authorization", access);
            assertThat(r.statusCode()).isEqualTo(501);
            assertThat(TestServer.json(r).path("error").asText()).isEqualTo("MethodNotImplemented");
        }
    }
}
