package dev.alteran.server;

import dev.alteran.pds.config.Config;
import dev.alteran.pds.config.ConfigException;
import dev.alteran.pds.config.ConfigSources;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options every data-directory command shares: where the configuration and the data are. */
final class DataOptions {
    @Option(names = "--env-file", description = "A KEY=VALUE file read before the environment (environment wins).")
    Path envFile;

    @Option(names = "--data", description = "The data directory (default: PDS_DATA_DIR, else ./data).")
    Path data;

    /** The merged configuration, not validated: each command checks only what it uses. */
    Config config() {
        return Config.from(values());
    }

    /** The merged sources, with --data applied. */
    Map<String, String> values() {
        var values = ConfigSources.merge(envFile, System.getenv());
        if (data != null) values.put("PDS_DATA_DIR", data.toString());
        return values;
    }

    /** Fails with the blob store's configuration problems, if any (what commands that read or write blobs need). */
    static void requireBlobStorage(Config config) {
        var problems = config.blobStorage().problems(config.maxBlobSize());
        if (!problems.isEmpty()) throw new ConfigException(problems);
    }

    /** The configuration with the account's DID and signing key checked (what repository commands need). */
    Config repoConfig() {
        var config = config();
        var problems = config.problems().stream()
                .filter(p -> p.startsWith("PDS_DID") || p.startsWith("REPO_SIGNING_KEY"))
                .toList();
        if (!problems.isEmpty()) throw new ConfigException(problems);
        return config;
    }
}
