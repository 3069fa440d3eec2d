package dev.alteran.bench.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Alteran's start-up as the launcher runs it: before every start the JVM flags come from
 * {@code bin/jvm-flags.sh} for the JDK that runs it, as {@code ./alteran dev} asks for them, so the first start is
 * the training run that writes the start-up cache when it stops, and a restart maps it. Over one data directory:
 * the first start (new database and account; this JDK, 25 or newer: the AOT cache), then, if a JDK 21-24 is
 * found, that JDK's own first start (its AppCDS archive) and its restart, then the restart on this JDK, which is
 * left running for the other scenarios.
 */
final class ColdStart {
    /** How long a first stop may take: the training run's JVM writes the cache as it exits (tens of seconds on a busy machine). */
    private static final long FIRST_STOP_SEC = 600;

    record Result(Server server, double firstStartMs, double firstStopMs, double restartMs, double jdk21RestartMs, String jdk21) {}

    private ColdStart() {}

    static Result run(Options opt, Path data, int port, Path logs) throws Exception {
        var thisJdk = Path.of(System.getProperty("java.home"));
        var cache = cache(logs); // the launcher's server/target/alteran.{aot,jsa}
        double firstStart, firstStop;
        var first = start(opt, thisJdk, cache, data, port, logs);
        firstStart = first.coldStartMs;
        LoadRun.log("alteran first start (new data directory, %s) in %.0f ms", thisJdk, firstStart);
        Thread.sleep(opt.idleWait().toMillis());
        firstStop = stop(first);
        LoadRun.log("alteran first stop (writes the start-up cache) in %.0f ms", firstStop);

        double jdk21Restart = Double.NaN;
        var jdk21 = opt.jdk21() != null ? opt.jdk21() : findJdk21();
        if (jdk21 != null) {
            var cache21 = logs.resolve("alteran-jdk21");
            stop(start(opt, jdk21, cache21, data, port, logs));
            try (var restart = start(opt, jdk21, cache21, data, port, logs)) {
                jdk21Restart = restart.coldStartMs;
            }
            LoadRun.log("alteran restarted on %s in %.0f ms", jdk21, jdk21Restart);
        } else {
            LoadRun.log("no JDK 21-24 under /usr/lib/jvm (--jdk21 PATH names one): no JDK 21 restart");
        }
        var restart = start(opt, thisJdk, cache, data, port, logs);
        LoadRun.log("alteran restarted in %.0f ms at %s", restart.coldStartMs, restart.url);
        return new Result(restart, firstStart, firstStop, restart.coldStartMs, jdk21Restart, jdk21 == null ? null : jdk21.toString());
    }

    private static Server start(Options opt, Path jdk, Path cache, Path data, int port, Path logs) throws Exception {
        return Server.startAlteran(List.of(), jdk.resolve("bin/java"), opt.jar(), flags(opt, jdk, cache), data, port, logs, null);
    }

    /** The start-up cache (its path without the extension) of the run whose Alteran logs are in {@code logs}. */
    static Path cache(Path logs) {
        return logs.resolve("alteran");
    }

    /** Alteran's JVM flags for the JDK at {@code jdk}: the launcher's, then the run's own {@code --jvm-flag}s. */
    static List<String> flags(Options opt, Path jdk, Path cache) throws Exception {
        var flags = new ArrayList<>(launcherFlags(opt.root(), jdk, cache, opt.jar()));
        flags.addAll(opt.jvmFlags());
        LoadRun.log("alteran JVM flags: %s", flags);
        return flags;
    }

    /** Stops the server and waits for its JVM to exit (a training run first writes its cache); milliseconds. */
    private static double stop(Server server) throws Exception {
        long t0 = System.nanoTime();
        server.process.destroy();
        if (!server.process.waitFor(FIRST_STOP_SEC, TimeUnit.SECONDS)) throw new IOException("alteran did not stop within " + FIRST_STOP_SEC + " s");
        return (System.nanoTime() - t0) / 1e6;
    }

    /** The flags {@code alteran_jvm_flags} of {@code bin/jvm-flags.sh} gives the JDK at {@code jdk}, now. */
    static List<String> launcherFlags(Path root, Path jdk, Path cache, Path jar) throws Exception {
        var pb = new ProcessBuilder("bash", "-c",
                ". bin/find-java.sh && . bin/jvm-flags.sh && alteran_jvm_flags \"$1\" \"$2\" && printf '%s\\n' \"${ALTERAN_JVM_FLAGS[@]}\"",
                "jvm-flags", cache.toString(), jar.toString()).directory(root.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", jdk.toString());
        var p = pb.start();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException("bin/jvm-flags.sh failed: " + out);
        return out.lines().filter(l -> !l.isBlank()).toList();
    }

    private static final Pattern VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)");

    /** The newest JDK 21-24 under /usr/lib/jvm, by its release file, or null. */
    static Path findJdk21() {
        try (var dirs = Files.list(Path.of("/usr/lib/jvm"))) {
            return dirs.filter(d -> Files.isExecutable(d.resolve("bin/java")) && !Files.isSymbolicLink(d))
                    .filter(d -> {
                        int major = major(d);
                        return major >= 21 && major <= 24;
                    })
                    .max(Comparator.comparingInt(ColdStart::major)).orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static int major(Path jdk) {
        try {
            var m = VERSION.matcher(Files.readString(jdk.resolve("release")));
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
