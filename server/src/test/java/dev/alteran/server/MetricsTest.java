package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The standalone server's Prometheus endpoint: off by default, guarded by a token or on its own address, and live. */
class MetricsTest {
    static final String TOKEN = "metrics-token-0123456789abcdef";
    static final String CREATE = "com.atproto.repo.createRecord";

    @Test
    void metricsAreOffByDefault() throws Exception {
        try (var server = TestServer.start()) {
            var r = server.get("/metrics");
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(TestServer.json(r).path("error").asText()).isEqualTo("NotFound");
            assertThat(server.get("/metrics", "Authorization", "Bearer " + TOKEN).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void theTokenGuardsMetricsOnThePdsPort() throws Exception {
        try (var server = TestServer.start(Map.of("PDS_METRICS_TOKEN", TOKEN))) {
            var none = server.get("/metrics");
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(TestServer.json(none).path("error").asText()).isEqualTo("AuthMissing");
            assertThat(none.headers().firstValue("www-authenticate")).hasValue("Bearer");
            var wrong = server.get("/metrics", "Authorization", "Bearer " + TOKEN + "x");
            assertThat(wrong.statusCode()).isEqualTo(403);
            assertThat(TestServer.json(wrong).path("error").asText()).isEqualTo("Forbidden");
            assertThat(server.get("/metrics", "Authorization", "Basic " + TOKEN).statusCode()).isEqualTo(401);
            var post = server.post("/metrics", "{}", "Authorization", "Bearer " + TOKEN);
            assertThat(post.statusCode()).isEqualTo(405);
            var ok = server.get("/metrics", "Authorization", "Bearer " + TOKEN);
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("content-type").orElseThrow()).startsWith("text/plain; version=0.0.4");
            assertThat(ok.body()).contains("jvm_memory_used_bytes", "hikaricp_connections", "alteran_db_wal_size_bytes", "alteran_log_dropped_total");
            // The token opens /metrics only; the PDS routes answer as before.
            assertThat(server.get("/xrpc/com.atproto.server.describeServer").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aSeparateAddressServesOnlyMetricsAndNeedsNoToken() throws Exception {
        int port = freePort();
        try (var server = TestServer.start(Map.of("PDS_METRICS_ADDRESS", "127.0.0.1:" + port))) {
            assertThat(server.jetty().metricsPort()).isEqualTo(port);
            var base = "http://127.0.0.1:" + port;
            var ok = get(server, base + "/metrics");
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).contains("alteran_firehose_subscribers");
            assertThat(get(server, base + "/xrpc/com.atproto.server.describeServer").statusCode()).isEqualTo(404);
            assertThat(get(server, base + "/health").statusCode()).isEqualTo(404);
            // Without a token, the PDS's own port does not serve them.
            assertThat(server.get("/metrics").statusCode()).isEqualTo(404);
        }
    }

    /**
     * A write burst over HTTP with a firehose subscriber: scrapes taken while writes are in flight see the
     * counters between their values before and after each round, and they move round by round.
     */
    @Test
    void countersMoveDuringAWriteBurst() throws Exception {
        try (var server = TestServer.start(Map.of("PDS_METRICS_TOKEN", TOKEN));
             var firehose = FirehoseClient.connect(server.http, FirehoseClient.url(server, null), true);
             var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            assertThat(AuthClient.createSession(server, TestServer.HANDLE, "wrong password").statusCode()).isEqualTo(401);
            var access = "Bearer " + AuthClient.login(server).get("accessJwt").asText();
            var did = server.config.did();
            Callable<Integer> write = () -> server.post("/xrpc/" + CREATE, "{\"repo\":\"" + did + "\",\"collection\":\"app.bsky.feed.post\","
                    + "\"record\":{\"$type\":\"app.bsky.feed.post\",\"text\":\"burst\",\"createdAt\":\"2024-01-01T00:00:00.000Z\"}}",
                    "Authorization", access).statusCode();
            assertThat(write.call()).isEqualTo(200);
            assertThat(firehose.messages.poll(10, TimeUnit.SECONDS)).as("the first commit's event").isNotNull();

            var before = scrape(server);
            assertThat(value(before, "alteran_firehose_subscribers")).isEqualTo(1);
            assertThat(value(before, "alteran_login_failures_total")).isEqualTo(1);
            int rounds = 4, perRound = 12;
            var last = before;
            for (int round = 1; round <= rounds; round++) {
                var writes = new ArrayList<Future<Integer>>();
                for (int i = 0; i < perRound; i++) writes.add(pool.submit(write));
                var during = pool.submit(() -> scrape(server));
                for (var w : writes) assertThat(w.get(30, TimeUnit.SECONDS)).isEqualTo(200);
                var mid = during.get(30, TimeUnit.SECONDS);
                var after = scrape(server);
                for (var name : new String[] {"alteran_repo_commits_seconds_count", "alteran_firehose_seq"}) {
                    assertThat(value(mid, name)).as(name + " during round " + round).isBetween(value(last, name), value(after, name));
                }
                // A call is timed as the servlet returns, just after its client has the answer: waited for, not assumed.
                assertThat(requests(awaitRequests(server, CREATE, "200", requests(before, CREATE, "200") + round * perRound), CREATE, "200"))
                        .as("createRecord answers after round " + round).isEqualTo(requests(before, CREATE, "200") + round * perRound);
                assertThat(value(after, "alteran_repo_commits_seconds_count")).as("commits after round " + round)
                        .isEqualTo(value(before, "alteran_repo_commits_seconds_count") + round * perRound);
                assertThat(value(after, "alteran_firehose_seq")).isEqualTo(value(last, "alteran_firehose_seq") + perRound);
                last = after;
            }
            // Every event reached the subscriber; the frames it was sent were counted.
            var seen = new HashSet<Long>();
            while (seen.size() < rounds * perRound) {
                var m = firehose.messages.poll(10, TimeUnit.SECONDS);
                assertThat(m).as("firehose event %d of %d", seen.size() + 1, rounds * perRound).isNotNull();
                seen.add(m.seq());
            }
            var end = awaitRequests(server, CREATE, "200", requests(before, CREATE, "200") + rounds * perRound);
            assertThat(value(end, "alteran_firehose_events_sent_total"))
                    .isGreaterThanOrEqualTo(value(before, "alteran_firehose_events_sent_total") + rounds * perRound);
            assertThat(value(end, "alteran_firehose_seq")).isEqualTo(seen.stream().mapToLong(Long::longValue).max().orElseThrow());
            assertThat(value(end, "alteran_firehose_cut_off_total")).isZero();
            assertThat(value(end, "alteran_repo_commit_transactions_total")).isPositive();
            // A latency histogram: the buckets of the method's timer, the last of them holding every call.
            assertThat(value(end, "alteran_xrpc_requests_seconds_bucket", "nsid", CREATE, "status", "200", "le", "+Inf"))
                    .isEqualTo(requests(end, CREATE, "200"));
            assertThat(value(end, "hikaricp_connections_active", "pool", "alteran-read")).isGreaterThanOrEqualTo(0);
            assertThat(value(end, "alteran_db_wal_size_bytes")).isGreaterThanOrEqualTo(0);
            assertThat(value(end, "alteran_blob_quota_used")).isGreaterThanOrEqualTo(0);
        }
    }

    static String scrape(TestServer server) throws Exception {
        var r = server.get("/metrics", "Authorization", "Bearer " + TOKEN);
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /** Scrapes until the method's count reaches {@code expected} (10 s at most); returns the last scrape. */
    static String awaitRequests(TestServer server, String nsid, String status, double expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        var text = scrape(server);
        while (requests(text, nsid, status) < expected && System.nanoTime() < deadline) text = scrape(server);
        return text;
    }

    static double requests(String text, String nsid, String status) {
        return value(text, "alteran_xrpc_requests_seconds_count", "nsid", nsid, "status", status);
    }

    /** The sum of the samples of {@code name} whose labels include the given pairs; there must be one at least. */
    static double value(String text, String name, String... labels) {
        var line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$", Pattern.MULTILINE).matcher(text);
        double sum = 0;
        boolean found = false;
        next:
        while (line.find()) {
            var tags = line.group(1) == null ? "" : line.group(1);
            for (int i = 0; i < labels.length; i += 2) {
                if (!tags.contains(labels[i] + "=\"" + labels[i + 1] + "\"")) continue next;
            }
            sum += Double.parseDouble(line.group(2));
            found = true;
        }
        assertThat(found).as("a sample of %s with %s", name, String.join(",", labels)).isTrue();
        return sum;
    }

    static HttpResponse<String> get(TestServer server, String url) throws Exception {
        return server.http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static int freePort() throws Exception {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
