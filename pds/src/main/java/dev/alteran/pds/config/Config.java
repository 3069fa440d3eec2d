package dev.alteran.pds.config;

import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.syntax.Did;
import dev.alteran.atproto.syntax.Handle;
import dev.alteran.pds.auth.AccountPassword;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The PDS configuration: every option of the original Alteran by the same name, plus where the
 * standalone server listens and keeps its data. Built from merged sources ({@link ConfigSources});
 * {@link #validateOrThrow()} refuses start-up with every problem listed at once.
 */
public record Config(
        Environment env,
        String did,
        String handle,
        String userPassword,
        String accessTokenSecret,
        String refreshTokenSecret,
        String repoSigningKey,
        String hostname,
        List<String> allowedMime,
        long maxBlobSize,
        long maxJsonBytes,
        int rateLimitPerMin,
        int loginRateLimitPerMin,
        int blobRateLimitPerMin,
        RateLimitStorage rateLimitStore,
        List<String> trustedProxies,
        List<String> corsOrigins,
        int seqWindow,
        int seqRetention,
        int firehoseBuffer,
        long accessTtlSec,
        long refreshTtlSec,
        long blobQuotaBytes,
        long maxRepoImportSize,
        BlobStorage blobStorage,
        List<String> relayHosts,
        String plcUrl,
        boolean debugRoutes,
        ProxyConfig proxy,
        String bindAddress,
        int port,
        Path dataDir,
        List<String> parseProblems) {

    public static final List<String> NAMES = List.of(
            "ALTERAN_ENV", "PDS_DID", "PDS_HANDLE", "USER_PASSWORD", "ACCESS_TOKEN", "REFRESH_TOKEN",
            "REPO_SIGNING_KEY", "PDS_HOSTNAME", "PDS_ALLOWED_MIME", "PDS_MAX_BLOB_SIZE", "PDS_MAX_JSON_BYTES",
            "PDS_RATE_LIMIT_PER_MIN", "PDS_RATE_LIMIT_LOGIN_PER_MIN", "PDS_RATE_LIMIT_BLOB_PER_MIN",
            "PDS_RATE_LIMIT_STORE", "PDS_TRUSTED_PROXIES", "PDS_CORS_ORIGIN", "PDS_SEQ_WINDOW", "PDS_SEQ_RETENTION",
            "PDS_FIREHOSE_BUFFER", "PDS_ACCESS_TTL_SEC", "PDS_REFRESH_TTL_SEC", "PDS_BLOB_QUOTA_BYTES", "PDS_MAX_REPO_IMPORT_SIZE",
            "PDS_BLOB_STORE", "PDS_S3_ENDPOINT", "PDS_S3_BUCKET", "PDS_S3_REGION", "PDS_S3_ACCESS_KEY_ID",
            "PDS_S3_SECRET_ACCESS_KEY", "PDS_S3_FORCE_PATH_STYLE", "PDS_RELAY_HOSTS", "PDS_PLC_URL", "PDS_DEBUG_ROUTES",
            "PDS_BIND", "PDS_PORT", "PDS_DATA_DIR");
    private static final Set<String> NAME_SET = Stream.concat(NAMES.stream(), ProxyConfig.NAMES.stream())
            .collect(Collectors.toUnmodifiableSet());

    public static final String DEFAULT_ALLOWED_MIME =
            "image/jpeg,image/png,image/gif,image/webp,image/avif,image/heic,image/heif,video/mp4,video/mpeg,video/webm,video/quicktime";
    /** The public did:plc directory, where did:plc documents are read. */
    public static final String DEFAULT_PLC_URL = "https://plc.directory";
    /** The largest repository CAR com.atproto.repo.importRepo accepts: far above a large personal repository. */
    public static final long DEFAULT_MAX_REPO_IMPORT_SIZE = 1L << 30;
    /** HMAC keys shorter than this are guessable; HS256 wants at least 256 bits. */
    static final int MIN_SECRET_LENGTH = 32;

    /** Where rate-limit counters live: this process, or the shared database when several instances serve one account. */
    public enum RateLimitStorage { MEMORY, DATABASE }

    public static boolean isKnownName(String name) {
        return NAME_SET.contains(name);
    }

    /** Built-in defaults under the merged values. Type errors are kept and reported by {@link #validateOrThrow()}. */
    public static Config from(Map<String, String> values) {
        var p = new Parser(values);
        var env = p.env();
        return new Config(
                env,
                p.string("PDS_DID"),
                p.string("PDS_HANDLE") == null ? null : p.string("PDS_HANDLE").toLowerCase(Locale.ROOT),
                p.string("USER_PASSWORD"),
                p.string("ACCESS_TOKEN"),
                p.string("REFRESH_TOKEN"),
                p.string("REPO_SIGNING_KEY"),
                p.string("PDS_HOSTNAME"),
                p.csv("PDS_ALLOWED_MIME", DEFAULT_ALLOWED_MIME),
                p.number("PDS_MAX_BLOB_SIZE", 5L * 1024 * 1024),
                p.number("PDS_MAX_JSON_BYTES", 64L * 1024),
                (int) p.number("PDS_RATE_LIMIT_PER_MIN", 60),
                (int) p.number("PDS_RATE_LIMIT_LOGIN_PER_MIN", 10),
                (int) p.number("PDS_RATE_LIMIT_BLOB_PER_MIN", 30),
                p.rateLimitStorage(),
                p.csv("PDS_TRUSTED_PROXIES", ""),
                p.csv("PDS_CORS_ORIGIN", env == Environment.DEV ? "*" : ""),
                (int) p.number("PDS_SEQ_WINDOW", 512),
                (int) p.number("PDS_SEQ_RETENTION", 10_000),
                (int) p.number("PDS_FIREHOSE_BUFFER", 500),
                p.number("PDS_ACCESS_TTL_SEC", 3600),
                p.number("PDS_REFRESH_TTL_SEC", 2_592_000),
                p.number("PDS_BLOB_QUOTA_BYTES", 10L * 1024 * 1024 * 1024),
                p.number("PDS_MAX_REPO_IMPORT_SIZE", DEFAULT_MAX_REPO_IMPORT_SIZE),
                new BlobStorage(
                        p.stringOr("PDS_BLOB_STORE", BlobStorage.FS).toLowerCase(Locale.ROOT),
                        p.string("PDS_S3_ENDPOINT"),
                        p.string("PDS_S3_BUCKET"),
                        p.stringOr("PDS_S3_REGION", BlobStorage.DEFAULT_REGION),
                        p.string("PDS_S3_ACCESS_KEY_ID"),
                        p.string("PDS_S3_SECRET_ACCESS_KEY"),
                        p.bool("PDS_S3_FORCE_PATH_STYLE", false)),
                // A development server is not announced to the public relay unless asked to.
                p.csv("PDS_RELAY_HOSTS", env == Environment.DEV ? "" : "bsky.network"),
                stripTrailingSlash(p.stringOr("PDS_PLC_URL", DEFAULT_PLC_URL)),
                p.bool("PDS_DEBUG_ROUTES", false),
                new ProxyConfig(
                        stripTrailingSlash(p.stringOr("PDS_BSKY_APP_VIEW_URL", ProxyConfig.DEFAULT_APP_VIEW_URL)),
                        p.stringOr("PDS_BSKY_APP_VIEW_DID", ProxyConfig.DEFAULT_APP_VIEW_DID),
                        stripTrailingSlash(p.stringOr("PDS_CHAT_URL", ProxyConfig.DEFAULT_CHAT_URL)),
                        p.stringOr("PDS_CHAT_DID", ProxyConfig.DEFAULT_CHAT_DID),
                        p.csv("PDS_PROXY_ALLOWED", ""),
                        p.number("PDS_PROXY_HEADERS_TIMEOUT", 10_000),
                        p.number("PDS_PROXY_BODY_TIMEOUT", 30_000),
                        p.number("PDS_PROXY_MAX_RESPONSE_SIZE", 10L * 1024 * 1024)),
                p.stringOr("PDS_BIND", env == Environment.DEV ? "127.0.0.1" : "0.0.0.0"),
                (int) p.number("PDS_PORT", 2583),
                Path.of(p.stringOr("PDS_DATA_DIR", "data")),
                List.copyOf(p.problems));
    }

    public static Config fromEnvironment(Path envFile) {
        return from(ConfigSources.merge(envFile, System.getenv()));
    }

    /** Every problem at once, so an operator fixes the file in one go. */
    public List<String> problems() {
        var problems = new ArrayList<>(parseProblems);
        requireSet(problems, "PDS_DID", did);
        requireSet(problems, "PDS_HANDLE", handle);
        requireSet(problems, "USER_PASSWORD", userPassword);
        requireSet(problems, "ACCESS_TOKEN", accessTokenSecret);
        requireSet(problems, "REFRESH_TOKEN", refreshTokenSecret);
        requireSet(problems, "REPO_SIGNING_KEY", repoSigningKey);
        var passwordProblem = AccountPassword.problem(userPassword);
        if (passwordProblem != null) problems.add(passwordProblem);
        if (did != null && !did.isEmpty() && !Did.isValid(did)) problems.add("PDS_DID: '" + did + "' is not a valid DID");
        if (did != null && Did.isValid(did) && !did.startsWith("did:web:") && !did.startsWith("did:plc:")) {
            problems.add("PDS_DID: only did:web and did:plc are supported by atproto, not '" + did + "'");
        }
        if (handle != null && !handle.isEmpty() && !Handle.isValid(handle)) problems.add("PDS_HANDLE: '" + handle + "' is not a valid handle");
        if (repoSigningKey != null && !repoSigningKey.isEmpty()) {
            try {
                Keypair.parsePrivateKey(Curve.K256, repoSigningKey);
            } catch (IllegalArgumentException e) {
                problems.add("REPO_SIGNING_KEY: not a valid secp256k1 private key (" + e.getMessage() + ")");
            }
        }
        if (env == Environment.PRODUCTION) {
            requireSet(problems, "PDS_HOSTNAME", hostname);
            strongSecret(problems, "ACCESS_TOKEN", accessTokenSecret);
            strongSecret(problems, "REFRESH_TOKEN", refreshTokenSecret);
            if (accessTokenSecret != null && accessTokenSecret.equals(refreshTokenSecret)) {
                problems.add("ACCESS_TOKEN and REFRESH_TOKEN must be different keys");
            }
            if (corsOrigins.contains("*")) problems.add("PDS_CORS_ORIGIN: a wildcard is not allowed in production; list the origins");
        }
        for (var origin : corsOrigins) {
            if (!origin.equals("*") && !origin.matches("https?://[^/\\s]+")) {
                problems.add("PDS_CORS_ORIGIN: '" + origin + "' is not an origin like https://example.com");
            }
        }
        if (hostname != null && !hostname.isEmpty() && !hostname.matches("[A-Za-z0-9.-]+(:[0-9]{1,5})?")) {
            problems.add("PDS_HOSTNAME: '" + hostname + "' must be a bare host name (no scheme or path)");
        }
        if (!plcUrl.matches("https?://[^/\\s?#]+(/[^\\s?#]*)?")) {
            problems.add("PDS_PLC_URL: '" + plcUrl + "' is not an http(s) URL like " + DEFAULT_PLC_URL);
        } else if (env == Environment.PRODUCTION && !plcUrl.startsWith("https://")) {
            problems.add("PDS_PLC_URL: must be https in production, not '" + plcUrl + "'");
        }
        proxy.addProblems(env, problems);
        for (var mime : allowedMime) {
            if (!mime.matches("[a-z0-9.+-]+/[a-z0-9.+*-]+")) problems.add("PDS_ALLOWED_MIME: '" + mime + "' is not a MIME type");
        }
        positive(problems, "PDS_MAX_BLOB_SIZE", maxBlobSize);
        positive(problems, "PDS_MAX_JSON_BYTES", maxJsonBytes);
        positive(problems, "PDS_RATE_LIMIT_PER_MIN", rateLimitPerMin);
        positive(problems, "PDS_RATE_LIMIT_LOGIN_PER_MIN", loginRateLimitPerMin);
        positive(problems, "PDS_RATE_LIMIT_BLOB_PER_MIN", blobRateLimitPerMin);
        for (var proxy : trustedProxies) {
            if (!TrustedProxies.isValidEntry(proxy)) {
                problems.add("PDS_TRUSTED_PROXIES: '" + proxy + "' is not an IP address or CIDR range like 10.0.0.0/8");
            }
        }
        positive(problems, "PDS_SEQ_WINDOW", seqWindow);
        positive(problems, "PDS_SEQ_RETENTION", seqRetention);
        positive(problems, "PDS_FIREHOSE_BUFFER", firehoseBuffer);
        for (var relay : relayHosts) {
            if (!relay.matches("(https?://)?[A-Za-z0-9.-]+(:[0-9]{1,5})?/?")) {
                problems.add("PDS_RELAY_HOSTS: '" + relay + "' is not a host name (or an http(s) URL of a host)");
            } else if (env == Environment.PRODUCTION && relay.startsWith("http://")) {
                problems.add("PDS_RELAY_HOSTS: must be https in production, not '" + relay + "'");
            }
        }
        positive(problems, "PDS_ACCESS_TTL_SEC", accessTtlSec);
        positive(problems, "PDS_REFRESH_TTL_SEC", refreshTtlSec);
        positive(problems, "PDS_BLOB_QUOTA_BYTES", blobQuotaBytes);
        positive(problems, "PDS_MAX_REPO_IMPORT_SIZE", maxRepoImportSize);
        problems.addAll(blobStorage.problems(maxBlobSize));
        if (port < 0 || port > 65535) problems.add("PDS_PORT: must be between 0 and 65535, not " + port);
        return problems;
    }

    public Config validateOrThrow() {
        var problems = problems();
        if (!problems.isEmpty()) throw new ConfigException(problems);
        return this;
    }

    public boolean isProduction() {
        return env == Environment.PRODUCTION;
    }

    /** The repo signing key; only call on a validated config. */
    public Keypair signingKey() {
        return Keypair.parsePrivateKey(Curve.K256, repoSigningKey);
    }

    public Config withDataDir(Path dir) {
        return new Config(env, did, handle, userPassword, accessTokenSecret, refreshTokenSecret, repoSigningKey, hostname,
                allowedMime, maxBlobSize, maxJsonBytes, rateLimitPerMin, loginRateLimitPerMin, blobRateLimitPerMin, rateLimitStore,
                trustedProxies, corsOrigins, seqWindow, seqRetention, firehoseBuffer, accessTtlSec, refreshTtlSec, blobQuotaBytes, maxRepoImportSize,
                blobStorage, relayHosts, plcUrl, debugRoutes, proxy, bindAddress, port, dir, parseProblems);
    }

    public Config withPort(int newPort) {
        return new Config(env, did, handle, userPassword, accessTokenSecret, refreshTokenSecret, repoSigningKey, hostname,
                allowedMime, maxBlobSize, maxJsonBytes, rateLimitPerMin, loginRateLimitPerMin, blobRateLimitPerMin, rateLimitStore,
                trustedProxies, corsOrigins, seqWindow, seqRetention, firehoseBuffer, accessTtlSec, refreshTtlSec, blobQuotaBytes, maxRepoImportSize,
                blobStorage, relayHosts, plcUrl, debugRoutes, proxy, bindAddress, newPort, dataDir, parseProblems);
    }

    private static String stripTrailingSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static void requireSet(List<String> problems, String name, String value) {
        if (value == null || value.isBlank()) problems.add(name + ": required but not set");
    }

    private static void strongSecret(List<String> problems, String name, String value) {
        if (value != null && !value.isBlank() && value.length() < MIN_SECRET_LENGTH) {
            problems.add(name + ": too short for an HMAC key (at least " + MIN_SECRET_LENGTH + " characters; `alteran secrets` makes one)");
        }
    }

    private static void positive(List<String> problems, String name, long value) {
        if (value <= 0) problems.add(name + ": must be a positive number, not " + value);
    }

    @Override
    public String toString() {
        // Never print secrets: records would otherwise render every field.
        return "Config[env=" + env.label() + ", did=" + did + ", handle=" + handle + ", hostname=" + hostname
                + ", bind=" + bindAddress + ":" + port + ", dataDir=" + dataDir + "]";
    }

    private static final class Parser {
        final Map<String, String> values;
        final List<String> problems = new ArrayList<>();

        Parser(Map<String, String> values) {
            this.values = values;
        }

        String string(String name) {
            var v = values.get(name);
            return v == null || v.isBlank() ? null : v.strip();
        }

        String stringOr(String name, String fallback) {
            var v = string(name);
            return v == null ? fallback : v;
        }

        Environment env() {
            try {
                return Environment.parse(stringOr("ALTERAN_ENV", "dev"));
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
                return Environment.PRODUCTION; // the strictest checks, since the operator meant something
            }
        }

        boolean bool(String name, boolean fallback) {
            var v = string(name);
            if (v == null) return fallback;
            return switch (v.toLowerCase(Locale.ROOT)) {
                case "true", "1", "yes" -> true;
                case "false", "0", "no" -> false;
                default -> {
                    problems.add(name + ": '" + v + "' is not true or false");
                    yield fallback;
                }
            };
        }

        long number(String name, long fallback) {
            var v = string(name);
            if (v == null) return fallback;
            try {
                return Long.parseLong(v.replace("_", ""));
            } catch (NumberFormatException e) {
                problems.add(name + ": '" + v + "' is not a whole number");
                return fallback;
            }
        }

        RateLimitStorage rateLimitStorage() {
            var v = stringOr("PDS_RATE_LIMIT_STORE", "memory");
            return switch (v.toLowerCase(Locale.ROOT)) {
                case "memory" -> RateLimitStorage.MEMORY;
                case "database" -> RateLimitStorage.DATABASE;
                default -> {
                    problems.add("PDS_RATE_LIMIT_STORE: '" + v + "' is not memory or database");
                    yield RateLimitStorage.MEMORY;
                }
            };
        }

        List<String> csv(String name, String fallback) {
            var v = values.containsKey(name) ? values.get(name) : fallback;
            return Arrays.stream(v.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        }
    }
}
