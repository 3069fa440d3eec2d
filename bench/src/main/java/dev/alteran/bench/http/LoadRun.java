package dev.alteran.bench.http;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * The side-by-side HTTP benchmark: starts Alteran (the packaged jar) and the reference PDS on loopback,
 * drives each with the same load, one at a time (the order alternates between scenarios), and prints
 * both figures and their ratios. Run it through {@code bench/run-http.sh}; see BENCHMARKS.md.
 */
public final class LoadRun {
    private static final String POST = "app.bsky.feed.post";
    static final String ALTERAN = "alteran";
    private static final String REFERENCE = "reference";

    /** One system under test and what the run learned about it. */
    static final class Target {
        final Server server;
        final Xrpc xrpc;
        final List<String> rkeys = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong records = new AtomicLong();
        final AtomicLong counter = new AtomicLong();

        Target(Server server) {
            this.server = server;
            this.xrpc = new Xrpc(server.url);
        }

        String name() {
            return server.name;
        }

        /** One kept-alive connection per client of a load phase. */
        RawHttp[] connections(int n) {
            var conns = new RawHttp[n];
            for (int i = 0; i < n; i++) conns[i] = new RawHttp(server.url);
            return conns;
        }
    }

    private static void closeAll(RawHttp[] conns) {
        for (var c : conns) c.close();
    }

    private final Options opt;
    private final Report report = new Report();
    private final List<Target> targets = new ArrayList<>();
    private PostgresBench pg; // --postgres

    private LoadRun(Options opt) {
        this.opt = opt;
    }

    public static void main(String[] args) throws Exception {
        new LoadRun(Options.parse(args)).run();
    }

    private void run() throws Exception {
        var work = opt.work() != null ? Files.createDirectories(opt.work()) : Files.createTempDirectory("alteran-http-bench-");
        log("work directory %s; %s", work, opt);
        report.meta("date", Instant.now().toString());
        report.meta("machine", Machine.describe());
        report.meta("load average before", Machine.loadAverage());
        try {
            if (opt.cores().contains(2)) {
                startBoth(work);
                scenarios(work, true);
                Thread.sleep(opt.idleWait().toMillis());
                report.row("RSS after the run, idle (MB)", value(t -> t.server.rssMb()), Report.Better.LOWER, "", null);
            }
            if (opt.cores().contains(1)) oneCore(work);
            report.meta("load average after", Machine.loadAverage());
            if (pg != null) PostgresBench.noteTargets(report);
        } finally {
            for (var t : targets) t.server.close();
            if (pg != null) pg.close();
            if (opt.work() == null) deleteTree(work); // a directory of our own; with --work the caller keeps it
        }
        var table = report.render();
        System.out.println(table);
        if (opt.out() != null) {
            Files.writeString(opt.out(), table);
            log("written to %s", opt.out());
        }
    }

    private void scenarios(java.nio.file.Path work, boolean repo) throws Exception {
        for (var t : targets) t.xrpc.login(t.server.handle, t.server.password);
        var rss = targets.stream().map(t -> t.server.new RssPeak()).toList();
        if (selected("create")) createRecords();
        if (selected("get") || selected("list")) {
            for (var t : targets) seed(t);
        }
        if (selected("get")) getRecords();
        for (var r : rss) r.close();
        if (repo) { // the two-core pass
            report.row("Peak RSS through the createRecord and getRecord runs (MB)", value(t -> rss.get(targets.indexOf(t)).peakMb()), Report.Better.LOWER,
                    "< 200 MB", rss.getFirst().peakMb() < 200);
            if (selected("variants")) Variants.run(opt, work, report);
        }
        if (selected("list")) listRecords();
        if (selected("firehose")) firehose();
        if (repo && opt.twoInstances()) TwoInstances.run(opt, report, pg, target(PostgresBench.NAME), work, PostgresBench.NAME, m -> report.value(m, REFERENCE));
        if (repo && selected("repo")) getRepo();
        if (repo && selected("import")) ImportLoad.run(opt, work, target(REFERENCE), report);
    }

    /**
     * The scenarios again (getRepo aside) in a table of their own, with both servers started afresh on
     * CPU 0 and this load generator on CPU 1: the servers' own cost, and the firehose's fan-out apart
     * from its readers ({@link OneCore}).
     */
    private void oneCore(java.nio.file.Path work) throws Exception {
        for (var t : targets) t.server.close();
        targets.clear();
        report.section(OneCore.TITLE, "two cores", "one core");
        try (var pinned = OneCore.pinSelf()) {
            targets.add(new Target(OneCore.startAlteran(opt, work)));
            if (opt.reference()) targets.add(new Target(OneCore.startReference(opt, work)));
            scenarios(work, false);
        }
    }

    /** The server of the system named {@code name} in this pass, or null. */
    private Server target(String name) {
        return targets.stream().filter(t -> t.name().equals(name)).map(t -> t.server).findFirst().orElse(null);
    }

    static void deleteTree(java.nio.file.Path dir) throws java.io.IOException {
        try (var paths = Files.walk(dir)) {
            for (var p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * Cold start and idle memory, one after the other, each while nothing else is loading the machine.
     * Alteran starts as the launcher starts it, first over a new data directory, then again over the same
     * data, as a server restarts ({@link ColdStart}); the restart is the cold start compared. The reference
     * PDS starts once, always new: its script creates a fresh network and account every time.
     */
    private void startBoth(java.nio.file.Path work) throws Exception {
        var logs = Files.createDirectories(work.resolve(ALTERAN));
        var starts = ColdStart.run(opt, logs.resolve("data"), Server.freePort(), logs);
        double firstStart = starts.firstStartMs();
        var a = new Target(starts.server());
        targets.add(a);
        Thread.sleep(opt.idleWait().toMillis());
        var idle = new LinkedHashMap<String, Double>();
        idle.put(ALTERAN, a.server.rssMb());
        if (opt.postgres()) {
            pg = PostgresBench.start(work);
            targets.add(new Target(pg.startFirst(opt, work, report)));
            log("alteran on PostgreSQL up (a first start) in %.0f ms", targets.getLast().server.coldStartMs);
            Thread.sleep(opt.idleWait().toMillis());
            idle.put(PostgresBench.NAME, targets.getLast().server.rssMb());
        }
        if (opt.reference()) {
            var r = new Target(Server.startReference(opt.refScript(), Files.createDirectories(work.resolve(REFERENCE))));
            targets.add(r);
            log("reference up in %.0f ms at %s", r.server.coldStartMs, r.server.url);
            Thread.sleep(opt.idleWait().toMillis());
            idle.put(REFERENCE, r.server.rssMb());
        }
        var cold = value(t -> t.server.coldStartMs);
        report.row("Cold start to first 200 on health (ms): Alteran restart (JDK " + Runtime.version().feature() + "), reference new", cold,
                Report.Better.LOWER, "< 300 ms", cold.get(ALTERAN) < 300);
        var first = new LinkedHashMap<>(cold);
        first.put(ALTERAN, firstStart);
        report.row("First start over a new data directory (ms)", first, Report.Better.LOWER, "", null);
        report.row("First stop, the JVM writing the start-up cache (ms)", Map.of(ALTERAN, starts.firstStopMs()), Report.Better.NONE, "", null);
        report.row("Restart on JDK 21 (ms)" + (starts.jdk21() == null ? ", no JDK 21-24 found" : ""), Map.of(ALTERAN, starts.jdk21RestartMs()),
                Report.Better.NONE, "< 800 ms", Double.isNaN(starts.jdk21RestartMs()) ? null : starts.jdk21RestartMs() < 800);
        report.row("Idle RSS after start (MB)", idle, Report.Better.LOWER, "< 100 MB", idle.get(ALTERAN) < 100);
    }

    private void createRecords() throws Exception {
        var res = new LinkedHashMap<String, ClosedLoop.Result>();
        for (var t : alternate(0)) {
            var conns = t.connections(8);
            res.put(t.name(), measured(t, "createRecord", () -> ClosedLoop.run(8, opt.warmup(), opt.measure(), opt.maxRequests(), t.server::cpuSeconds, c -> createPost(t, conns[c]))));
            closeAll(conns);
        }
        report.row("createRecord throughput, 8 clients (req/s)", map(res, ClosedLoop.Result::perSecond), Report.Better.HIGHER, ">= 20x", null);
        report.row("createRecord p99 latency, 8 clients (ms)", map(res, r -> r.latencies().percentileMs(0.99)), Report.Better.LOWER, "", null);
        cpuRows("createRecord", res);
    }

    private void getRecords() throws Exception {
        var res = new LinkedHashMap<String, ClosedLoop.Result>();
        for (var t : alternate(1)) {
            var conns = t.connections(16);
            res.put(t.name(), measured(t, "getRecord", () -> ClosedLoop.run(16, opt.warmup(), opt.measure(), opt.maxRequests(), t.server::cpuSeconds, c -> getRecord(t, conns[c]))));
            closeAll(conns);
        }
        report.row("getRecord throughput, 16 clients (req/s)", map(res, ClosedLoop.Result::perSecond), Report.Better.HIGHER, ">= 25x", null);
        cpuRows("getRecord", res);
    }

    /**
     * CPU per request of the server (with PostgreSQL: and of its database) and of the load generator. The
     * load generator does the same work per request whatever the server, so when its figure moves
     * between runs, the machine's scheduling moved it (more wake-ups, colder caches), not the server.
     */
    private void cpuRows(String what, Map<String, ClosedLoop.Result> res) {
        report.row(what + ": server CPU per request (µs)", map(res, ClosedLoop.Result::serverCpuMicros), Report.Better.LOWER, "", null);
        report.row(what + ": load generator CPU per request (µs)", map(res, ClosedLoop.Result::clientCpuMicros), Report.Better.NONE, "", null);
    }

    private void listRecords() throws Exception {
        var res = new LinkedHashMap<String, ClosedLoop.Result>();
        for (var t : alternate(0)) {
            var conns = t.connections(16);
            res.put(t.name(), measured(t, "listRecords", () -> ClosedLoop.run(16, opt.warmup(), opt.measure(), opt.maxRequests(), t.server::cpuSeconds, c -> listRecords(t, conns[c]))));
            closeAll(conns);
        }
        report.row("listRecords throughput (limit 50), 16 clients (req/s)", map(res, ClosedLoop.Result::perSecond),
                Report.Better.HIGHER, ">= 20x", null);
    }

    /**
     * {@code opt.subscribers()} subscribers while writers (8) create records as fast as the server takes
     * them (or at {@code --firehose-rate}). Then Alteran once more, its writers paced to the rate the
     * reference reached: the delivery latency of both at the same write rate.
     */
    private void firehose() throws Exception {
        var res = new LinkedHashMap<String, FirehoseLoad.Result>();
        for (var t : alternate(1)) res.put(t.name(), firehoseRun(t, opt.firehoseRate()));
        var ref = res.get(REFERENCE);
        report.row("Firehose: commits written during the burst, " + opt.firehoseWriters() + " writers (writes/s)", map(res, r -> r.writes() / r.writeSeconds()),
                Report.Better.HIGHER, "", null);
        report.row("Firehose: events delivered to " + opt.subscribers() + " subscribers (events/s)", map(res, FirehoseLoad.Result::eventsPerSecond),
                Report.Better.HIGHER, "", null);
        report.row("Firehose: events delivered / expected (%)", map(res, r -> 100.0 * r.delivered() / r.expected()), Report.Better.NONE, "100 %", null);
        var p99 = map(res, r -> r.latency().percentileMs(0.99));
        report.row("Firehose: p99 commit-to-delivery latency (ms)", p99, Report.Better.LOWER, "< 50 ms", p99.get(ALTERAN) < 50);
        if (ref != null && opt.firehoseRate() == 0) {
            double rate = ref.writes() / ref.writeSeconds();
            var paced = firehoseRun(targets.getFirst(), rate);
            var same = new LinkedHashMap<String, Double>();
            same.put(ALTERAN, paced.latency().percentileMs(0.99));
            same.put(REFERENCE, ref.latency().percentileMs(0.99));
            report.row(String.format(Locale.ROOT, "Firehose: p99 latency at the reference's write rate, %.0f writes/s (ms)", rate), same,
                    Report.Better.LOWER, "", null);
        }
    }

    private FirehoseLoad.Result firehoseRun(Target t, double rate) throws Exception {
        int writers = opt.firehoseWriters();
        var conns = t.connections(writers);
        ClosedLoop.Op write = c -> createPost(t, conns[c]);
        if (rate > 0) write = paced(write, writers, rate);
        var r = FirehoseLoad.run(t.server.url, opt.subscribers(), opt.jdkWebSocket(), writers, opt.warmup(), opt.measure(), opt.maxRequests(), t.server::cpuSeconds, write);
        closeAll(conns);
        log("%s firehose: %d writes in %.1f s, delivered %d of %d in %.1f s (%.0f events/s), p50 %.1f ms p99 %.1f ms, %d closed early; CPU server %.1f s, load generator %.1f s (%.0f%% and %.0f%% of one core over the burst)",
                    t.name(), r.writes(), r.writeSeconds(), r.delivered(), r.expected(), r.deliverySeconds(),
                    r.eventsPerSecond(), r.latency().percentileMs(0.5), r.latency().percentileMs(0.99), r.closedEarly(), r.serverCpuSeconds(), r.clientCpuSeconds(),
                    100 * r.serverCpuSeconds() / r.writeSeconds(), 100 * r.clientCpuSeconds() / r.writeSeconds());
        return r;
    }

    /** Spaces each client's writes so that together they make {@code rate} per second (an open loop). */
    static ClosedLoop.Op paced(ClosedLoop.Op op, int clients, double rate) {
        long interval = (long) (1e9 * clients / rate);
        var next = new long[clients];
        return c -> {
            long now = System.nanoTime();
            if (next[c] == 0) next[c] = now + (long) (interval * (double) c / clients); // staggered starts
            long wait = next[c] - now;
            if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait);
            next[c] += interval;
            op.run(c);
        };
    }

    /** Fills the slower system first within the time budget, the other to the same size, then times getRepo twice each. */
    private void getRepo() throws Exception {
        var slowFirst = new ArrayList<>(targets);
        Collections.reverse(slowFirst);
        long size = opt.repoRecords();
        var fillRate = new LinkedHashMap<String, Double>();
        for (var t : slowFirst) {
            fillRate.put(t.name(), fill(t, size, opt.fillBudget()));
            size = t.records.get();
            log("%s holds %d records", t.name(), size);
        }
        report.row("Fill by applyWrites of 200 creates (records/s)", fillRate, Report.Better.HIGHER, "", null);
        var time = new LinkedHashMap<String, Double>();
        var peak = new LinkedHashMap<String, Double>();
        var before = new LinkedHashMap<String, Double>();
        var carMb = new LinkedHashMap<String, Double>();
        for (int round = 0; round < 2; round++) {
            for (var t : alternate(round)) {
                var base = t.server.rssMb();
                long t0 = System.nanoTime();
                long bytes;
                double top;
                try (var sampler = t.server.new RssPeak()) {
                    bytes = t.xrpc.drain(t.xrpc.getRequest("com.atproto.sync.getRepo", Map.of("did", t.server.did)));
                    sampler.close();
                    top = sampler.peakMb();
                }
                double secs = (System.nanoTime() - t0) / 1e9;
                log("%s getRepo: %d bytes in %.2f s, RSS %.0f -> peak %.0f MB", t.name(), bytes, secs, base, top);
                time.merge(t.name(), secs, Math::min);
                peak.merge(t.name(), top, Math::max);
                before.putIfAbsent(t.name(), base);
                carMb.put(t.name(), bytes / 1e6);
            }
        }
        report.meta("repository size for getRepo", size + " records");
        report.row("getRepo of " + size + " records, best of 2 (s)", time, Report.Better.LOWER, ">= 5x", null);
        report.row("getRepo: CAR size (MB)", carMb, Report.Better.NONE, "", null);
        report.row("getRepo: RSS before (MB)", before, Report.Better.LOWER, "", null);
        report.row("getRepo: peak RSS during (MB)", peak, Report.Better.LOWER, "bounded", null);
    }

    private boolean selected(String scenario) {
        return opt.scenarios().contains(scenario);
    }

    private List<Target> alternate(int round) {
        var copy = new ArrayList<>(targets);
        if (round % 2 == 1) Collections.reverse(copy);
        return copy;
    }

    private Map<String, Double> value(ToDoubleFunction<Target> f) {
        var m = new LinkedHashMap<String, Double>();
        for (var t : targets) m.put(t.name(), f.applyAsDouble(t));
        return m;
    }

    private static <R> Map<String, Double> map(Map<String, R> results, ToDoubleFunction<R> f) {
        var m = new LinkedHashMap<String, Double>();
        results.forEach((k, v) -> m.put(k, f.applyAsDouble(v)));
        return m;
    }

    private interface Load {
        ClosedLoop.Result run() throws Exception;
    }

    private static ClosedLoop.Result measured(Target t, String what, Load load) throws Exception {
        var r = load.run();
        log("%s %s: %s", t.name(), what, describe(r));
        return r;
    }

    private static String describe(ClosedLoop.Result r) {
        return String.format(Locale.ROOT, "%d ok, %d errors in %.1f s = %.0f/s, p50 %.2f ms, p99 %.2f ms, CPU per request: server %.0f us, client %.0f us%s",
                r.ok(), r.errors(), r.seconds(), r.perSecond(), r.latencies().percentileMs(0.5), r.latencies().percentileMs(0.99),
                r.serverCpuMicros(), r.clientCpuMicros(),
                r.firstError() == null ? "" : " (first error: " + r.firstError() + ")");
    }

    private static Map<String, Object> post(Target t) {
        var rec = new LinkedHashMap<String, Object>();
        rec.put("$type", POST);
        rec.put("text", "benchmark post " + t.counter.incrementAndGet() + " from the side-by-side load run");
        rec.put("createdAt", Instant.now().toString());
        return rec;
    }

    static void createPost(Target t, RawHttp conn) throws Exception {
        var body = Xrpc.JSON.writeValueAsBytes(Map.of("repo", t.server.did, "collection", POST, "record", post(t)));
        var resp = conn.post("/xrpc/com.atproto.repo.createRecord", body, t.xrpc.accessJwt());
        if (resp.status() != 200) throw new IllegalStateException("createRecord -> " + resp.status() + " " + resp.text());
        var uri = Xrpc.JSON.readTree(resp.body()).get("uri").asText();
        t.rkeys.add(uri.substring(uri.lastIndexOf('/') + 1));
        t.records.incrementAndGet();
    }

    /** Records to read when the createRecord scenario did not run (profiling runs). */
    static void seed(Target t) throws Exception {
        try (var conn = new RawHttp(t.server.url)) {
            while (t.rkeys.size() < 1000) createPost(t, conn);
        }
    }

    private static String randomRkey(Target t) {
        return t.rkeys.get(ThreadLocalRandom.current().nextInt(t.rkeys.size()));
    }

    // Reads are checked by status and shape only: parsing every answer would cost the load generator more than the server.
    static void getRecord(Target t, RawHttp conn) throws Exception {
        var resp = conn.get("/xrpc/com.atproto.repo.getRecord?repo=" + enc(t.server.did) + "&collection=" + POST + "&rkey=" + randomRkey(t));
        check(resp, "\"value\":{");
    }

    private static void listRecords(Target t, RawHttp conn) throws Exception {
        var resp = conn.get("/xrpc/com.atproto.repo.listRecords?repo=" + enc(t.server.did) + "&collection=" + POST
                + "&limit=50&cursor=" + randomRkey(t));
        check(resp, "\"records\":[");
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void check(RawHttp.Response resp, String expected) {
        if (resp.status() != 200 || !contains(resp.body(), expected.getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
            throw new IllegalStateException(resp.status() + " " + resp.text());
        }
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return true;
        }
        return false;
    }

    /** Fills {@code t} up to {@code size} records with applyWrites of 200 creates, within {@code budget}; returns records/s. */
    private static double fill(Target t, long size, Duration budget) throws Exception {
        long start = System.nanoTime();
        long deadline = start + budget.toNanos();
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
        System.err.printf(Locale.ROOT, "[%tT] %s%n", new java.util.Date(), String.format(Locale.ROOT, fmt, args));
    }
}
