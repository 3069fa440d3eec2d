package dev.alteran.bench.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The side-by-side HTTP benchmark: starts Alteran (the packaged jar) and the reference PDS on loopback,
 * drives each with the same load, one at a time, and prints both figures and their ratios.
 * Run it through {@code bench/run-http.sh}; see BENCHMARKS.md.
 */
public final class LoadRun {
    private static final String POST = "app.bsky.feed.post";

    /** One system under test and what the run learned about it. */
    private static final class Target {
        final Server server;
        final Xrpc xrpc;
        final List<String> rkeys = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicLong records = new AtomicLong();
        final AtomicLong counter = new AtomicLong();

        Target(Server server) {
            this.server = server;
            this.xrpc = new Xrpc(server.url);
        }

        String name() {
            return server.name;
        }
    }

    private final Options opt;
    private final Report report = new Report();

    private LoadRun(Options opt) {
        this.opt = opt;
    }

    public static void main(String[] args) throws Exception {
        var opt = Options.parse(args);
        new LoadRun(opt).run();
    }

    private void run() throws Exception {
        var work = Files.createTempDirectory("alteran-http-bench-");
        log("work directory %s; %s", work, opt);
        report.meta("date", Instant.now().toString());
        report.meta("machine", Machine.describe());
        report.meta("load before", Machine.loadAverage());
        var targets = new ArrayList<Target>();
        try {
            // cold start and idle memory, one after the other on a quiet machine
            var a = new Target(Server.startAlteran(opt.jar(), opt.jvmFlags(), Files.createDirectories(work.resolve("alteran"))));
            targets.add(a);
            log("alteran up in %.0f ms at %s", a.server.coldStartMs, a.server.url);
            Thread.sleep(opt.idleWait().toMillis());
            var aIdle = a.server.rssMb();
            Target r = null;
            double rIdle = Double.NaN;
            if (opt.reference()) {
                r = new Target(Server.startReference(opt.refScript(), Files.createDirectories(work.resolve("reference"))));
                targets.add(r);
                log("reference up in %.0f ms at %s", r.server.coldStartMs, r.server.url);
                Thread.sleep(opt.idleWait().toMillis());
                rIdle = r.server.rssMb();
            }
            report.row("Cold start to first 200 on health (ms)", a.server.coldStartMs, r == null ? Double.NaN : r.server.coldStartMs,
                    Report.Better.LOWER, "< 1500 ms", a.server.coldStartMs < 1500);
            report.row("Idle RSS after start (MB)", aIdle, rIdle, Report.Better.LOWER, "< 200 MB", aIdle < 200);

            for (var t : targets) t.xrpc.login(t.server.handle, t.server.password);

            // createRecord, 8 clients
            var create = new LinkedHashMap<String, ClosedLoop.Result>();
            for (var t : alternate(targets, 0)) {
                var res = ClosedLoop.run(8, opt.warmup(), opt.measure(), opt.maxRequests(), c -> createPost(t));
                create.put(t.name(), res);
                log("%s createRecord: %s", t.name(), describe(res));
            }
            report.row("createRecord throughput, 8 clients (req/s)", perSecond(create, "alteran"), perSecond(create, "reference"),
                    Report.Better.HIGHER, ">= 15x", null);
            report.row("createRecord p99 latency, 8 clients (ms)", p99(create, "alteran"), p99(create, "reference"),
                    Report.Better.LOWER, "", null);

            // getRecord and listRecords, 16 clients
            var get = new LinkedHashMap<String, ClosedLoop.Result>();
            for (var t : alternate(targets, 1)) {
                var res = ClosedLoop.run(16, opt.warmup(), opt.measure(), opt.maxRequests(), c -> getRecord(t));
                get.put(t.name(), res);
                log("%s getRecord: %s", t.name(), describe(res));
            }
            report.row("getRecord throughput, 16 clients (req/s)", perSecond(get, "alteran"), perSecond(get, "reference"),
                    Report.Better.HIGHER, ">= 20x", null);
            var list = new LinkedHashMap<String, ClosedLoop.Result>();
            for (var t : alternate(targets, 0)) {
                var res = ClosedLoop.run(16, opt.warmup(), opt.measure(), opt.maxRequests(), c -> listRecords(t));
                list.put(t.name(), res);
                log("%s listRecords: %s", t.name(), describe(res));
            }
            report.row("listRecords throughput (limit 50), 16 clients (req/s)", perSecond(list, "alteran"), perSecond(list, "reference"),
                    Report.Better.HIGHER, ">= 20x", null);

            // firehose: 200 subscribers while 8 writers create records at full speed
            var fire = new LinkedHashMap<String, FirehoseLoad.Result>();
            for (var t : alternate(targets, 1)) {
                var res = FirehoseLoad.run(t.server.url, opt.subscribers(), 8, opt.measure(), opt.maxRequests(), c -> createPost(t));
                fire.put(t.name(), res);
                log("%s firehose: %d writes in %.1f s, delivered %d of %d in %.1f s (%.0f events/s), p50 %.1f ms p99 %.1f ms, %d closed early",
                        t.name(), res.writes(), res.writeSeconds(), res.delivered(), res.expected(), res.deliverySeconds(),
                        res.eventsPerSecond(), res.latency().percentileMs(0.5), res.latency().percentileMs(0.99), res.closedEarly());
            }
            report.row("Firehose: commits written during the burst (writes/s)", fire.get("alteran").writes() / fire.get("alteran").writeSeconds(),
                    fireValue(fire, f -> f.writes() / f.writeSeconds()), Report.Better.HIGHER, "", null);
            report.row("Firehose: events delivered to " + opt.subscribers() + " subscribers (events/s)", fire.get("alteran").eventsPerSecond(),
                    fireValue(fire, FirehoseLoad.Result::eventsPerSecond), Report.Better.HIGHER, "", null);
            report.row("Firehose: events delivered / expected (%)", 100.0 * fire.get("alteran").delivered() / fire.get("alteran").expected(),
                    fireValue(fire, f -> 100.0 * f.delivered() / f.expected()), Report.Better.HIGHER, "100 %", null);
            var fireP99 = fire.get("alteran").latency().percentileMs(0.99);
            report.row("Firehose: p99 commit-to-delivery latency (ms)", fireP99,
                    fireValue(fire, f -> f.latency().percentileMs(0.99)), Report.Better.LOWER, "< 50 ms", fireP99 < 50);

            // getRepo of a large repository: fill the slow one first within a time budget, the other to the same size
            var byFillSpeed = new ArrayList<>(targets);
            java.util.Collections.reverse(byFillSpeed); // reference (if present) first
            long size = opt.repoRecords();
            var fillRate = new LinkedHashMap<String, Double>();
            for (var t : byFillSpeed) {
                var res = fill(t, size, opt.fillBudget());
                fillRate.put(t.name(), res);
                size = t.records.get();
                log("%s holds %d records", t.name(), size);
            }
            report.row("Fill by applyWrites of 200 creates (records/s)", fillRate.get("alteran"),
                    fillRate.getOrDefault("reference", Double.NaN), Report.Better.HIGHER, "", null);
            var repoTime = new LinkedHashMap<String, Double>();
            var repoPeak = new LinkedHashMap<String, Double>();
            var repoBase = new LinkedHashMap<String, Double>();
            var repoBytes = new LinkedHashMap<String, Long>();
            for (int round = 0; round < 2; round++) {
                for (var t : alternate(targets, round)) {
                    var base = t.server.rssMb();
                    long t0 = System.nanoTime();
                    long bytes;
                    double peak;
                    try (var sampler = t.server.new RssPeak()) {
                        bytes = t.xrpc.drain(t.xrpc.getRequest("com.atproto.sync.getRepo", Map.of("did", t.server.did)));
                        sampler.close();
                        peak = sampler.peakMb();
                    }
                    double secs = (System.nanoTime() - t0) / 1e9;
                    log("%s getRepo: %d bytes in %.2f s, RSS %.0f -> peak %.0f MB", t.name(), bytes, secs, base, peak);
                    repoTime.merge(t.name(), secs, Math::min);
                    repoPeak.merge(t.name(), peak, Math::max);
                    repoBase.putIfAbsent(t.name(), base);
                    repoBytes.put(t.name(), bytes);
                }
            }
            long records = targets.getFirst().records.get();
            report.row("getRepo of " + records + " records, best of 2 (s)", repoTime.get("alteran"),
                    repoTime.getOrDefault("reference", Double.NaN), Report.Better.LOWER, ">= 5x", null);
            report.row("getRepo: CAR size (MB)", repoBytes.get("alteran") / 1e6,
                    repoBytes.containsKey("reference") ? repoBytes.get("reference") / 1e6 : Double.NaN, Report.Better.NONE, "", null);
            report.row("getRepo: RSS before (MB)", repoBase.get("alteran"), repoBase.getOrDefault("reference", Double.NaN),
                    Report.Better.LOWER, "", null);
            report.row("getRepo: peak RSS during (MB)", repoPeak.get("alteran"), repoPeak.getOrDefault("reference", Double.NaN),
                    Report.Better.LOWER, "bounded", null);

            Thread.sleep(opt.idleWait().toMillis());
            report.row("RSS after the run, idle (MB)", a.server.rssMb(), r == null ? Double.NaN : r.server.rssMb(),
                    Report.Better.LOWER, "", null);
            report.meta("load after", Machine.loadAverage());
            report.meta("records", Long.toString(records));
        } finally {
            for (var t : targets) t.server.close();
        }
        var table = report.render();
        System.out.println(table);
        if (opt.out() != null) {
            Files.writeString(opt.out(), table);
            log("written to %s", opt.out());
        }
    }

    private static double fireValue(Map<String, FirehoseLoad.Result> fire, java.util.function.ToDoubleFunction<FirehoseLoad.Result> f) {
        var r = fire.get("reference");
        return r == null ? Double.NaN : f.applyAsDouble(r);
    }

    private static double perSecond(Map<String, ClosedLoop.Result> m, String name) {
        var r = m.get(name);
        return r == null ? Double.NaN : r.perSecond();
    }

    private static double p99(Map<String, ClosedLoop.Result> m, String name) {
        var r = m.get(name);
        return r == null ? Double.NaN : r.latencies().percentileMs(0.99);
    }

    private static List<Target> alternate(List<Target> targets, int round) {
        var copy = new ArrayList<>(targets);
        if (round % 2 == 1) java.util.Collections.reverse(copy);
        return copy;
    }

    private static String describe(ClosedLoop.Result r) {
        return String.format(Locale.ROOT, "%d ok, %d errors in %.1f s = %.0f/s, p50 %.2f ms, p99 %.2f ms%s", r.ok(), r.errors(),
                r.seconds(), r.perSecond(), r.latencies().percentileMs(0.5), r.latencies().percentileMs(0.99),
                r.firstError() == null ? "" : " (first error: " + r.firstError() + ")");
    }

    private static Map<String, Object> post(Target t) {
        var rec = new LinkedHashMap<String, Object>();
        rec.put("$type", POST);
        rec.put("text", "benchmark post " + t.counter.incrementAndGet() + " from the side-by-side load run");
        rec.put("createdAt", Instant.now().toString());
        return rec;
    }

    private static void createPost(Target t) throws Exception {
        var out = t.xrpc.post("com.atproto.repo.createRecord", Map.of("repo", t.server.did, "collection", POST, "record", post(t)));
        var uri = out.get("uri").asText();
        t.rkeys.add(uri.substring(uri.lastIndexOf('/') + 1));
        t.records.incrementAndGet();
    }

    private static String randomRkey(Target t) {
        return t.rkeys.get(ThreadLocalRandom.current().nextInt(t.rkeys.size()));
    }

    private static void getRecord(Target t) throws Exception {
        JsonNode out = t.xrpc.get("com.atproto.repo.getRecord", Map.of("repo", t.server.did, "collection", POST, "rkey", randomRkey(t)));
        if (!out.has("value")) throw new IllegalStateException("no value: " + out);
    }

    private static void listRecords(Target t) throws Exception {
        JsonNode out = t.xrpc.get("com.atproto.repo.listRecords",
                Map.of("repo", t.server.did, "collection", POST, "limit", "50", "cursor", randomRkey(t)));
        if (!out.has("records")) throw new IllegalStateException("no records: " + out);
    }

    /** Fills {@code t} up to {@code size} records with applyWrites of 200 creates, within {@code budget}; returns records/s. */
    private double fill(Target t, long size, Duration budget) throws Exception {
        long deadline = System.nanoTime() + budget.toNanos();
        long start = System.nanoTime();
        long added = 0;
        long nextLog = start + 30_000_000_000L;
        while (t.records.get() < size && System.nanoTime() < deadline) {
            int n = (int) Math.min(200, size - t.records.get());
            var writes = new ArrayList<Map<String, Object>>(n);
            for (int i = 0; i < n; i++) {
                writes.add(Map.of("$type", "com.atproto.repo.applyWrites#create", "collection", POST, "value", post(t)));
            }
            t.xrpc.post("com.atproto.repo.applyWrites", Map.of("repo", t.server.did, "writes", writes));
            t.records.addAndGet(n);
            added += n;
            if (System.nanoTime() > nextLog) {
                log("%s fill: %d records (%.0f/s)", t.name(), t.records.get(), added / ((System.nanoTime() - start) / 1e9));
                nextLog += 30_000_000_000L;
            }
        }
        double rate = added / ((System.nanoTime() - start) / 1e9);
        log("%s fill: %d records added at %.0f records/s", t.name(), added, rate);
        return rate;
    }

    static void log(String fmt, Object... args) {
        System.err.printf(Locale.ROOT, "[%tT] " + fmt + "%n", prepend(new java.util.Date(), args));
    }

    private static Object[] prepend(Object first, Object[] rest) {
        var all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
