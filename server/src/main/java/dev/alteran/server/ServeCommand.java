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

    @Override
    public Integer call() throws Exception {
        var values = ConfigSources.merge(envFile, System.getenv());
        if (debugRoutes) values.put("PDS_DEBUG_ROUTES", "true");
        var config = Config.from(values).validateOrThrow();
        Launcher.runUntilStopped(config, () -> System.out.println(
                "alteran " + config.env().label() + " serving " + config.did() + " on " + config.bindAddress() + ":" + config.port()));
        return 0;
    }
}
