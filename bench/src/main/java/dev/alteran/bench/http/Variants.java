package dev.alteran.bench.http;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the defaults cost: Alteran's createRecord and getRecord again, each time in a server of its own
 * over a new data directory: in pairs at the default INFO and at {@code ALTERAN_LOG_LEVEL=WARN} (the
 * request lines off), and once with {@code -Xmx64m} (the defaults otherwise);
 * and the peak resident memory of the main run's servers while createRecord and getRecord load them.
 */
final class Variants {
    private Variants() {}

    /** One variant's figures; {@code failure} says why it did not pass, or is null. */
    record Result(ClosedLoop.Result create, ClosedLoop.Result get, double peakRssMb, String failure) {}

    /**
     * INFO/WARN pairs for the logging cost: fresh servers on this machine differ by up to a third in
     * throughput, so one slow server moves a small sample across the 10% border by itself. With three
     * pairs compared by their medians, two full runs of the same code gave -5.7% and 17.3% for
     * createRecord (2026-12-06, 17:44 and 19:33 UTC). Now each pair's two servers, run back to back,
     * give a cost of their own (a slow stretch of the machine slows both), and the median of five is reported.
     */
    static final int LOG_PAIRS = 5;

    /**
     * Runs both variants and adds their rows. The logging cost compares like with like: pairs of fresh
     * servers over new data directories, one at the default level and one at WARN, alternated. The main
     * run's server is not one of them, as its repository has grown through the earlier scenarios and a
     * larger tree costs every commit more than a request line does.
     */
    static void run(Options opt, Path work, Report report) throws Exception {
        var info = new ArrayList<Result>();
        var warn = new ArrayList<Result>();
        for (int i = 0; i < LOG_PAIRS; i++) {
            info.add(run(opt, work.resolve("alteran-info-" + i), List.of(), null));
            warn.add(run(opt, work.resolve("alteran-warn-" + i), List.of(), "WARN"));
        }
        double infoCreate = median(info, r -> r.create().perSecond()), warnCreate = median(warn, r -> r.create().perSecond());
        double infoGet = median(info, r -> r.get().perSecond()), warnGet = median(warn, r -> r.get().perSecond());
        report.row("createRecord throughput at the default INFO, fresh servers, median of " + LOG_PAIRS + ", 8 clients (req/s)", alteran(infoCreate),
                Report.Better.NONE, "", null);
        report.row("createRecord throughput at ALTERAN_LOG_LEVEL=WARN, fresh servers, median of " + LOG_PAIRS + ", 8 clients (req/s)", alteran(warnCreate),
                Report.Better.NONE, "", null);
        report.row("getRecord throughput at the default INFO, fresh servers, median of " + LOG_PAIRS + ", 16 clients (req/s)", alteran(infoGet),
                Report.Better.NONE, "", null);
        report.row("getRecord throughput at ALTERAN_LOG_LEVEL=WARN, fresh servers, median of " + LOG_PAIRS + ", 16 clients (req/s)", alteran(warnGet),
                Report.Better.NONE, "", null);
        double createCost = pairCost(info, warn, r -> r.create().perSecond());
        double getCost = pairCost(info, warn, r -> r.get().perSecond());
        LoadRun.log("logging cost of each pair, sorted (%%): createRecord %s, getRecord %s",
                pairCosts(info, warn, r -> r.create().perSecond()), pairCosts(info, warn, r -> r.get().perSecond()));
        report.row("Logging cost, createRecord: 1 - INFO/WARN throughput, median of the pairs (%)", alteran(createCost), Report.Better.NONE, "< 10 %",
                createCost < 10);
        report.row("Logging cost, getRecord: 1 - INFO/WARN throughput, median of the pairs (%)", alteran(getCost), Report.Better.NONE, "< 10 %",
                getCost < 10);
        // Server CPU per request moves less with the machine's load than throughput does.
        report.row("Logging cost, createRecord: 1 - WARN/INFO server CPU per request (%)",
                alteran(100 * (1 - median(warn, r -> r.create().serverCpuMicros()) / median(info, r -> r.create().serverCpuMicros()))), Report.Better.NONE, "", null);
        report.row("Logging cost, getRecord: 1 - WARN/INFO server CPU per request (%)",
                alteran(100 * (1 - median(warn, r -> r.get().serverCpuMicros()) / median(info, r -> r.get().serverCpuMicros()))), Report.Better.NONE, "", null);

        var small = run(opt, work.resolve("alteran-xmx64m"), List.of("-Xmx64m"), null);
        report.row("-Xmx64m: createRecord throughput, 8 clients (req/s)", alteran(small.create() == null ? Double.NaN : small.create().perSecond()),
                Report.Better.NONE, "", null);
        report.row("-Xmx64m: getRecord throughput, 16 clients (req/s)", alteran(small.get() == null ? Double.NaN : small.get().perSecond()),
                Report.Better.NONE, "", null);
        report.row("-Xmx64m: peak RSS through createRecord and getRecord (MB)", alteran(small.peakRssMb()), Report.Better.NONE, "", null);
        report.row("-Xmx64m: the run passed (1 = no errors, no OutOfMemoryError)", alteran(small.failure() == null ? 1 : 0), Report.Better.NONE, "passes",
                small.failure() == null);
        if (small.failure() != null) LoadRun.log("-Xmx64m run failed: %s", small.failure());
    }

    /** The median of {@link #pairCosts}. */
    private static double pairCost(List<Result> info, List<Result> warn, java.util.function.ToDoubleFunction<Result> figure) {
        return median(pairCosts(info, warn, figure).stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Each pair's 100 * (1 - INFO/WARN) of {@code figure}, over the pairs that both passed, sorted. */
    private static List<Double> pairCosts(List<Result> info, List<Result> warn, java.util.function.ToDoubleFunction<Result> figure) {
        var costs = new ArrayList<Double>();
        for (int i = 0; i < info.size(); i++) {
            if (passed(info.get(i)) && passed(warn.get(i))) {
                costs.add(100 * (1 - figure.applyAsDouble(info.get(i)) / figure.applyAsDouble(warn.get(i))));
            }
        }
        costs.sort(null);
        return costs;
    }

    private static boolean passed(Result r) {
        return r.create() != null && r.get() != null;
    }

    private static double median(List<Result> runs, java.util.function.ToDoubleFunction<Result> figure) {
        return median(runs.stream().filter(Variants::passed).mapToDouble(figure).toArray());
    }

    /** The median of {@code v} (sorted here), NaN when it is empty. */
    private static double median(double[] v) {
        if (v.length == 0) return Double.NaN;
        java.util.Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static Map<String, Double> alteran(double v) {
        var m = new LinkedHashMap<String, Double>();
        m.put("alteran", v);
        return m;
    }

    /**
     * A first start over {@code dir}/data with the launcher's JVM options plus {@code extraFlags}.
     */
    private static Result run(Options opt, Path dir, List<String> extraFlags, String logLevel) throws Exception {
        Files.createDirectories(dir);
        // The launcher's flags, with the start-up cache the main run's first start wrote (mapped, never rewritten).
        var flags = new ArrayList<>(ColdStart.flags(opt, Path.of(System.getProperty("java.home")), ColdStart.cache(dir.resolveSibling(LoadRun.ALTERAN))));
        flags.addAll(extraFlags);
        var name = String.join(" ", extraFlags) + (logLevel == null ? "" : " ALTERAN_LOG_LEVEL=" + logLevel);
        var t = new LoadRun.Target(Server.startAlteran(opt.jar(), flags, dir.resolve("data"), Server.freePort(), dir, logLevel));
        ClosedLoop.Result create = null, get = null;
        String failure = null;
        double peak;
        try (var server = t.server; var sampler = server.new RssPeak()) {
            t.xrpc.login(server.handle, server.password);
            var conns = t.connections(8);
            create = ClosedLoop.run(8, opt.warmup(), opt.measure(), opt.maxRequests(), server::cpuSeconds, c -> LoadRun.createPost(t, conns[c]));
            closeAll(conns);
            LoadRun.log("alteran (%s) createRecord: %.0f/s, %d errors", name.trim(), create.perSecond(), create.errors());
            LoadRun.seed(t);
            var readers = t.connections(16);
            get = ClosedLoop.run(16, opt.warmup(), opt.measure(), opt.maxRequests(), server::cpuSeconds, c -> LoadRun.getRecord(t, readers[c]));
            closeAll(readers);
            LoadRun.log("alteran (%s) getRecord: %.0f/s, %d errors", name.trim(), get.perSecond(), get.errors());
            sampler.close();
            peak = sampler.peakMb();
            if (!server.process.isAlive()) failure = "the server exited";
        } catch (Exception e) {
            failure = e.toString();
            peak = Double.NaN;
        }
        if (failure == null && (create.errors() > 0 || get.errors() > 0)) {
            failure = "errors: createRecord " + create.errors() + ", getRecord " + get.errors() + ", first: "
                    + (create.firstError() != null ? create.firstError() : get.firstError());
        }
        for (var log : List.of("alteran.out", "alteran.err")) {
            var file = dir.resolve(log);
            if (failure == null && Files.exists(file)) {
                try (var lines = Files.lines(file)) {
                    if (lines.anyMatch(l -> l.contains("OutOfMemoryError"))) failure = "OutOfMemoryError in " + log;
                }
            }
        }
        return new Result(create, get, peak, failure);
    }

    private static void closeAll(RawHttp[] conns) {
        for (var c : conns) c.close();
    }
}
