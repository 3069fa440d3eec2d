package dev.alteran.pds.config;

import dev.alteran.pds.config.Config.RateLimitStorage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads the merged sources ({@link ConfigSources}) by option name into a {@link Config.Builder}: an
 * option not set keeps the builder's default, and a value that cannot be read is a problem (reported
 * with the others by {@link Config#validateOrThrow()}) that also keeps the default.
 */
final class ConfigParser {
    private final Map<String, String> values;
    private final List<String> problems = new ArrayList<>();

    private ConfigParser(Map<String, String> values) {
        this.values = values;
    }

    /** The values' options on a {@link Config#builder()}; problems reading them are kept for {@link Config#problems()}. */
    static Config parse(Map<String, String> values) {
        var p = new ConfigParser(values);
        var b = Config.builder().env(p.env());
        set(p.string("PDS_DID"), b::did);
        set(p.string("PDS_HANDLE"), b::handle);
        set(p.string("USER_PASSWORD"), b::userPassword);
        set(p.string("ACCESS_TOKEN"), b::accessTokenSecret);
        set(p.string("REFRESH_TOKEN"), b::refreshTokenSecret);
        set(p.string("REPO_SIGNING_KEY"), b::repoSigningKey);
        set(p.string("PDS_PLC_ROTATION_KEY"), b::plcRotationKey);
        set(p.string("PDS_DPOP_SECRET"), b::dpopSecret);
        set(p.string("PDS_RECOVERY_DID_KEY"), b::recoveryDidKey);
        b.email(new EmailConfig(p.string("PDS_EMAIL"), p.string("PDS_EMAIL_SMTP_URL"), p.string("PDS_EMAIL_FROM_ADDRESS")));
        set(p.string("PDS_HOSTNAME"), b::hostname);
        set(p.csv("PDS_ALLOWED_MIME"), b::allowedMime);
        set(p.number("PDS_MAX_BLOB_SIZE"), b::maxBlobSize);
        set(p.number("PDS_MAX_JSON_BYTES"), b::maxJsonBytes);
        set(p.number("PDS_RATE_LIMIT_PER_MIN"), n -> b.rateLimitPerMin(n.intValue()));
        set(p.number("PDS_RATE_LIMIT_LOGIN_PER_MIN"), n -> b.loginRateLimitPerMin(n.intValue()));
        set(p.number("PDS_RATE_LIMIT_BLOB_PER_MIN"), n -> b.blobRateLimitPerMin(n.intValue()));
        set(p.rateLimitStorage(), b::rateLimitStore);
        set(p.csv("PDS_TRUSTED_PROXIES"), b::trustedProxies);
        set(p.csv("PDS_CORS_ORIGIN"), b::corsOrigins);
        set(p.number("PDS_SEQ_WINDOW"), n -> b.seqWindow(n.intValue()));
        set(p.number("PDS_SEQ_RETENTION"), n -> b.seqRetention(n.intValue()));
        set(p.number("PDS_FIREHOSE_BUFFER"), n -> b.firehoseBuffer(n.intValue()));
        set(p.number("PDS_ACCESS_TTL_SEC"), b::accessTtlSec);
        set(p.number("PDS_OAUTH_ACCESS_TTL_SEC"), b::oauthAccessTtlSec);
        set(p.number("PDS_REFRESH_TTL_SEC"), b::refreshTtlSec);
        set(p.number("PDS_BLOB_QUOTA_BYTES"), b::blobQuotaBytes);
        set(p.number("PDS_MAX_REPO_IMPORT_SIZE"), b::maxRepoImportSize);
        var fs = BlobStorage.filesystem();
        b.blobStorage(new BlobStorage(
                or(p.string("PDS_BLOB_STORE"), fs.store()).toLowerCase(Locale.ROOT),
                p.string("PDS_S3_ENDPOINT"),
                p.string("PDS_S3_BUCKET"),
                or(p.string("PDS_S3_REGION"), fs.s3Region()),
                p.string("PDS_S3_ACCESS_KEY_ID"),
                p.string("PDS_S3_SECRET_ACCESS_KEY"),
                or(p.bool("PDS_S3_FORCE_PATH_STYLE"), fs.s3ForcePathStyle())));
        // PDS_RELAY_NOTIFY is the original's switch (false tells no relay, whatever PDS_RELAY_HOSTS lists;
        // true keeps the list or its default) and, with any other value, an alias of PDS_RELAY_HOSTS
        // (which wins when both list relays).
        var notify = p.string("PDS_RELAY_NOTIFY");
        var relays = p.csv("PDS_RELAY_HOSTS");
        if ("false".equalsIgnoreCase(notify)) b.relayHosts(List.of());
        else if (relays != null) b.relayHosts(relays);
        else if (notify != null && !"true".equalsIgnoreCase(notify)) set(p.csv("PDS_RELAY_NOTIFY"), b::relayHosts);
        set(p.string("PDS_PLC_URL"), b::plcUrl);
        set(p.bool("PDS_DEBUG_ROUTES"), b::debugRoutes);
        var proxy = ProxyConfig.defaults();
        b.proxy(new ProxyConfig(
                or(p.string("PDS_BSKY_APP_VIEW_URL"), proxy.appViewUrl()),
                or(p.string("PDS_BSKY_APP_VIEW_DID"), proxy.appViewDid()),
                // Ours win over the original's names for the same setting.
                or(p.string("PDS_CHAT_URL"), or(p.string("PDS_BSKY_CHAT_URL"), proxy.chatUrl())),
                or(p.string("PDS_CHAT_DID"), or(p.string("PDS_BSKY_CHAT_DID"), proxy.chatDid())),
                p.string("PDS_OZONE_URL"),
                p.string("PDS_OZONE_DID"),
                or(p.csv("PDS_PROXY_ALLOWED"), proxy.allowed()),
                or(p.number("PDS_PROXY_HEADERS_TIMEOUT"), proxy.headersTimeoutMs()),
                or(p.number("PDS_PROXY_BODY_TIMEOUT"), proxy.bodyTimeoutMs()),
                or(p.number("PDS_PROXY_MAX_RESPONSE_SIZE"), proxy.maxResponseBytes())));
        b.policyLinks(new PolicyLinks(p.string("PDS_LINK_PRIVACY"), p.string("PDS_LINK_TOS"), p.string("PDS_CONTACT_EMAIL")));
        b.metrics(new MetricsConfig(p.string("PDS_METRICS_TOKEN"), p.string("PDS_METRICS_ADDRESS")));
        set(p.string("PDS_BIND"), b::bindAddress);
        set(p.number("PDS_PORT"), n -> b.port(n.intValue()));
        set(p.string("PDS_DATA_DIR"), v -> b.dataDir(Path.of(v)));
        var backup = BackupSchedule.none();
        var backupDir = p.string("PDS_BACKUP_DIR");
        var backupKeep = p.number("PDS_BACKUP_KEEP");
        b.backup(new BackupSchedule(backupDir == null ? null : Path.of(backupDir), or(p.duration("PDS_BACKUP_EVERY"), backup.every()),
                backupKeep == null ? backup.keep() : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, backupKeep))));
        set(p.string("PDS_DATABASE_URL"), b::databaseUrl);
        return b.parseProblems(p.problems).build();
    }

    /** Sets what the sources set; what they leave out keeps the builder's default. */
    private static <T> void set(T value, Consumer<T> setter) {
        if (value != null) setter.accept(value);
    }

    private static <T> T or(T value, T fallback) {
        return value == null ? fallback : value;
    }

    /** The value, stripped; null when unset or blank. */
    private String string(String name) {
        var v = values.get(name);
        return v == null || v.isBlank() ? null : v.strip();
    }

    private Environment env() {
        var v = string("ALTERAN_ENV");
        if (v == null) return Environment.DEV;
        try {
            return Environment.parse(v);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
            return Environment.PRODUCTION; // the strictest checks, since the operator meant something
        }
    }

    private Boolean bool(String name) {
        var v = string(name);
        if (v == null) return null;
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> {
                problems.add(name + ": '" + v + "' is not true or false");
                yield null;
            }
        };
    }

    private Long number(String name) {
        var v = string(name);
        if (v == null) return null;
        try {
            return Long.parseLong(v.replace("_", ""));
        } catch (NumberFormatException e) {
            problems.add(name + ": '" + v + "' is not a whole number");
            return null;
        }
    }

    private java.time.Duration duration(String name) {
        var v = string(name);
        if (v == null) return null;
        try {
            return Durations.parse(v);
        } catch (IllegalArgumentException e) {
            problems.add(name + ": " + e.getMessage());
            return null;
        }
    }

    private RateLimitStorage rateLimitStorage() {
        var v = string("PDS_RATE_LIMIT_STORE");
        if (v == null) return null;
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "memory" -> RateLimitStorage.MEMORY;
            case "database" -> RateLimitStorage.DATABASE;
            default -> {
                problems.add("PDS_RATE_LIMIT_STORE: '" + v + "' is not memory or database");
                yield null;
            }
        };
    }

    /** The comma-separated entries; null when the name is absent (present but blank is an empty list). */
    private List<String> csv(String name) {
        if (!values.containsKey(name)) return null;
        return Arrays.stream(values.get(name).split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
