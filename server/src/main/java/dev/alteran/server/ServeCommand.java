package dev.alteran.server;

import dev.alteran.pds.config.Config;
import dev.alteran.pds.config.ConfigSources;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the PDS with the configuration from the environment (and an optional env file).")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--env-file", description = "A KEY=VALUE file read before the environment (environment wins).")
    Path envFile;

    @Option(names = "--debug-routes", description = "Mount the owner-only /debug/* routes (same as PDS_DEBUG_ROUTES=true).")
    boolean debugRoutes;

    @Option(names = "--backup-dir", paramLabel = "DIR",
            description = {"Take backups while serving, each in a new directory under DIR (same as PDS_BACKUP_DIR).",
                    "SQLite only: with PostgreSQL (PDS_DATABASE_URL) the server refuses to start with it; back up with pg_dump."})
    Path backupDir;

    @Option(names = "--backup-every", paramLabel = "DURATION",
            description = "Time between backups: 30m, 6h, 1d (same as PDS_BACKUP_EVERY; default 1d).")
    String backupEvery;

    @Option(names = "--backup-keep", paramLabel = "N", description = "Keep the newest N backups (same as PDS_BACKUP_KEEP; default 7).")
    Integer backupKeep;

    @Override
    public Integer call() throws Exception {
        var values = ConfigSources.merge(envFile, System.getenv());
        if (debugRoutes) values.put("PDS_DEBUG_ROUTES", "true");
        if (backupDir != null) values.put("PDS_BACKUP_DIR", backupDir.toString());
        if (backupEvery != null) values.put("PDS_BACKUP_EVERY", backupEvery);
        if (backupKeep != null) values.put("PDS_BACKUP_KEEP", backupKeep.toString());
        var config = Config.from(values).validateOrThrow();
        Launcher.runUntilStopped(config, () -> System.out.println(
                "alteran " + config.env().label() + " serving " + config.did() + " on " + config.bindAddress() + ":" + config.port()));
        return 0;
    }
}
