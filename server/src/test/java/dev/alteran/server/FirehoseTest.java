package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.car.CarReader;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.repo.Commit;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.ee10.websocket.jakarta.common.JakartaWebSocketSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** subscribeRepos over a real WebSocket: frames, cursor rules, hand-over, client frames, slow consumers. */
class FirehoseTest {
    static TestServer server;
    static Writes writes;
    static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        writes = new Writes(server.alteran);
        http = HttpClient.newHttpClient();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        http.shutdownNow(); // close() would wait for any exchange a failed test left open
    }

    static FirehoseClient subscribe(String query) {
        return FirehoseClient.connect(http, FirehoseClient.url(server, query), true);
    }

    static long lastSeq() {
        return server.alteran.sequence().lastSeq();
    }

    @Test
    void newAccountIsAnnouncedAsTheReferenceDoes() throws Exception {
        try (var client = subscribe("cursor=0")) {
            var first = client.take(4, 10_000);
            assertThat(first).extracting(FirehoseClient.Message::type).containsExactly("#identity", "#account", "#commit", "#sync");
            long start = first.getFirst().seq(); // a new log starts from the clock (docs/sync.md)
            assertThat(start).isBetween(1_700_000_000_000L, System.currentTimeMillis());
            assertThat(first).extracting(FirehoseClient.Message::seq).containsExactly(start, start + 1, start + 2, start + 3);
            var identity = first.get(0).body();
            assertThat(identity).containsEntry("did", server.config.did()).containsEntry("handle", TestServer.HANDLE).containsKey("time");
            assertThat(first.get(1).body()).containsEntry("did", server.config.did()).containsEntry("active", true);
            var commit = first.get(2).body();
            assertThat(commit).containsKeys("seq", "rebase", "tooBig", "repo", "commit", "rev", "since", "blocks", "ops", "blobs", "time");
            assertThat(commit.get("since")).isNull();
            var sync = first.get(3).body();
            assertThat(sync).containsEntry("did", server.config.did()).containsEntry("rev", commit.get("rev"));
            var car = CarReader.readAll((byte[]) sync.get("blocks"));
            assertThat(car.roots()).containsExactly((Cid) commit.get("commit"));
            assertThat(car.blocks()).hasSize(1);
            assertThat(Commit.decode(car.blocks().get(car.root())).rev()).isEqualTo(commit.get("rev"));
        }
    }

    @Test
    void liveOnlyWithoutCursor() throws Exception {
        writes.createPost("before");
        // Handed to the live subscribers (none) before ours attaches: an event committed but not yet
        // dispatched when a live-only subscription attaches still reaches it, which this test does not want.
        var firehose = server.alteran.firehose();
        long deadline = System.currentTimeMillis() + 10_000;
        while (firehose.dispatchedSeq() < lastSeq() && System.currentTimeMillis() < deadline) Thread.sleep(5);
        assertThat(firehose.dispatchedSeq()).isEqualTo(lastSeq());
        try (var client = subscribe(null)) {
            awaitLive(1);
            long before = lastSeq();
            var c1 = writes.createPost("one");
            var c2 = writes.createPost("two");
            var got = client.take(2, 10_000);
            assertThat(got).extracting(FirehoseClient.Message::seq).containsExactly(before + 1, before + 2);
            assertThat(got).extracting(FirehoseClient.Message::type).containsOnly("#commit");
            var body = got.get(1).body();
            assertThat(body).containsEntry("repo", server.config.did()).containsEntry("commit", c2.cid())
                    .containsEntry("rev", c2.rev()).containsEntry("since", c1.rev())
                    .containsEntry("rebase", false).containsEntry("tooBig", false).containsEntry("blobs", List.of());
            @SuppressWarnings("unchecked")
            var ops = (List<Map<String, Object>>) body.get("ops");
            assertThat(ops).hasSize(1);
            assertThat(ops.getFirst()).containsEntry("action", "create").doesNotContainKey("prev");
            assertThat((String) ops.getFirst().get("path")).startsWith(Writes.POST + "/");
            assertThat(body.get("prevData")).isEqualTo(c1.data().commit().data());
            assertThat(client.next(200)).isNull();
        }
    }

    @Test
    void sessionsHaveTheLargerOutputBufferSoQueuedFramesBatch() throws Exception {
        try (var client = subscribe(null)) {
            awaitLive(1);
            // Jetty tracks the session from its own open listener, which may run after our endpoint's onOpen.
            var sessions = server.jetty().openWebSocketSessions();
            long deadline = System.currentTimeMillis() + 10_000;
            while (sessions.size() != 1 && System.currentTimeMillis() < deadline) {
                Thread.sleep(5);
                sessions = server.jetty().openWebSocketSessions();
            }
            assertThat(sessions).hasSize(1);
            for (var s : sessions) {
                assertThat(((JakartaWebSocketSession) s).getCoreSession().getOutputBufferSize())
                        .isEqualTo(JettyServer.WEBSOCKET_OUTPUT_BUFFER);
            }
        }
    }

    /**
     * A subscription without cursor goes live on its own thread just after the upgrade: waits until the
     * server has exactly {@code n} subscriptions (the closed ones of earlier tests gone) and all are live.
     */
    static void awaitLive(int n) throws InterruptedException {
        awaitLive(server, n);
    }

    static void awaitLive(TestServer on, int n) throws InterruptedException {
        var firehose = on.alteran.firehose();
        long deadline = System.currentTimeMillis() + 10_000;
        while (!(firehose.subscriberCount() == n && firehose.liveCount() == n) && System.currentTimeMillis() < deadline) Thread.sleep(5);
        assertThat(firehose.subscriberCount()).isEqualTo(n);
        assertThat(firehose.liveCount()).isEqualTo(n);
    }

    /** Waits until the writer has committed {@code n} more events. */
    static void awaitWrites(int n) throws InterruptedException {
        long target = lastSeq() + n;
        long deadline = System.currentTimeMillis() + 10_000;
        while (lastSeq() < target && System.currentTimeMillis() < deadline) Thread.sleep(1);
        assertThat(lastSeq()).isGreaterThanOrEqualTo(target);
    }

    @Test
    void replayThenLiveWithoutGapOrDuplicateWhileWritesContinue() throws Exception {
        writes.createPosts(50, 1);
        var stopWriting = new AtomicBoolean();
        // Writes go on at full speed through the hand-over: a replay must still end and go live.
        var writer = Thread.ofPlatform().start(() -> {
            while (!stopWriting.get()) writes.createPost("during hand-over");
        });
        var clients = new ArrayList<FirehoseClient>();
        long base = server.alteran.sequence().firstSeq() - 1; // cursors relative to the log's start (it starts from the clock)
        try {
            // Each subscription joins a few writes after the last; all replay, then go live, while writes go on.
            for (int i = 0; i < 5; i++) {
                clients.add(subscribe("cursor=" + (base + i * 10)));
                awaitWrites(3);
            }
            awaitLive(5);
            awaitWrites(20); // after the hand-over too
        } finally {
            stopWriting.set(true);
            writer.join();
        }
        long last = lastSeq();
        try {
            for (int i = 0; i < clients.size(); i++) {
                var client = clients.get(i);
                long from = base + i * 10L;
                var got = client.take((int) (last - from), 20_000);
                for (int k = 0; k < got.size(); k++) assertThat(got.get(k).seq()).as("client " + i).isEqualTo(from + 1 + k);
                assertThat(got).as("client " + i).hasSize((int) (last - from));
                assertThat(client.next(100)).isNull();
            }
        } finally {
            clients.forEach(FirehoseClient::close);
        }
    }

    @Test
    void futureCursorIsAnErrorFrameThenClose() throws Exception {
        try (var client = subscribe("cursor=" + (lastSeq() + 1000))) {
            var m = client.next(10_000);
            assertThat(m.isError()).isTrue();
            assertThat(m.header()).isEqualTo(Map.of("op", -1L));
            assertThat(m.body()).containsEntry("error", "FutureCursor");
            var closed = client.awaitClose(10_000);
            assertThat(closed.code()).isEqualTo(1008);
            assertThat(closed.reason()).isEqualTo("FutureCursor");
        }
    }

    @Test
    void cursorAtTheNewestSeqIsLive() throws Exception {
        long last = lastSeq();
        try (var client = subscribe("cursor=" + last)) {
            assertThat(client.next(300)).isNull();
            writes.createPost("next");
            assertThat(client.next(10_000).seq()).isEqualTo(last + 1);
        }
    }

    @Test
    void malformedCursorIsAnInvalidRequestErrorFrame() throws Exception {
        for (var bad : List.of("abc", "1.5", "12abc", "99999999999999999999999")) {
            try (var client = subscribe("cursor=" + bad)) {
                var m = client.next(10_000);
                assertThat(m.isError()).as(bad).isTrue();
                assertThat(m.body()).containsEntry("error", "InvalidRequest");
                assertThat(client.awaitClose(10_000).code()).isEqualTo(1008);
            }
        }
    }

    @Test
    void negativeCursorReplaysFromTheOldestAsTheReferenceDoes() throws Exception {
        try (var client = subscribe("cursor=-5")) {
            assertThat(client.next(10_000).seq()).isEqualTo(server.alteran.sequence().firstSeq());
        }
    }

    @Test
    void clientFramesAreIgnored() throws Exception {
        try (var client = subscribe(null)) {
            awaitLive(1);
            client.socket().sendText("hello server", true).join();
            client.socket().sendBinary(ByteBuffer.wrap(new byte[100_000]), true).join();
            client.socket().sendText("x".repeat(200_000), true).join();
            long before = lastSeq();
            writes.createPost("after client frames");
            assertThat(client.next(10_000).seq()).isEqualTo(before + 1);
            assertThat(client.closed).isNotDone();
        }
    }

    @Test
    void plainGetWithoutUpgradeIs426() throws Exception {
        var r = server.get("/xrpc/com.atproto.sync.subscribeRepos");
        assertThat(r.statusCode()).isEqualTo(426);
        assertThat(TestServer.json(r).path("error").asText()).isEqualTo("InvalidRequest");
    }

    @Test
    void handleChangeIsAnIdentityEvent() throws Exception {
        try (var client = subscribe(null)) {
            awaitLive(1);
            server.alteran.identity().updateHandle("bob.test");
            var m = client.next(10_000);
            assertThat(m.type()).isEqualTo("#identity");
            assertThat(m.body()).containsEntry("did", server.config.did()).containsEntry("handle", "bob.test");
            assertThat(m.seq()).isEqualTo(lastSeq());
        } finally {
            server.alteran.identity().updateHandle(TestServer.HANDLE);
        }
    }

    @Test
    void cursorOlderThanRetentionGetsOutdatedCursorThenTheOldestKept() throws Exception {
        try (var small = TestServer.start(Map.of("PDS_SEQ_RETENTION", "150"))) {
            new Writes(small.alteran).createPosts(300, 1);
            var log = small.alteran.sequence();
            long first = log.firstSeq(), last = log.lastSeq();
            assertThat(first).isGreaterThan(100);
            assertThat(last - first + 1).isBetween(150L, 250L);
            try (var client = FirehoseClient.connect(http, FirehoseClient.url(small, "cursor=10"), true)) {
                var info = client.next(10_000);
                assertThat(info.header()).isEqualTo(Map.of("op", 1L, "t", "#info"));
                assertThat(info.body()).containsEntry("name", "OutdatedCursor");
                var rest = client.take((int) (last - first + 1), 20_000);
                assertThat(rest.getFirst().seq()).isEqualTo(first);
                assertThat(rest.getLast().seq()).isEqualTo(last);
            }
            // A cursor just before the oldest kept event misses nothing; 0 means "from the oldest", without info.
            for (var cursor : List.of(first - 1, 0L)) {
                try (var client = FirehoseClient.connect(http, FirehoseClient.url(small, "cursor=" + cursor), true)) {
                    assertThat(client.next(10_000).seq()).isEqualTo(first);
                }
            }
        }
    }

    @Test
    void slowConsumerIsCutOffWithoutSlowingWritersOrOthers() throws Exception {
        try (var small = TestServer.start(Map.of("PDS_FIREHOSE_BUFFER", "100"))) {
            var w = new Writes(small.alteran);
            try (var slow = FirehoseClient.connect(http, FirehoseClient.url(small, null), false);
                 var fast = FirehoseClient.connect(http, FirehoseClient.url(small, null), true)) {
                awaitLive(small, 2); // both see every write from the first
                long before = small.alteran.sequence().lastSeq();
                // Write 20 KB events until the stalled subscriber has filled its socket buffers and its queue.
                int n = 0;
                long t0 = System.nanoTime();
                while (small.alteran.firehose().cutOffCount() == 0 && n < 3000) {
                    w.createFiller(20_000);
                    n++;
                }
                for (int i = 0; i < 20; i++, n++) w.createFiller(20_000); // and a few more after the cut
                long writeMs = (System.nanoTime() - t0) / 1_000_000;
                var got = fast.take(n, 30_000);
                for (int i = 0; i < n; i++) assertThat(got.get(i).seq()).isEqualTo(before + 1 + i);
                // The stalled one was cut off: once it reads, it finds some events, then the error, then the close.
                slow.request(Long.MAX_VALUE);
                var closed = slow.awaitClose(20_000);
                assertThat(closed.code()).as(closed.toString()).isEqualTo(1008);
                assertThat(closed.reason()).isEqualTo("ConsumerTooSlow");
                var received = new ArrayList<FirehoseClient.Message>(slow.messages);
                assertThat(received).as("events before the error frame").hasSizeGreaterThan(1);
                var error = received.getLast();
                assertThat(error.isError()).isTrue();
                assertThat(error.body()).containsEntry("error", "ConsumerTooSlow");
                assertThat(received.size() - 1).isLessThan(n);
                for (int i = 0; i < received.size() - 1; i++) assertThat(received.get(i).seq()).isEqualTo(before + 1 + i);
                assertThat(small.alteran.firehose().cutOffCount()).isEqualTo(1);
                System.out.printf("slow consumer: %d writes in %d ms; the slow one got %d events before the cut%n",
                        n, writeMs, received.size() - 1);
            }
        }
    }

    @Test
    void consumerThatNeverReadsIsDisconnected() throws Exception {
        try (var small = TestServer.start(Map.of("PDS_FIREHOSE_BUFFER", "5"))) {
            var w = new Writes(small.alteran);
            try (var stalled = FirehoseClient.connect(http, FirehoseClient.url(small, null), false)) {
                awaitLive(small, 1); // the writes below are meant for it
                for (int i = 0; i < 3000 && small.alteran.firehose().cutOffCount() == 0; i++) w.createFiller(40_000);
                // It never reads: the error frame cannot reach it, so the server drops the connection.
                long deadline = System.currentTimeMillis() + 20_000;
                while (small.alteran.firehose().subscriberCount() > 0 && System.currentTimeMillis() < deadline) Thread.sleep(50);
                assertThat(small.alteran.firehose().subscriberCount()).isZero();
                assertThat(small.alteran.firehose().cutOffCount()).isEqualTo(1);
            }
        }
    }

    @Test
    void rawStalledSocketUpgrades() throws Exception {
        try (var socket = FirehoseClient.stalled(server, null)) {
            assertThat(socket.isConnected()).isTrue();
        }
    }
}
