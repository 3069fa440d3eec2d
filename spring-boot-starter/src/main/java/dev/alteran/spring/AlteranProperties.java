package dev.alteran.spring;

import dev.alteran.pds.config.Config;
import dev.alteran.pds.config.ConfigSources;
import dev.alteran.pds.config.ProxyConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * The {@code alteran.*} properties are the environment names under another spelling
 * ({@code alteran.blob-quota-bytes} is {@code PDS_BLOB_QUOTA_BYTES}, {@code alteran.env} is
 * {@code ALTERAN_ENV}): they are translated back and read by the one configuration parser, so meaning,
 * defaults, validation and error messages are the standalone server's.
 */
public final class AlteranProperties {
    public static final String PREFIX = "alteran";
    /** Not PDS settings but the starter's own: which DataSource bean holds the PDS, and whether it answers {@code /}. */
    public static final String DATASOURCE = PREFIX + ".datasource";
    public static final String INCLUDE_ROOT_ENDPOINT = PREFIX + ".include-root-endpoint";

    private AlteranProperties() {}

    /** Every environment name the parser reads, ours and the original's. */
    public static List<String> environmentNames() {
        return Stream.concat(Config.NAMES.stream(), ProxyConfig.NAMES.stream()).distinct().toList();
    }

    /** {@code PDS_BLOB_QUOTA_BYTES} → {@code alteran.blob-quota-bytes}; {@code USER_PASSWORD} → {@code alteran.user-password}. */
    public static String propertyName(String environmentName) {
        var rest = environmentName;
        if (rest.startsWith("PDS_")) rest = rest.substring(4);
        else if (rest.startsWith("ALTERAN_")) rest = rest.substring(8);
        return PREFIX + "." + rest.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * The values set under {@code alteran.*} (Boot's relaxed binding: kebab, camel case, {@code ALTERAN_...}
     * environment variables, YAML lists), by environment name; {@code alteran.x-file} is {@code X_FILE}.
     */
    public static Map<String, String> environmentValues(Environment environment) {
        var binder = Binder.get(environment);
        var values = new LinkedHashMap<String, String>();
        for (var name : environmentNames()) {
            read(binder, propertyName(name)).ifPresent(v -> values.put(name, v));
            read(binder, propertyName(name) + "-file").ifPresent(v -> values.put(name + "_FILE", v));
        }
        return values;
    }

    /** The configuration the properties describe, not yet validated ({@link Config#validateOrThrow()} reports every problem). */
    public static Config config(Environment environment) {
        return Config.from(ConfigSources.merge(null, environmentValues(environment)));
    }

    private static java.util.Optional<String> read(Binder binder, String property) {
        var single = binder.bind(property, Bindable.of(String.class));
        if (single.isBound()) return java.util.Optional.of(single.get());
        // A YAML list (relay-hosts: [a, b]) is the comma-separated value the parser reads.
        var list = binder.bind(property, Bindable.listOf(String.class));
        return list.isBound() ? java.util.Optional.of(String.join(",", list.get())) : java.util.Optional.empty();
    }
}
