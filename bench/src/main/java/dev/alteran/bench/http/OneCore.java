package dev.alteran.bench.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The one-core mode of the benchmark: each server on CPU 0 ({@code taskset -c 0} in front of its
 * command, so the JVM sizes itself for one CPU and the reference's Node children inherit the mask) and
 * this load generator on CPU 1 (every thread of this JVM, set with {@code taskset -a -p}; threads
 * started later inherit it). It measures what a server costs on its own core, and it separates the
 * firehose's fan-out from its subscribers' reading, which share the cores in the two-core mode.
 */
final class OneCore {
    static final String TITLE = "**One core**: each server pinned to CPU 0 (`taskset -c 0`), the load generator to CPU 1";
    private static final List<String> SERVER_CPU = List.of("taskset", "-c", "0");
    private static final String LOAD_CPU = "1";

    private OneCore() {}

    /** Alteran's jar on CPU 0 over a new data directory, so its repository starts as small as the reference's. */
    static Server startAlteran(Options opt, Path work) throws Exception {
        var logs = Files.createDirectories(work.resolve("alteran-one-core"));
        var java = Path.of(System.getProperty("java.home"));
        // The launcher's flags, with the start-up cache the two-core run's first start wrote.
        var flags = ColdStart.flags(opt, java, ColdStart.cache(work.resolve(LoadRun.ALTERAN)));
        var s = Server.startAlteran(SERVER_CPU, java.resolve("bin/java"), opt.jar(), flags, logs.resolve("data"), Server.freePort(), logs, null);
        LoadRun.log("alteran on one core up in %.0f ms (a first start) at %s; CPUs allowed: %s", s.coldStartMs, s.url, cpus(s.process.toHandle()));
        return s;
    }

    static Server startReference(Options opt, Path work) throws Exception {
        var s = Server.startReference(SERVER_CPU, opt.refScript(), Files.createDirectories(work.resolve("reference-one-core")));
        LoadRun.log("reference on one core up in %.0f ms at %s; CPUs allowed: %s", s.coldStartMs, s.url, cpus(s.process.toHandle()));
        return s;
    }

    /** Pins every thread of this JVM to CPU 1 until closed, then gives back the CPUs it had. */
    static AutoCloseable pinSelf() throws IOException, InterruptedException {
        var self = ProcessHandle.current();
        var before = allowed(self.pid());
        taskset(LOAD_CPU, self.pid());
        LoadRun.log("load generator pinned: CPUs allowed %s (was %s)", allowed(self.pid()), before);
        return () -> taskset(before, self.pid());
    }

    private static void taskset(String cpus, long pid) throws IOException, InterruptedException {
        var p = new ProcessBuilder("taskset", "-a", "-p", "-c", cpus, Long.toString(pid)).redirectErrorStream(true).start();
        var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException("taskset -a -p -c " + cpus + " " + pid + " failed: " + out);
    }

    /** The CPUs a process and each of its descendants may run on, e.g. {@code 0} or {@code 0 (4 processes)}. */
    private static String cpus(ProcessHandle process) {
        var lists = new ArrayList<String>();
        Stream.concat(Stream.of(process), process.descendants()).forEach(p -> lists.add(allowed(p.pid())));
        var distinct = lists.stream().distinct().toList();
        return String.join(" / ", distinct) + " (" + lists.size() + " processes)";
    }

    /** {@code Cpus_allowed_list} of /proc/PID/status, e.g. {@code 0-1}. */
    private static String allowed(long pid) {
        try {
            for (var line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("Cpus_allowed_list:")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException e) {
            return "?";
        }
        return "?";
    }
}
