package dev.alteran.bench.http;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One PDS process under test: how it was started, its account, and its memory. */
final class Server implements AutoCloseable {
    final String name;
    final Process process;
    final String url;
    final String did;
    final String handle;
    final String password;
    /** From spawning the process to the first 200 on its health route. */
    final double coldStartMs;
    final Path logDir;

    private Server(String name, Process process, String url, String did, String handle, String password,
                   double coldStartMs, Path logDir) {
        this.name = name;
        this.process = process;
        this.url = url;
        this.did = did;
        this.handle = handle;
        this.password = password;
        this.coldStartMs = coldStartMs;
        this.logDir = logDir;
    }

    static final String ALTERAN_HANDLE = "alice.test";
    static final String ALTERAN_PASSWORD = "bench-password-not-secret";

    /**
     * The packaged jar in dev mode, as e2e/lib/server.mjs starts it, on {@code port} over {@code data}
     * (a new directory: a first start; the same one again: a restart of that server). {@code logLevel}
     * null runs the default level (INFO, a line per request), written to a file as journald or a
     * redirected terminal would take it.
     */
    static Server startAlteran(Path jar, List<String> jvmFlags, Path data, int port, Path work, String logLevel) throws Exception {
        return startAlteran(List.of(), Path.of(System.getProperty("java.home"), "bin", "java"), jar, jvmFlags, data, port, work, logLevel, Map.of(), "alteran");
    }

    /**
     * The same, run by {@code java}, its command after {@code prefix} (e.g. {@code taskset -c 0}: see
     * {@link OneCore}).
     */
    static Server startAlteran(List<String> prefix, Path java, Path jar, List<String> jvmFlags, Path data, int port, Path work, String logLevel)
            throws Exception {
        return startAlteran(prefix, java, jar, jvmFlags, data, port, work, logLevel, Map.of(), "alteran");
    }

    /** The same with settings added to (or replacing) the environment's, under {@code name} in the report. */
    static Server startAlteran(List<String> prefix, Path java, Path jar, List<String> jvmFlags, Path data, int port, Path work, String logLevel,
                               Map<String, String> env, String name) throws Exception {
        var cmd = new ArrayList<String>(prefix);
        cmd.add(java.toString());
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-jar", jar.toString(), "dev", "--port", Integer.toString(port), "--data", data.toString()));
        var pb = new ProcessBuilder(cmd);
        var did = "did:web:localhost%3A" + port;
        pb.environment().put("PDS_HANDLE", ALTERAN_HANDLE);
        pb.environment().put("PDS_DID", did);
        pb.environment().put("USER_PASSWORD", ALTERAN_PASSWORD);
        if (logLevel == null) pb.environment().remove("ALTERAN_LOG_LEVEL");
        else pb.environment().put("ALTERAN_LOG_LEVEL", logLevel);
        pb.environment().put("PDS_RATE_LIMIT_PER_MIN", "100000000");
        pb.environment().putAll(env);
        did = pb.environment().get("PDS_DID");
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("alteran.out").toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(work.resolve("alteran.err").toFile()));
        var url = "http://127.0.0.1:" + port;
        long t0 = System.nanoTime();
        var p = pb.start();
        var ms = waitHealthy(p, new Xrpc(url), "/health", t0, work.resolve("alteran.err"));
        return new Server(name, p, url, did, ALTERAN_HANDLE, ALTERAN_PASSWORD, ms, work);
    }

    /** The reference PDS through the shared script, which prints {url, did, handle, password} once its account exists. */
    static Server startReference(Path script, Path work) throws Exception {
        return startReference(List.of(), script, work);
    }

    /** The same, its command after {@code prefix}; the script's Node children inherit a CPU affinity. */
    static Server startReference(List<String> prefix, Path script, Path work) throws Exception {
        int port = freePort();
        var cmd = new ArrayList<String>(prefix);
        cmd.addAll(List.of("bash", script.toString(), "start", Integer.toString(port)));
        var pb = new ProcessBuilder(cmd);
        pb.redirectError(work.resolve("reference.err").toFile());
        var url = "http://127.0.0.1:" + port;
        long t0 = System.nanoTime();
        var p = pb.start();
        var ms = waitHealthy(p, new Xrpc(url), "/xrpc/_health", t0, work.resolve("reference.err"));
        var out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = out.readLine()) != null; ) {
            if (!line.startsWith("{")) continue;
            var info = Xrpc.JSON.readTree(line);
            if (!info.has("url")) continue;
            // keep draining stdout so the process never blocks on a full pipe
            Thread.ofVirtual().start(() -> {
                try {
                    out.transferTo(java.io.Writer.nullWriter());
                } catch (IOException ignored) {
                }
            });
            return new Server("reference", p, info.get("url").asText(), info.get("did").asText(),
                    info.get("handle").asText(), info.get("password").asText(), ms, work);
        }
        throw new IOException("the reference PDS exited without printing its account: " + Files.readString(work.resolve("reference.err")));
    }

    private static double waitHealthy(Process p, Xrpc client, String path, long t0, Path errLog) throws Exception {
        long deadline = t0 + TimeUnit.SECONDS.toNanos(300);
        while (System.nanoTime() < deadline) {
            if (client.status(path) == 200) return (System.nanoTime() - t0) / 1e6;
            if (!p.isAlive()) throw new IOException("exited early: " + Files.readString(errLog));
            Thread.sleep(5);
        }
        p.destroyForcibly();
        throw new IOException("no 200 on " + path + " within 300 s");
    }

    /** Resident set size in MB (VmRSS of /proc/PID/status). */
    double rssMb() {
        try {
            for (var line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        } catch (IOException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    /** Adds another process's CPU time to this server's (its database server's), or null. */
    volatile java.util.function.DoubleSupplier companionCpu;

    /** CPU time the process has used so far, user plus system, in seconds (clock ticks of 1/100 s); with {@link #companionCpu}'s. */
    double cpuSeconds() {
        var companion = companionCpu;
        return cpuSecondsOf(process.pid()) + (companion == null ? 0 : companion.getAsDouble());
    }

    static double cpuSecondsOf(long pid) {
        try {
            var stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            var fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0; // utime, stime
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    /** Samples RSS every few milliseconds until closed; {@link #peakMb()} is the largest seen. */
    final class RssPeak implements AutoCloseable {
        private volatile boolean running = true;
        private volatile double peak;
        private final Thread thread;

        RssPeak() {
            peak = rssMb();
            thread = Thread.ofPlatform().daemon().start(() -> {
                while (running) {
                    peak = Math.max(peak, rssMb());
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        double peakMb() {
            return peak;
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join();
            peak = Math.max(peak, rssMb());
        }
    }

    static int freePort() throws IOException {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        var children = process.descendants().toList();
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        for (var c : children) c.destroyForcibly();
    }
}
