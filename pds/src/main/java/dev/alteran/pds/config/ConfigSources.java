package dev.alteran.pds.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Merges the configuration sources; later wins: an optional {@code .env}/properties file, the
 * environment, then {@code NAME_FILE} (a path whose content is the secret, as Docker and systemd
 * credentials provide). Built-in defaults are applied by {@link Config}.
 */
public final class ConfigSources {
    private ConfigSources() {}

    public static Map<String, String> merge(Path envFile, Map<String, String> environment) {
        var values = new LinkedHashMap<String, String>();
        if (envFile != null) values.putAll(readEnvFile(envFile));
        environment.forEach((k, v) -> { if (Config.isKnownName(k) || k.endsWith("_FILE")) values.put(k, v); });
        for (var name : Config.NAMES) {
            var file = values.remove(name + "_FILE");
            if (file == null || file.isBlank()) continue;
            try {
                values.put(name, Files.readString(Path.of(file), StandardCharsets.UTF_8).strip());
            } catch (IOException e) {
                throw new ConfigException(java.util.List.of(name + "_FILE: cannot read " + file + " (" + e.getMessage() + ")"));
            }
        }
        return values;
    }

    /** Reads KEY=VALUE lines ({@code .env} or Java properties style); '#' comments, optional quotes and 'export '. */
    public static Map<String, String> readEnvFile(Path file) {
        try {
            var out = new LinkedHashMap<String, String>();
            for (var raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                var line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) continue;
                if (line.startsWith("export ")) line = line.substring(7).strip();
                int eq = line.indexOf('=');
                if (eq <= 0) continue;
                var key = line.substring(0, eq).strip();
                var value = line.substring(eq + 1).strip();
                if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"") || value.startsWith("'") && value.endsWith("'"))) {
                    value = value.substring(1, value.length() - 1);
                }
                out.put(key, value);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read configuration file " + file, e);
        }
    }
}
