package dev.alteran.server;

import dev.alteran.pds.Databases;
import dev.alteran.pds.Alteran;
import dev.alteran.pds.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** Starts Jetty over an {@link Alteran} and owns the order of shutdown: stop taking requests, drain, close storage. */
final class Launcher {
    private Launcher() {}

    /**
     * This run, if it trains the launcher's start-up cache, serves: the cache it writes at exit holds
     * a server's classes, so the launcher keeps it (see {@code bin/jvm-flags.sh}).
     */
    private static void trainedOnAServer() {
        var marker = System.getProperty("alteran.training");
        if (marker == null) return;
        try {
            Files.deleteIfExists(Path.of(marker));
        } catch (IOException | RuntimeException e) {
            System.err.println("alteran: cannot remove " + marker + " (the next start trains the start-up cache again): " + e.getMessage());
        }
    }

    static void runUntilStopped(Config config, Runnable onStarted) throws Exception {
        BackupScheduler.refuseWithPostgres(config); // before anything starts
        // Held until the process ends: `alteran import` and a second server on this data directory refuse to run.
        var lock = Databases.lockToServe(config);
        SqliteNativeLibrary.useCopyUnder(config.dataDir()); // before the first connection loads the driver
        var alteran = Alteran.builder().config(config).debugRoutes(config.debugRoutes())
                .meterRegistry(MetricsEndpoint.registryFor(config.metrics())).build();
        var jetty = new JettyServer(alteran, config.bindAddress(), config.port()).start();
        var backups = config.backup().enabled() ? BackupScheduler.start(config) : null;
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (backups != null) backups.close();
                jetty.close();
            } catch (Exception e) {
                System.err.println("alteran: error while stopping: " + e);
            } finally {
                try {
                    alteran.close();
                } finally {
                    lock.close();
                    stopped.countDown();
                }
            }
        }, "alteran-shutdown"));
        onStarted.run();
        trainedOnAServer();
        jetty.join();
        stopped.await();
    }
}
