package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FoundationTest {
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void healthReportsEveryCheck() throws Exception {
        var r = server.get("/health");
        assertThat(r.statusCode()).isEqualTo(200);
        var body = TestServer.json(r);
        assertThat(body.get("status").asText()).isEqualTo("ok");
        assertThat(body.get("timestamp").asText()).isNotBlank();
        assertThat(body.at("/checks/database").asText()).isEqualTo("ok");
        assertThat(body.at("/checks/storage").asText()).isEqualTo("ok");
        assertThat(server.get("/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void healthIs503WhenStorageFails() throws Exception {
        try (var broken = TestServer.start()) {
            // the blob folder's temp area vanishes and is replaced by a file: writes fail
            var tmp = broken.dataDir.resolve("blobs/.tmp");
            java.nio.file.Files.delete(tmp);
            java.nio.file.Files.writeString(tmp, "not a folder");
            var r = broken.get("/health");
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(TestServer.json(r).at("/checks/storage").asText()).isEqualTo("error");
            java.nio.file.Files.delete(tmp);
            java.nio.file.Files.createDirectory(tmp);
        }
    }

    @Test
    void describeServerNamesOurDid() throws Exception {
        var r = server.get("/xrpc/com.atproto.server.describeServer");
        assertThat(r.statusCode()).isEqualTo(200);
        var body = TestServer.json(r);
        assertThat(body.get("did").asText()).isEqualTo(server.config.did());
        assertThat(body.get("availableUserDomains").isArray()).isTrue();
        assertThat(body.get("inviteCodeRequired").asBoolean()).isTrue();
    }

    @Test
    void everyResponseCarriesARequestId() throws Exception {
        assertThat(server.get("/health").headers().firstValue("x-request-id")).isPresent();
        assertThat(server.get("/xrpc/com.atproto.server.describeServer").headers().firstValue("x-request-id")).isPresent();
        var own = server.get("/health", "x-request-id", "abc-123");
        assertThat(own.headers().firstValue("x-request-id")).hasValue("abc-123");
        var hostile = server.get("/health", "x-request-id", "a b\"c");
        assertThat(hostile.headers().firstValue("x-request-id").orElseThrow()).isNotEqualTo("a b\"c");
    }

    @Test
    void unknownMethodIs501WithXrpcError() throws Exception {
        var r = server.get("/xrpc/com.example.nothing");
        assertThat(r.statusCode()).isEqualTo(501);
        assertThat(TestServer.json(r).get("error").asText()).isEqualTo("MethodNotImplemented");
    }

    @Test
    void wrongHttpMethodIsRefused() throws Exception {
        var r = server.post("/xrpc/com.atproto.server.describeServer", "{}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(TestServer.json(r).get("error").asText()).isEqualTo("InvalidRequest");
    }

    @Test
    void rootPageNamesTheAccount() throws Exception {
        var r = server.get("/");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains(TestServer.HANDLE);
    }
}
