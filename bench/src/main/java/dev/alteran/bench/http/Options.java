package dev.alteran.bench.http;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Command-line options of {@link LoadRun}; the defaults are the documented benchmark. */
record Options(Path work, Path jar, Path refScript, List<String> jvmFlags, boolean reference, Duration warmup, Duration measure,
               long maxRequests, int subscribers, long repoRecords, Duration fillBudget, Duration idleWait, Path out,
               java.util.Set<String> scenarios, boolean jdkWebSocket, int firehoseWriters, double firehoseRate,
               java.util.Set<Integer> cores, Path root, Path jdk21, int importRecords, long referenceImportLimit,
               boolean postgres, boolean twoInstances) {

    static Options parse(String[] args) {
        var root = Path.of("").toAbsolutePath();
        Path jar = null, ref = null, out = null, work = null, jdk21 = null;
        var flags = new ArrayList<String>();
        boolean reference = true, jdkWebSocket = false, postgres = false, twoInstances = false;
        long warmup = 15, measure = 10, max = 200_000, records = 100_000, budget = 600, idle = 5;
        int subscribers = 200, firehoseWriters = 8;
        double firehoseRate = 0;
        int importRecords = 100_000;
        long referenceImportLimit = 5L << 20; // the reference's importRepo body limit when PDS_MAX_REPO_IMPORT_SIZE is unset
        var scenarios = java.util.Set.of("create", "get", "list", "firehose", "repo", "import", "variants");
        java.util.Set<Integer> cores = java.util.Set.of(2, 1);
        for (int i = 0; i < args.length; i++) {
            var a = args[i];
            switch (a) {
                case "--root" -> root = Path.of(args[++i]).toAbsolutePath();
                case "--jar" -> jar = Path.of(args[++i]);
                case "--reference-script" -> ref = Path.of(args[++i]);
                case "--work" -> work = Path.of(args[++i]).toAbsolutePath();
                case "--jvm-flag" -> flags.add(args[++i]);
                case "--jvm-flags" -> flags.addAll(Arrays.stream(args[++i].trim().split("\\s+")).filter(s -> !s.isEmpty()).toList());
                case "--no-reference" -> reference = false;
                case "--warmup-sec" -> warmup = Long.parseLong(args[++i]);
                case "--measure-sec" -> measure = Long.parseLong(args[++i]);
                case "--max-requests" -> max = Long.parseLong(args[++i]);
                case "--subscribers" -> subscribers = Integer.parseInt(args[++i]);
                case "--firehose-writers" -> firehoseWriters = Integer.parseInt(args[++i]);
                case "--firehose-rate" -> firehoseRate = Double.parseDouble(args[++i]);
                case "--repo-records" -> records = Long.parseLong(args[++i]);
                case "--fill-budget-sec" -> budget = Long.parseLong(args[++i]);
                case "--idle-sec" -> idle = Long.parseLong(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--jdk-websocket" -> jdkWebSocket = true;
                case "--jdk21" -> jdk21 = Path.of(args[++i]).toAbsolutePath();
                case "--import-records" -> importRecords = Integer.parseInt(args[++i]);
                case "--reference-import-limit" -> referenceImportLimit = Long.parseLong(args[++i]);
                case "--postgres" -> postgres = true;
                case "--two-instances" -> twoInstances = postgres = true;
                case "--no-postgres" -> twoInstances = postgres = false;
                case "--only" -> scenarios = java.util.Set.of(args[++i].split(","));
                case "--cores" -> cores = Arrays.stream(args[++i].split(",")).map(Integer::valueOf).collect(java.util.stream.Collectors.toSet());
                default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
            }
        }
        if (jar == null) jar = root.resolve("server/target/alteran.jar");
        if (ref == null) ref = root.resolve("../shared/refpds/refpds").normalize();
        return new Options(work, jar, ref, List.copyOf(flags), reference, Duration.ofSeconds(warmup), Duration.ofSeconds(measure),
                max, subscribers, records, Duration.ofSeconds(budget), Duration.ofSeconds(idle), out, scenarios, jdkWebSocket, firehoseWriters, firehoseRate,
                cores, root, jdk21, importRecords, referenceImportLimit, postgres, twoInstances);
    }

    static final String USAGE = """
            options: --root DIR (repository root; default: current directory) --jar FILE --reference-script FILE
                     --work DIR (data, logs; default: a new temporary directory)
                     --jvm-flag FLAG (repeatable) or --jvm-flags "FLAGS" (for Alteran's JVM, after the launcher's from bin/jvm-flags.sh) --no-reference --warmup-sec N --measure-sec N
                     --max-requests N --subscribers N --firehose-writers N --firehose-rate WRITES_PER_SEC (paced instead of full speed) --repo-records N --fill-budget-sec N --idle-sec N --out FILE
                     --import-records N (importRepo's repository size) --reference-import-limit BYTES (the reference's body limit)
                     --only create,get,list,firehose,repo,import,variants (a subset of the scenarios, for profiling; variants: WARN and -Xmx64m, after create and get)
                     --cores 2,1 (2: both systems free on every core; 1: again, each server on CPU 0 and this load generator on CPU 1)
                     --jdk-websocket (firehose subscribers on java.net.http.WebSocket instead of the raw selector client)
                     --jdk21 DIR (a JDK 21-24 for the start-up rows; default: the newest under /usr/lib/jvm, if any)
                     --postgres (also Alteran on PostgreSQL: an embedded PostgreSQL server under the work directory)
                     --two-instances (implies --postgres: then two instances on that database, the load spread over both)
                     --no-postgres (neither; run-http.sh passes --two-instances)""";
}
