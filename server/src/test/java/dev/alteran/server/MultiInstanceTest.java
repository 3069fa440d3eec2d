package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.repo.RepoVerifier;
import dev.alteran.pds.blob.S3BlobStore;
import dev.alteran.pds.blob.S3ProxyServer;
import dev.alteran.pds.config.BlobStorage;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several instances serving one account (#18): servers on ONE PostgreSQL database and ONE S3 bucket
 * (S3Proxy), each with its own HTTP server. Two run in this JVM; a third runs as a process of its own,
 * so that it can be killed with SIGKILL in the middle of a write burst.
 */
class MultiInstanceTest {
    static final int RECORDS = 2_000;
    static final int WRITERS = 4;
    static final String BUCKET = "alteran-shared";

    @TempDir
    Path tmp;

    @Test
    void instancesOnOneDatabaseAndBucketServeOneAccount() throws Exception {
        try (var s3 = S3ProxyServer.start()) {
            var storage = new BlobStorage(BlobStorage.S3, s3.endpoint, BUCKET, "us-east-1", S3ProxyServer.ACCESS_KEY,
                    S3ProxyServer.SECRET_KEY, true);
            try (var store = S3BlobStore.open(storage, tmp)) {
                store.client().createBucket(b -> b.bucket(BUCKET));
            }
            var blobSettings = Map.of("PDS_BLOB_STORE", "s3", "PDS_S3_ENDPOINT", s3.endpoint, "PDS_S3_BUCKET", BUCKET,
                    "PDS_S3_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY, "PDS_S3_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY,
                    "PDS_S3_FORCE_PATH_STYLE", "true");
            try (var a = TestServer.startPostgres(blobSettings); var b = TestServer.start(shared(a, Map.of()))) {
                var did = a.config.did();
                var access = AuthClient.login(a).get("accessJwt").asText();
                var servers = List.of(a, b);

                List<String> uris;
                // Firehose subscribers on both, before the writes.
                try (var fhA = FirehoseClient.connect(a.http, FirehoseClient.url(a, null), true);
                     var fhB = FirehoseClient.connect(b.http, FirehoseClient.url(b, null), true)) {
                    long before = a.alteran.sequence().lastSeq();
                    // Writers alternate between the instances.
                    uris = writeConcurrently(i -> servers.get(i % 2).url(""), RECORDS, WRITERS, access, null, null, null);
                    assertThat(uris).hasSize(RECORDS);
                    long last = a.alteran.sequence().lastSeq();
                    assertThat(last - before).as("one event per commit, gap-free").isEqualTo(RECORDS);
                    var seenA = receiveUntil(fhA, last);
                    var seenB = receiveUntil(fhB, last);
                    assertThat(seenA).as("A's subscriber: every commit in seq order, no gap").isEqualTo(range(before + 1, last));
                    assertThat(seenB).as("B's subscriber: the same").isEqualTo(seenA);
                }

                // A blob uploaded on A is read on B (and a record written on B refers to it).
                var png = Ops.png(new Random(7), 3_000);
                var uploaded = a.http.send(HttpRequest.newBuilder(URI.create(a.url("/xrpc/com.atproto.repo.uploadBlob")))
                        .header("authorization", "Bearer " + access).header("content-type", "image/png")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
                var blob = TestServer.json(uploaded).get("blob");
                var cid = blob.at("/ref/$link").asText();
                var withImage = b.post("/xrpc/com.atproto.repo.createRecord", """
                        {"repo":"%s","collection":"app.bsky.feed.post","record":{"$type":"app.bsky.feed.post","text":"a picture",
                        "createdAt":"2024-01-01T00:00:00.000Z","embed":{"$type":"app.bsky.embed.images","images":[{"alt":"x","image":%s}]}}}"""
                        .formatted(did, blob), "authorization", "Bearer " + access);
                assertThat(withImage.statusCode()).as(withImage.body()).isEqualTo(200);
                var read = b.http.send(HttpRequest.newBuilder(URI.create(b.url("/xrpc/com.atproto.sync.getBlob?did=" + q(did) + "&cid=" + cid)))
                        .build(), HttpResponse.BodyHandlers.ofByteArray());
                assertThat(read.statusCode()).isEqualTo(200);
                assertThat(read.body()).isEqualTo(png);

                // getRepo from either instance verifies, with every record.
                for (var server : servers) {
                    var repo = verifiedRepo(server, did);
                    assertThat(repo.records().keySet()).as("getRepo from " + server.url("")).containsAll(uris).hasSize(RECORDS + 1);
                }

                // A refresh token is single-use across instances: a re-use on B within the grace period gets
                // the successor A issued (no fork), and once A ends the session B refuses both tokens.
                var session = AuthClient.login(a);
                var first = session.get("refreshJwt").asText();
                var onA = AuthClient.refresh(a, first);
                assertThat(onA.statusCode()).isEqualTo(200);
                var second = TestServer.json(onA).get("refreshJwt").asText();
                var onB = AuthClient.refresh(b, first);
                assertThat(onB.statusCode()).isEqualTo(200);
                assertThat(AuthClient.claims(TestServer.json(onB).get("refreshJwt").asText()).get("jti"))
                        .isEqualTo(AuthClient.claims(second).get("jti"));
                assertThat(AuthClient.deleteSession(a, second).statusCode()).isEqualTo(200);
                for (var token : List.of(first, second)) {
                    var refused = AuthClient.refresh(b, token);
                    assertThat(refused.statusCode()).isEqualTo(400);
                    assertThat(TestServer.json(refused).get("error").asText()).isEqualTo("ExpiredToken");
                }

                // One instance killed with SIGKILL mid-burst: every acknowledged write is in the repository,
                // the other keeps serving, and verify passes.
                var acknowledged = killMidBurst(a, access);
                var repo = verifiedRepo(b, did);
                assertThat(repo.records().keySet()).containsAll(acknowledged);
                var env = tmp.resolve("a.env");
                Files.writeString(env, Secrets.render(a.settings));
                var verify = Ops.cli("verify", "--env-file", env.toString());
                assertThat(verify.status()).as(verify.toString()).isZero();
                assertThat(verify.out()).contains("0 unreachable blocks");

                // Lockout counts the failures made on both instances (last: it locks the account).
                for (int i = 0; i < dev.alteran.pds.auth.LoginLockout.MAX_FAILURES; i++) {
                    assertThat(AuthClient.createSession(servers.get(i % 2), TestServer.HANDLE, "wrong").statusCode()).isEqualTo(401);
                }
                for (var server : servers) {
                    var locked = AuthClient.createSession(server, TestServer.HANDLE, TestServer.PASSWORD);
                    assertThat(locked.statusCode()).as("locked on " + server.url("")).isEqualTo(429);
                }
            }
        }
    }

    /** B's settings: everything A has (account, keys, secrets, database, bucket) but its own port and data directory. */
    static Map<String, String> shared(TestServer a, Map<String, String> extra) {
        var values = new HashMap<>(a.settings);
        values.remove("PDS_PORT");
        values.remove("PDS_DATA_DIR");
        values.putAll(extra);
        return values;
    }

    /**
     * Creates {@code n} posts from {@code threads} threads, the i-th through the server at {@code base.apply(i)};
     * returns the record paths acknowledged. Only {@code fragile} (an instance that is killed) may fail a
     * write: those failures are counted, its acknowledgements noted in {@code ackedOnFragile}.
     */
    static List<String> writeConcurrently(Function<Integer, String> base, int n, int threads, String access, String fragile,
            AtomicInteger failures, Map<String, Boolean> ackedOnFragile) throws Exception {
        var acked = Collections.synchronizedList(new ArrayList<String>());
        var next = new AtomicInteger();
        var did = didOf(access);
        try (var http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
             var pool = Executors.newFixedThreadPool(threads)) {
            var futures = new ArrayList<Future<?>>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                        var target = base.apply(i);
                        var body = """
                                {"repo":"%s","collection":"app.bsky.feed.post","record":{"$type":"app.bsky.feed.post","text":"post %d","createdAt":"2024-01-01T00:00:00.000Z"}}"""
                                .formatted(did, i);
                        HttpResponse<String> resp;
                        try {
                            resp = http.send(HttpRequest.newBuilder(URI.create(target + "/xrpc/com.atproto.repo.createRecord"))
                                    .timeout(Duration.ofSeconds(30)).header("content-type", "application/json")
                                    .header("authorization", "Bearer " + access)
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                        } catch (IOException e) {
                            if (!target.equals(fragile)) throw e;
                            failures.incrementAndGet(); // cut off by the kill: not acknowledged
                            continue;
                        }
                        if (resp.statusCode() != 200 && target.equals(fragile)) {
                            failures.incrementAndGet();
                            continue;
                        }
                        assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
                        var uri = TestServer.json(resp).get("uri").asText();
                        var path = uri.substring(uri.indexOf("/app.bsky.feed.post/") + 1);
                        acked.add(path);
                        if (target.equals(fragile)) ackedOnFragile.put(path, true);
                    }
                    return null;
                }));
            }
            for (var f : futures) f.get(5, TimeUnit.MINUTES);
        }
        return List.copyOf(acked);
    }

    /** The DID an access token is for. */
    static String didOf(String access) {
        try {
            return AuthClient.claims(access).get("sub").asText();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A third instance, as a process of its own, shares the writes with A until it is killed with
     * SIGKILL part-way; returns the record paths both acknowledged. A stays up and keeps acknowledging.
     */
    List<String> killMidBurst(TestServer a, String access) throws Exception {
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        var values = shared(a, Map.of("PDS_PORT", Integer.toString(port), "PDS_DATA_DIR", Files.createDirectories(tmp.resolve("c")).toString()));
        var env = tmp.resolve("c.env");
        Files.writeString(env, Secrets.render(values));
        var log = tmp.resolve("c.log");
        var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var c = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), AlteranServer.class.getName(),
                "serve", "--env-file", env.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            var cBase = "http://127.0.0.1:" + port;
            TestServer.awaitHealthy(cBase, c, log);
            var ackedOnC = new ConcurrentHashMap<String, Boolean>();
            var failuresOnC = new AtomicInteger();
            var aBase = a.url("");
            // Even writes go to C, odd ones to A; C is killed once it has acknowledged a quarter of its share.
            int n = 400;
            var killer = Executors.newSingleThreadExecutor();
            var killed = killer.submit(() -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (ackedOnC.size() < n / 8) {
                    if (System.nanoTime() > deadline) throw new AssertionError("C acknowledged only " + ackedOnC.size());
                    Thread.onSpinWait();
                }
                c.destroyForcibly(); // SIGKILL
                return c.waitFor(30, TimeUnit.SECONDS);
            });
            var acked = writeConcurrently(i -> i % 2 == 0 ? cBase : aBase, n, WRITERS, access, cBase, failuresOnC, ackedOnC);
            assertThat(killed.get(60, TimeUnit.SECONDS)).isTrue();
            killer.shutdown();
            assertThat(c.isAlive()).isFalse();
            assertThat(failuresOnC.get()).as("some writes to C were cut off").isPositive();
            long onA = acked.stream().filter(k -> !ackedOnC.containsKey(k)).count();
            assertThat(onA).as("A acknowledged all of its share").isEqualTo(n / 2);
            return acked;
        } finally {
            if (c.isAlive()) c.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    static List<Long> range(long from, long to) {
        var out = new ArrayList<Long>();
        for (long s = from; s <= to; s++) out.add(s);
        return out;
    }

    /** The seqs a subscriber receives, up to {@code last}. */
    static List<Long> receiveUntil(FirehoseClient client, long last) throws InterruptedException {
        var seqs = new ArrayList<Long>();
        while (seqs.isEmpty() || seqs.getLast() < last) {
            var m = client.messages.poll(30, TimeUnit.SECONDS);
            assertThat(m).as("an event up to seq " + last + " (got " + (seqs.isEmpty() ? "none" : seqs.getLast()) + ")").isNotNull();
            assertThat(m.isError()).as(String.valueOf(m.body())).isFalse();
            seqs.add(m.seq());
        }
        return seqs;
    }

    static RepoVerifier.VerifiedRepo verifiedRepo(TestServer server, String did) throws Exception {
        var repo = server.http.send(HttpRequest.newBuilder(URI.create(server.url("/xrpc/com.atproto.sync.getRepo?did=" + q(did)))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(repo.statusCode()).isEqualTo(200);
        return RepoVerifier.verifyCar(repo.body(), did, server.config.signingKey().publicKey());
    }

    static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
