package dev.alteran.bench;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * Operations per second of CPU time used by the whole benchmark JVM (all threads: benchmark, GC,
 * compiler), per iteration: {@code -prof dev.alteran.bench.CpuTimeProfiler}. On a machine whose other
 * processes compete for the cores, wall-clock throughput drops with the load, while this figure
 * stays close to that of an idle machine; bench/node/core.mjs reports the same measure from
 * {@code process.cpuUsage()}, so the Java/Node ratio can be taken on both.
 */
public final class CpuTimeProfiler implements InternalProfiler {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private long start;

    @Override
    public String getDescription() {
        return "operations per second of process CPU time";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        start = OS.getProcessCpuTime();
    }

    @Override
    public Collection<? extends Result> afterIteration(
            BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
        long cpuNanos = OS.getProcessCpuTime() - start;
        double opsPerCpuSecond = result.getMetadata().getMeasuredOps() * 1e9 / Math.max(1, cpuNanos);
        return List.of(new ScalarResult("cpu.ops", opsPerCpuSecond, "ops/cpu-s", AggregationPolicy.AVG));
    }
}
