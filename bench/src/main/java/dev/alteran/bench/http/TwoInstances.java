package dev.alteran.bench.http;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Two Alteran instances on one PostgreSQL database serving one account ({@code --two-instances}): the
 * second starts beside the first with its secrets and DID (what MultiInstanceTest shares), and the load
 * is spread over both, client i on instance i mod 2. Rows: the aggregate createRecord and getRecord
 * throughput, and firehose delivery on the second instance while writers commit through both (half the
 * events reach it from the other instance, through the database's notification).
 */
final class TwoInstances {
    static final String B = "alteran-pg-b";
    private static final String POST = "app.bsky.feed.post";

    private final Options opt;
    private final Report report;
    private final Server a;
    private final Server b;
    private final Xrpc xrpc;
    private final List<String> rkeys = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong counter = new AtomicLong();

    private TwoInstances(Options opt, Report report, Server a, Server b) throws Exception {
        this.opt = opt;
        this.report = report;
        this.a = a;
        this.b = b;
        this.xrpc = new Xrpc(a.url);
        xrpc.login(a.handle, a.password); // the session is in the database: its token works on both
    }

    /**
     * Starts the second instance next to {@code a} (the first, on {@code pg}), measures, adds the rows
     * under {@code column}, stops it. {@code reference} gives the reference PDS's figure for a measure of the
     * one-instance table (null without it), so the rows carry a ratio too.
     */
    static void run(Options opt, Report report, PostgresBench pg, Server a, Path work, String column,
                    java.util.function.Function<String, Double> reference) throws Exception {
        var dataA = a.logDir.resolve("data");
        var dir = Files.createDirectories(work.resolve(B));
        var dataB = Files.createDirectories(dir.resolve("data"));
        Files.copy(dataA.resolve("dev.env"), dataB.resolve("dev.env")); // the same account, keys and secrets
        Files.createDirectories(dataA.resolve("blobs"));
        Files.createSymbolicLink(dataB.resolve("blobs"), dataA.resolve("blobs")); // one blob directory for both
        var env = Map.of("PDS_DID", a.did, "PDS_HOSTNAME", a.url.replaceFirst("^http://127\\.0\\.0\\.1", "localhost").replaceFirst("^https?://", ""));
        try (var b = pg.startAlteran(opt, work, B, env)) {
            b.companionCpu = a::cpuSeconds; // both instances' CPU (and the database's, counted with the first)
            LoadRun.log("second instance on the same database up in %.0f ms at %s", b.coldStartMs, b.url);
            new TwoInstances(opt, report, a, b).measure(column, reference);
        }
    }

    private void measure(String column, java.util.function.Function<String, Double> reference) throws Exception {
        var servers = List.of(a, b);
        boolean create = opt.scenarios().contains("create");
        if (create) {
            var conns = connections(8);
            var r = ClosedLoop.run(8, opt.warmup(), opt.measure(), opt.maxRequests(), b::cpuSeconds, c -> createPost(conns[c]));
            closeAll(conns);
            log("createRecord", r);
            row("Two instances on one PostgreSQL database: createRecord, 8 clients over both (req/s)", column, r.perSecond(),
                    reference.apply("createRecord throughput"));
        }
        if (opt.scenarios().contains("get")) {
            try (var conn = new RawHttp(a.url)) {
                while (rkeys.size() < 1000) createPost(conn);
            }
            var conns = connections(16);
            var r = ClosedLoop.run(16, opt.warmup(), opt.measure(), opt.maxRequests(), b::cpuSeconds, c -> getRecord(servers.get(c % 2), conns[c]));
            closeAll(conns);
            log("getRecord", r);
            row("Two instances on one PostgreSQL database: getRecord, 16 clients over both (req/s)", column, r.perSecond(),
                    reference.apply("getRecord throughput"));
        }
        if (opt.scenarios().contains("firehose")) {
            int writers = opt.firehoseWriters();
            var conns = connections(writers);
            var r = FirehoseLoad.run(b.url, opt.subscribers(), opt.jdkWebSocket(), writers, opt.warmup(), opt.measure(), opt.maxRequests(), b::cpuSeconds,
                    c -> createPost(conns[c]));
            LoadRun.log("two instances firehose: %d writes in %.1f s, delivered on the second %d of %d (%.0f events/s), p99 %.1f ms",
                    r.writes(), r.writeSeconds(), r.delivered(), r.expected(), r.eventsPerSecond(), r.latency().percentileMs(0.99));
            row("Two instances: commits written through both during the firehose burst (writes/s)", column, r.writes() / r.writeSeconds(), null);
            row("Two instances: events delivered by the second to " + opt.subscribers() + " subscribers (events/s)", column, r.eventsPerSecond(), null);
            var pct = new LinkedHashMap<String, Double>();
            pct.put(column, 100.0 * r.delivered() / r.expected());
            report.row("Two instances: events delivered / expected (%)", pct, Report.Better.NONE, "100 %", null);
            var p99 = new LinkedHashMap<String, Double>();
            p99.put(column, r.latency().percentileMs(0.99));
            report.row("Two instances: p99 commit-to-delivery latency on the second (ms)", p99, Report.Better.LOWER, "", null);
            // Full speed saturates both cores; issue 18's "within 100 ms" is for a load the machine carries:
            // the same burst with the writers paced to the rate the reference PDS reached in this run.
            var rate = reference.apply("Firehose: commits written during the burst");
            if (rate != null) {
                var paced = FirehoseLoad.run(b.url, opt.subscribers(), opt.jdkWebSocket(), writers, opt.warmup(), opt.measure(), opt.maxRequests(), b::cpuSeconds,
                        LoadRun.paced(c -> createPost(conns[c]), writers, rate));
                double p99Paced = paced.latency().percentileMs(0.99);
                LoadRun.log("two instances firehose at %.0f writes/s: delivered on the second %d of %d, p99 %.1f ms",
                        rate, paced.delivered(), paced.expected(), p99Paced);
                var same = new LinkedHashMap<String, Double>();
                same.put(column, p99Paced);
                report.row(String.format(java.util.Locale.ROOT, "Two instances: p99 commit-to-delivery latency on the second at the reference's write rate, %.0f writes/s (ms)", rate),
                        same, Report.Better.LOWER, "< 100 ms", p99Paced < 100 && paced.delivered() == paced.expected());
            }
            closeAll(conns);
        }
    }

    private void row(String measure, String column, double value, Double reference) {
        var values = new LinkedHashMap<String, Double>();
        values.put(column, value);
        if (reference != null) values.put("reference", reference);
        report.row(measure, values, Report.Better.HIGHER, "", null);
    }

    /** Client i's connection goes to instance i mod 2. */
    private RawHttp[] connections(int n) {
        var conns = new RawHttp[n];
        for (int i = 0; i < n; i++) conns[i] = new RawHttp((i % 2 == 0 ? a : b).url);
        return conns;
    }

    private static void closeAll(RawHttp[] conns) {
        for (var c : conns) c.close();
    }

    private void createPost(RawHttp conn) throws Exception {
        var rec = new LinkedHashMap<String, Object>();
        rec.put("$type", POST);
        rec.put("text", "benchmark post " + counter.incrementAndGet() + " through one of two instances");
        rec.put("createdAt", Instant.now().toString());
        var body = Xrpc.JSON.writeValueAsBytes(Map.of("repo", a.did, "collection", POST, "record", rec));
        var resp = conn.post("/xrpc/com.atproto.repo.createRecord", body, xrpc.accessJwt());
        if (resp.status() != 200) throw new IllegalStateException("createRecord -> " + resp.status() + " " + resp.text());
        var uri = Xrpc.JSON.readTree(resp.body()).get("uri").asText();
        rkeys.add(uri.substring(uri.lastIndexOf('/') + 1));
    }

    private void getRecord(Server s, RawHttp conn) throws Exception {
        var rkey = rkeys.get(ThreadLocalRandom.current().nextInt(rkeys.size()));
        var resp = conn.get("/xrpc/com.atproto.repo.getRecord?repo=" + java.net.URLEncoder.encode(s.did, java.nio.charset.StandardCharsets.UTF_8)
                + "&collection=" + POST + "&rkey=" + rkey);
        if (resp.status() != 200 || !resp.text().contains("\"value\":{")) throw new IllegalStateException(resp.status() + " " + resp.text());
    }

    private static void log(String what, ClosedLoop.Result r) {
        LoadRun.log("two instances %s: %d ok, %d errors in %.1f s = %.0f/s, p99 %.2f ms, CPU per request (both instances and PostgreSQL) %.0f us%s",
                what, r.ok(), r.errors(), r.seconds(), r.perSecond(), r.latencies().percentileMs(0.99), r.serverCpuMicros(),
                r.firstError() == null ? "" : " (first error: " + r.firstError() + ")");
    }
}
