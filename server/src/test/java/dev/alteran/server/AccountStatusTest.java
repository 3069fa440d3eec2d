package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.car.CarReader;
import dev.alteran.atproto.data.DagCbor;
import dev.alteran.pds.store.AccountStatus;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * activateAccount, deactivateAccount and checkAccountStatus as the reference PDS has them: the status
 * persists, a deactivated repository refuses writes and is not served to others, and each change is
 * announced on the firehose.
 */
class AccountStatusTest {
    static String post(String did) {
        return """
                {"repo":"%s","collection":"app.bsky.feed.post","record":{"text":"hi","createdAt":"2024-01-01T00:00:00Z"}}""".formatted(did);
    }

    static Map<String, Object> body(dev.alteran.pds.store.SeqEvent e) {
        return DagCbor.decodeMap(e.body());
    }

    @Test
    void deactivateRefusesWritesAndHidesTheRepoUntilActivated() throws Exception {
        try (var s = TestServer.start()) {
            var did = s.config.did();
            var enc = URLEncoder.encode(did, StandardCharsets.UTF_8);
            var token = AuthClient.login(s).get("accessJwt").asText();
            var auth = new String[] {"authorization", "Bearer " + token};
            assertThat(s.post("/xrpc/com.atproto.repo.createRecord", post(did), auth).statusCode()).isEqualTo(200);
            var blob = Ops.uploadBlobs(s, 1, 5).getFirst();

            var status = TestServer.json(AuthClient.getWithToken(s, "/xrpc/com.atproto.server.checkAccountStatus", token));
            assertThat(status.get("activated").asBoolean()).isTrue();
            assertThat(s.alteran.didDocuments().whyNotHere(null)).isNull();
            assertThat(status.get("validDid").asBoolean()).isTrue();
            assertThat(status.get("repoCommit").asText()).isEqualTo(s.alteran.repo().head().cid().toString());
            assertThat(status.get("repoRev").asText()).isEqualTo(s.alteran.repo().head().rev());
            assertThat(status.get("repoBlocks").asLong()).isEqualTo(Ops.count(s.alteran.database(), "repo_block"));
            assertThat(status.get("indexedRecords").asLong()).isEqualTo(1);
            assertThat(status.get("privateStateValues").asLong()).isZero();
            assertThat(status.get("expectedBlobs").asLong()).isZero();
            assertThat(status.get("importedBlobs").asLong()).isEqualTo(1);

            long seq = s.alteran.sequence().lastSeq();
            var deactivate = s.post("/xrpc/com.atproto.server.deactivateAccount", "{\"deleteAfter\":\"2030-01-01T00:00:00.000Z\"}", auth);
            assertThat(deactivate.statusCode()).as(deactivate.body()).isEqualTo(200);
            var events = s.alteran.sequence().after(seq, 10);
            assertThat(events).singleElement().satisfies(e -> {
                assertThat(e.type()).isEqualTo("account");
                assertThat(body(e)).containsEntry("did", did).containsEntry("active", false).containsEntry("status", "deactivated")
                        .containsKeys("seq", "time").hasSize(5);
            });

            var session = TestServer.json(AuthClient.getSession(s, token));
            assertThat(session.get("active").asBoolean()).isFalse();
            assertThat(session.get("status").asText()).isEqualTo("deactivated");
            assertThat(AuthClient.login(s).get("status").asText()).isEqualTo("deactivated");
            assertThat(TestServer.json(AuthClient.getWithToken(s, "/xrpc/com.atproto.server.checkAccountStatus", token))
                    .get("activated").asBoolean()).isFalse();

            // Writes are refused, whatever the route; reads of the repository are not served to others.
            assertThat(AuthClient.error(s.post("/xrpc/com.atproto.repo.createRecord", post(did), auth)))
                    .isEqualTo("401 AccountDeactivated: Account is deactivated");
            assertThat(AuthClient.error(s.post("/xrpc/com.atproto.repo.applyWrites", """
                    {"repo":"%s","writes":[{"$type":"com.atproto.repo.applyWrites#create","collection":"app.bsky.feed.post","value":{"text":"x","createdAt":"2024-01-01T00:00:00Z"}}]}"""
                    .formatted(did), auth))).startsWith("401 AccountDeactivated");
            long records = Ops.count(s.alteran.database(), "record");
            assertThat(AuthClient.error(s.get("/xrpc/com.atproto.repo.describeRepo?repo=" + enc)))
                    .isEqualTo("400 RepoDeactivated: Repo has been deactivated: " + did);
            assertThat(AuthClient.error(s.get("/xrpc/com.atproto.repo.listRecords?repo=" + enc + "&collection=app.bsky.feed.post")))
                    .startsWith("400 InvalidRequest: Could not find repo");
            assertThat(AuthClient.error(s.get("/xrpc/com.atproto.sync.listBlobs?did=" + enc))).startsWith("400 RepoDeactivated");
            for (var path : List.of("getRepo", "getLatestCommit", "getHead", "getCheckout")) {
                assertThat(AuthClient.error(s.get("/xrpc/com.atproto.sync." + path + "?did=" + enc))).as(path)
                        .isEqualTo("400 RepoDeactivated: Repo has been deactivated: " + did);
            }
            assertThat(AuthClient.getWithToken(s, "/xrpc/com.atproto.sync.getLatestCommit?did=" + enc, token).statusCode()).isEqualTo(200);
            var repoStatus = TestServer.json(s.get("/xrpc/com.atproto.sync.getRepoStatus?did=" + enc));
            assertThat(repoStatus.get("active").asBoolean()).isFalse();
            assertThat(repoStatus.get("status").asText()).isEqualTo("deactivated");
            assertThat(repoStatus.has("rev")).isFalse();
            var repos = TestServer.json(s.get("/xrpc/com.atproto.sync.listRepos")).get("repos").get(0);
            assertThat(repos.get("active").asBoolean()).isFalse();
            assertThat(repos.get("status").asText()).isEqualTo("deactivated");
            // The owner still sees its blobs, and may upload (that is how a migration fills a new PDS).
            assertThat(AuthClient.getWithToken(s, "/xrpc/com.atproto.sync.listBlobs?did=" + enc, token).statusCode()).isEqualTo(200);
            assertThat(Ops.uploadBlobs(s, 1, 6)).hasSize(1);
            // Even a write that bypasses the handlers does not commit.
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Ops.writePosts(s, 1, List.of()))
                    .hasMessageContaining("Account is deactivated");
            assertThat(Ops.count(s.alteran.database(), "record")).isEqualTo(records);

            // The status survives a restart of the service.
            var reread = new AccountStatus(s.alteran.database(), did, s.alteran.sequence(), () -> "x");
            assertThat(reread.isActive()).isFalse();
            assertThat(reread.status()).isEqualTo("deactivated");

            seq = s.alteran.sequence().lastSeq();
            var activate = AuthClient.postNoBody(s, "/xrpc/com.atproto.server.activateAccount", auth);
            assertThat(activate.statusCode()).as(activate.body()).isEqualTo(200);
            var announced = s.alteran.sequence().after(seq, 10);
            assertThat(announced).extracting(dev.alteran.pds.store.SeqEvent::type).containsExactly("identity", "account", "sync");
            assertThat(body(announced.get(0))).containsEntry("handle", TestServer.HANDLE).containsEntry("did", did);
            assertThat(body(announced.get(1))).containsEntry("active", true).doesNotContainKey("status");
            var sync = body(announced.get(2));
            assertThat(sync).containsEntry("rev", s.alteran.repo().head().rev());
            assertThat(CarReader.readAll((byte[]) sync.get("blocks")).blocks()).containsOnlyKeys(s.alteran.repo().head().cid());

            assertThat(TestServer.json(AuthClient.getSession(s, token)).has("status")).isFalse();
            assertThat(s.post("/xrpc/com.atproto.repo.createRecord", post(did), auth).statusCode()).isEqualTo(200);
            assertThat(s.get("/xrpc/com.atproto.repo.describeRepo?repo=" + enc).statusCode()).isEqualTo(200);
            var active = TestServer.json(s.get("/xrpc/com.atproto.sync.getRepoStatus?did=" + enc));
            assertThat(active.get("active").asBoolean()).isTrue();
            assertThat(active.get("rev").asText()).isEqualTo(s.alteran.repo().head().rev());
            assertThat(s.get("/xrpc/com.atproto.sync.getRepo?did=" + enc).statusCode()).isEqualTo(200);
            assertThat(blob).isNotNull();
        }
    }

    @Test
    void onlyAFullSessionChangesTheStatusAndInputIsChecked() throws Exception {
        try (var s = TestServer.start()) {
            var token = AuthClient.login(s).get("accessJwt").asText();
            var app = TestServer.json(s.post("/xrpc/com.atproto.server.createAppPassword", "{\"name\":\"app\"}",
                    "authorization", "Bearer " + token)).get("password").asText();
            var appToken = AuthClient.login(s, app).get("accessJwt").asText();
            assertThat(AuthClient.error(s.post("/xrpc/com.atproto.server.deactivateAccount", "{}", "authorization", "Bearer " + appToken)))
                    .startsWith("400 InvalidToken");
            assertThat(AuthClient.error(AuthClient.postNoBody(s, "/xrpc/com.atproto.server.activateAccount"))).startsWith("401 AuthMissing");
            assertThat(AuthClient.error(s.post("/xrpc/com.atproto.server.deactivateAccount", "{\"deleteAfter\":\"soon\"}",
                    "authorization", "Bearer " + token))).startsWith("400 InvalidRequest: Input/deleteAfter");
            assertThat(s.alteran.accountStatus().isActive()).isTrue();
            // An app password may read the status (as the reference allows).
            assertThat(AuthClient.getWithToken(s, "/xrpc/com.atproto.server.checkAccountStatus", appToken).statusCode()).isEqualTo(200);
            // The input is a JSON object: no body at all, or a null deleteAfter, is refused; {} is fine.
            assertThat(AuthClient.error(AuthClient.postNoBody(s, "/xrpc/com.atproto.server.deactivateAccount", "authorization", "Bearer " + token)))
                    .startsWith("400 InvalidRequest");
            assertThat(AuthClient.error(s.post("/xrpc/com.atproto.server.deactivateAccount", "{\"deleteAfter\":null}",
                    "authorization", "Bearer " + token))).startsWith("400 InvalidRequest");
            assertThat(s.alteran.accountStatus().isActive()).isTrue();
            assertThat(s.post("/xrpc/com.atproto.server.deactivateAccount", "{}", "authorization", "Bearer " + token).statusCode()).isEqualTo(200);
            assertThat(s.alteran.accountStatus().isActive()).isFalse();
        }
    }
}
