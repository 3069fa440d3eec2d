package dev.alteran.pds.config;

import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.DidKeys;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.syntax.Did;
import dev.alteran.atproto.syntax.Handle;
import dev.alteran.pds.auth.AccountPassword;
import dev.alteran.pds.store.PostgresUrl;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The PDS configuration: every option of the original Alteran by the same name, plus where the
 * standalone server listens and keeps its data. Built from merged sources ({@link #from}, see
 * {@link ConfigSources}) or in code ({@link #builder()}); {@link #validateOrThrow()} refuses
 * start-up with every problem listed at once.
 */
public final class Config {
    public static final List<String> NAMES = List.of(
            "ALTERAN_ENV", "PDS_DID", "PDS_HANDLE", "USER_PASSWORD", "ACCESS_TOKEN", "REFRESH_TOKEN",
            "REPO_SIGNING_KEY", "PDS_PLC_ROTATION_KEY", "PDS_RECOVERY_DID_KEY", "PDS_EMAIL", "PDS_EMAIL_SMTP_URL", "PDS_EMAIL_FROM_ADDRESS",
            "PDS_DPOP_SECRET", "PDS_HOSTNAME", "PDS_ALLOWED_MIME", "PDS_MAX_BLOB_SIZE", "PDS_MAX_JSON_BYTES",
            "PDS_RATE_LIMIT_PER_MIN", "PDS_RATE_LIMIT_LOGIN_PER_MIN", "PDS_RATE_LIMIT_BLOB_PER_MIN",
            "PDS_RATE_LIMIT_STORE", "PDS_TRUSTED_PROXIES", "PDS_CORS_ORIGIN", "PDS_SEQ_WINDOW", "PDS_SEQ_RETENTION",
            "PDS_FIREHOSE_BUFFER", "PDS_ACCESS_TTL_SEC", "PDS_OAUTH_ACCESS_TTL_SEC", "PDS_REFRESH_TTL_SEC", "PDS_BLOB_QUOTA_BYTES", "PDS_MAX_REPO_IMPORT_SIZE",
            "PDS_BLOB_STORE", "PDS_S3_ENDPOINT", "PDS_S3_BUCKET", "PDS_S3_REGION", "PDS_S3_ACCESS_KEY_ID",
            "PDS_S3_SECRET_ACCESS_KEY", "PDS_S3_FORCE_PATH_STYLE", "PDS_RELAY_HOSTS", "PDS_PLC_URL", "PDS_DEBUG_ROUTES",
            "PDS_BIND", "PDS_PORT", "PDS_DATA_DIR", "PDS_DATABASE_URL",
            "PDS_BACKUP_DIR", "PDS_BACKUP_EVERY", "PDS_BACKUP_KEEP",
            "PDS_LINK_PRIVACY", "PDS_LINK_TOS", "PDS_CONTACT_EMAIL", "PDS_RELAY_NOTIFY", "PDS_METRICS_TOKEN", "PDS_METRICS_ADDRESS");
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
    private static final java.util.regex.Pattern DPOP_SECRET = java.util.regex.Pattern.compile("[0-9a-fA-F]{64}");

    /** Where rate-limit counters live: this process, or the shared database when several instances serve one account. */
    public enum RateLimitStorage { MEMORY, DATABASE }

    public static boolean isKnownName(String name) {
        return NAME_SET.contains(name);
    }

    private final Environment env;
    private final String did;
    private final String handle;
    private final String userPassword;
    private final String accessTokenSecret;
    private final String refreshTokenSecret;
    private final String repoSigningKey;
    private final String plcRotationKey;
    private final String dpopSecret;
    private final String recoveryDidKey;
    private final EmailConfig email;
    private final BackupSchedule backup;
    private final String hostname;
    private final List<String> allowedMime;
    private final long maxBlobSize;
    private final long maxJsonBytes;
    private final int rateLimitPerMin;
    private final int loginRateLimitPerMin;
    private final int blobRateLimitPerMin;
    private final RateLimitStorage rateLimitStore;
    private final List<String> trustedProxies;
    private final List<String> corsOrigins;
    private final int seqWindow;
    private final int seqRetention;
    private final int firehoseBuffer;
    private final long accessTtlSec;
    private final long oauthAccessTtlSec;
    private final long refreshTtlSec;
    private final long blobQuotaBytes;
    private final long maxRepoImportSize;
    private final BlobStorage blobStorage;
    private final List<String> relayHosts;
    private final String plcUrl;
    private final boolean debugRoutes;
    private final ProxyConfig proxy;
    private final PolicyLinks policyLinks;
    private final MetricsConfig metrics;
    private final String bindAddress;
    private final int port;
    private final Path dataDir;
    private final String databaseUrl;
    /** Values the sources set that could not be read (reported by {@link #problems()}). */
    private final List<String> parseProblems;

    private Config(Builder b) {
        this.env = b.env;
        this.did = b.did;
        this.handle = b.handle;
        this.userPassword = b.userPassword;
        this.accessTokenSecret = b.accessTokenSecret;
        this.refreshTokenSecret = b.refreshTokenSecret;
        this.repoSigningKey = b.repoSigningKey;
        this.plcRotationKey = b.plcRotationKey;
        this.dpopSecret = b.dpopSecret;
        this.recoveryDidKey = b.recoveryDidKey;
        this.email = b.email;
        this.backup = b.backup;
        this.hostname = b.hostname;
        this.allowedMime = b.allowedMime;
        this.maxBlobSize = b.maxBlobSize;
        this.maxJsonBytes = b.maxJsonBytes;
        this.rateLimitPerMin = b.rateLimitPerMin;
        this.loginRateLimitPerMin = b.loginRateLimitPerMin;
        this.blobRateLimitPerMin = b.blobRateLimitPerMin;
        this.trustedProxies = b.trustedProxies;
        this.seqWindow = b.seqWindow;
        this.seqRetention = b.seqRetention;
        this.firehoseBuffer = b.firehoseBuffer;
        this.accessTtlSec = b.accessTtlSec;
        this.oauthAccessTtlSec = b.oauthAccessTtlSec;
        this.refreshTtlSec = b.refreshTtlSec;
        this.blobQuotaBytes = b.blobQuotaBytes;
        this.maxRepoImportSize = b.maxRepoImportSize;
        this.blobStorage = b.blobStorage;
        this.plcUrl = b.plcUrl;
        this.debugRoutes = b.debugRoutes;
        this.proxy = b.proxy;
        this.policyLinks = b.policyLinks;
        this.metrics = b.metrics;
        this.port = b.port;
        this.dataDir = b.dataDir;
        this.databaseUrl = b.databaseUrl;
        // Several instances on one PostgreSQL database share their counters unless told otherwise.
        this.rateLimitStore = b.rateLimitStore != null ? b.rateLimitStore
                : b.databaseUrl != null ? RateLimitStorage.DATABASE : RateLimitStorage.MEMORY;
        this.corsOrigins = b.corsOrigins != null ? b.corsOrigins : b.env == Environment.DEV ? List.of("*") : List.of();
        // A development server is not announced to the public relay unless asked to.
        this.relayHosts = b.relayHosts != null ? b.relayHosts : b.env == Environment.DEV ? List.of() : List.of("bsky.network");
        this.bindAddress = b.bindAddress != null ? b.bindAddress : b.env == Environment.DEV ? "127.0.0.1" : "0.0.0.0";
        this.parseProblems = b.parseProblems;
    }

    /** A configuration in code: the built-in defaults, then whatever is set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values, to change some of them. */
    public Builder toBuilder() {
        var b = new Builder();
        b.env = env;
        b.did = did;
        b.handle = handle;
        b.userPassword = userPassword;
        b.accessTokenSecret = accessTokenSecret;
        b.refreshTokenSecret = refreshTokenSecret;
        b.repoSigningKey = repoSigningKey;
        b.plcRotationKey = plcRotationKey;
        b.dpopSecret = dpopSecret;
        b.recoveryDidKey = recoveryDidKey;
        b.email = email;
        b.backup = backup;
        b.hostname = hostname;
        b.allowedMime = allowedMime;
        b.maxBlobSize = maxBlobSize;
        b.maxJsonBytes = maxJsonBytes;
        b.rateLimitPerMin = rateLimitPerMin;
        b.loginRateLimitPerMin = loginRateLimitPerMin;
        b.blobRateLimitPerMin = blobRateLimitPerMin;
        b.rateLimitStore = rateLimitStore;
        b.trustedProxies = trustedProxies;
        b.corsOrigins = corsOrigins;
        b.seqWindow = seqWindow;
        b.seqRetention = seqRetention;
        b.firehoseBuffer = firehoseBuffer;
        b.accessTtlSec = accessTtlSec;
        b.oauthAccessTtlSec = oauthAccessTtlSec;
        b.refreshTtlSec = refreshTtlSec;
        b.blobQuotaBytes = blobQuotaBytes;
        b.maxRepoImportSize = maxRepoImportSize;
        b.blobStorage = blobStorage;
        b.relayHosts = relayHosts;
        b.plcUrl = plcUrl;
        b.debugRoutes = debugRoutes;
        b.proxy = proxy;
        b.policyLinks = policyLinks;
        b.metrics = metrics;
        b.bindAddress = bindAddress;
        b.port = port;
        b.dataDir = dataDir;
        b.databaseUrl = databaseUrl;
        b.parseProblems = parseProblems;
        return b;
    }

    /** Built-in defaults under the merged values. Type errors are kept and reported by {@link #validateOrThrow()}. */
    public static Config from(Map<String, String> values) {
        return ConfigParser.parse(values);
    }

    public static Config fromEnvironment(Path envFile) {
        return from(ConfigSources.merge(envFile, System.getenv()));
    }

    /** Every problem at once, so an operator fixes the file in one go. */
    public List<String> problems() {
        var problems = new ArrayList<>(parseProblems);
        if (databaseUrl != null) {
            try {
                PostgresUrl.parse(databaseUrl);
            } catch (IllegalArgumentException e) {
                problems.add(databaseUrlProblem(e));
            }
        }
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
        if (plcRotationKey != null && !plcRotationKey.isEmpty()) {
            try {
                var rotation = Keypair.parsePrivateKey(Curve.K256, plcRotationKey);
                if (plcRotationKey.equals(repoSigningKey) || (repoSigningKey != null && rotationKeyIsSigningKey(rotation))) {
                    problems.add("PDS_PLC_ROTATION_KEY: must not be the repo signing key (`alteran secrets` makes a separate one)");
                }
            } catch (IllegalArgumentException e) {
                problems.add("PDS_PLC_ROTATION_KEY: not a valid secp256k1 private key (" + e.getMessage() + ")");
            }
        }
        if (dpopSecret != null && !DPOP_SECRET.matcher(dpopSecret).matches()) {
            problems.add("PDS_DPOP_SECRET: must be 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`");
        }
        if (recoveryDidKey != null && !recoveryDidKey.isEmpty()) {
            try {
                var key = DidKeys.parseDidKey(recoveryDidKey);
                if (!key.didKey().equals(recoveryDidKey)) problems.add("PDS_RECOVERY_DID_KEY: not in its canonical did:key form (" + key.didKey() + ")");
            } catch (IllegalArgumentException e) {
                problems.add("PDS_RECOVERY_DID_KEY: '" + recoveryDidKey + "' is not a secp256k1 or P-256 did:key (" + e.getMessage() + ")");
            }
        }
        problems.addAll(email.problems());
        problems.addAll(backup.problems());
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
        policyLinks.addProblems(problems);
        metrics.addProblems(problems);
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
        positive(problems, "PDS_OAUTH_ACCESS_TTL_SEC", oauthAccessTtlSec);
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

    private boolean rotationKeyIsSigningKey(Keypair rotation) {
        try {
            return rotation.didKey().equals(Keypair.parsePrivateKey(Curve.K256, repoSigningKey).didKey());
        } catch (IllegalArgumentException e) {
            return false; // reported as a REPO_SIGNING_KEY problem
        }
    }

    /** This server's PLC rotation key (PDS_PLC_ROTATION_KEY), empty when not configured; only call on a validated config. */
    public Optional<Keypair> plcRotationKeypair() {
        if (plcRotationKey == null || plcRotationKey.isBlank()) return Optional.empty();
        return Optional.of(Keypair.parsePrivateKey(Curve.K256, plcRotationKey));
    }

    /** The account owner's own PLC recovery key (PDS_RECOVERY_DID_KEY) as a did:key, empty when not configured. */
    public Optional<String> recoveryDidKey() {
        return recoveryDidKey == null || recoveryDidKey.isBlank() ? Optional.empty() : Optional.of(recoveryDidKey);
    }

    /** The account's e-mail address and the SMTP settings ({@code PDS_EMAIL}, {@code PDS_EMAIL_SMTP_URL}, {@code PDS_EMAIL_FROM_ADDRESS}). */
    public EmailConfig email() {
        return email;
    }

    /** The server's own backups (PDS_BACKUP_DIR, PDS_BACKUP_EVERY, PDS_BACKUP_KEEP); {@link BackupSchedule#enabled()} says whether any. */
    public BackupSchedule backup() {
        return backup;
    }

    public Config withDataDir(Path dir) {
        return toBuilder().dataDir(dir).build();
    }

    public Config withPort(int newPort) {
        return toBuilder().port(newPort).build();
    }

    public Environment env() {
        return env;
    }

    public String did() {
        return did;
    }

    public String handle() {
        return handle;
    }

    public String userPassword() {
        return userPassword;
    }

    public String accessTokenSecret() {
        return accessTokenSecret;
    }

    public String refreshTokenSecret() {
        return refreshTokenSecret;
    }

    public String repoSigningKey() {
        return repoSigningKey;
    }

    /**
     * PDS_DPOP_SECRET: the key of the DPoP nonces as 64 hex characters, so that instances sharing it
     * accept each other's nonces and a restart keeps them valid; null when unset (a random key per
     * start, as the reference PDS does).
     */
    public String dpopSecret() {
        return dpopSecret;
    }

    /** PDS_PLC_ROTATION_KEY as configured (null when unset); {@link #plcRotationKeypair()} is the key. */
    public String plcRotationKey() {
        return plcRotationKey;
    }

    public String hostname() {
        return hostname;
    }

    /**
     * This server's own DID, {@code did:web:PDS_HOSTNAME} (a port written {@code %3A}), as the reference
     * PDS names itself: describeServer reports it, and service tokens addressed to this server carry it
     * as their audience. Without a host name (development) it is the account's DID.
     */
    public String serviceDid() {
        return hostname == null || hostname.isEmpty() ? did : "did:web:" + hostname.toLowerCase(Locale.ROOT).replace(":", "%3A");
    }

    public List<String> allowedMime() {
        return allowedMime;
    }

    public long maxBlobSize() {
        return maxBlobSize;
    }

    public long maxJsonBytes() {
        return maxJsonBytes;
    }

    public int rateLimitPerMin() {
        return rateLimitPerMin;
    }

    public int loginRateLimitPerMin() {
        return loginRateLimitPerMin;
    }

    public int blobRateLimitPerMin() {
        return blobRateLimitPerMin;
    }

    public RateLimitStorage rateLimitStore() {
        return rateLimitStore;
    }

    public List<String> trustedProxies() {
        return trustedProxies;
    }

    public List<String> corsOrigins() {
        return corsOrigins;
    }

    public int seqWindow() {
        return seqWindow;
    }

    public int seqRetention() {
        return seqRetention;
    }

    public int firehoseBuffer() {
        return firehoseBuffer;
    }

    public long accessTtlSec() {
        return accessTtlSec;
    }

    /** How long an OAuth access token lives ({@code PDS_OAUTH_ACCESS_TTL_SEC}, the reference's hour by default). */
    public long oauthAccessTtlSec() {
        return oauthAccessTtlSec;
    }

    /**
     * The OAuth issuer and the origin DPoP proofs are made for: {@code https://PDS_HOSTNAME}, or in
     * development {@code http://PDS_HOSTNAME} ({@code http://localhost:PDS_PORT} without one). Never
     * taken from a request, so a reverse proxy or a forged Host header cannot change it.
     */
    public String publicOrigin() {
        if (hostname == null || hostname.isEmpty()) return "http://localhost:" + port;
        return (env == Environment.DEV ? "http://" : "https://") + hostname.toLowerCase(Locale.ROOT);
    }

    public long refreshTtlSec() {
        return refreshTtlSec;
    }

    public long blobQuotaBytes() {
        return blobQuotaBytes;
    }

    public long maxRepoImportSize() {
        return maxRepoImportSize;
    }

    public BlobStorage blobStorage() {
        return blobStorage;
    }

    public List<String> relayHosts() {
        return relayHosts;
    }

    public String plcUrl() {
        return plcUrl;
    }

    public boolean debugRoutes() {
        return debugRoutes;
    }

    public ProxyConfig proxy() {
        return proxy;
    }

    /** describeServer's {@code links} and {@code contact} (the original's PDS_LINK_* and PDS_CONTACT_EMAIL). */
    public PolicyLinks policyLinks() {
        return policyLinks;
    }

    /** Whether and where the standalone server serves {@code /metrics}. */
    public MetricsConfig metrics() {
        return metrics;
    }

    public String bindAddress() {
        return bindAddress;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** {@code PDS_DATABASE_URL}: the PostgreSQL database, or null for SQLite under {@link #dataDir()}. Never printed whole. */
    public String databaseUrl() {
        return databaseUrl;
    }

    /** The PostgreSQL database {@code PDS_DATABASE_URL} names, or null for SQLite; an unreadable URL is an {@link ConfigException}. */
    public PostgresUrl postgres() {
        if (databaseUrl == null) return null;
        try {
            return PostgresUrl.parse(databaseUrl);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(List.of(databaseUrlProblem(e)));
        }
    }

    private static String databaseUrlProblem(IllegalArgumentException e) {
        return "PDS_DATABASE_URL: " + e.getMessage();
    }

    static String stripTrailingSlash(String url) {
        return url == null || !url.endsWith("/") ? url : url.substring(0, url.length() - 1);
    }

    private String databaseDescription() {
        try {
            return "postgresql " + PostgresUrl.parse(databaseUrl).describe();
        } catch (IllegalArgumentException e) {
            return "postgresql (unreadable URL)";
        }
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
        // Never print secrets: only what identifies the account and where it runs.
        return "Config[env=" + env.label() + ", did=" + did + ", handle=" + handle + ", hostname=" + hostname
                + ", bind=" + bindAddress + ":" + port + ", dataDir=" + dataDir
                + (databaseUrl == null ? "" : ", database=" + databaseDescription()) + "]";
    }

    /**
     * Builds a {@link Config} in code, as an embedding host may: each option is named as its
     * environment variable says, unset options keep their defaults. {@link #build()} does not
     * validate; {@link Config#validateOrThrow()} (or {@code Alteran.builder().build()}) does, with the
     * same messages as for the environment.
     */
    public static final class Builder {
        private Environment env = Environment.DEV;
        private String did;
        private String handle;
        private String userPassword;
        private String accessTokenSecret;
        private String refreshTokenSecret;
        private String repoSigningKey;
        private String plcRotationKey;
        private String dpopSecret;
        private String recoveryDidKey;
        private EmailConfig email = EmailConfig.none();
        private BackupSchedule backup = BackupSchedule.none();
        private String hostname;
        private List<String> allowedMime = List.of(DEFAULT_ALLOWED_MIME.split(","));
        private long maxBlobSize = 5L * 1024 * 1024;
        private long maxJsonBytes = 64L * 1024;
        private int rateLimitPerMin = 60;
        private int loginRateLimitPerMin = 10;
        private int blobRateLimitPerMin = 30;
        private RateLimitStorage rateLimitStore; // null: database with PostgreSQL, else memory
        private List<String> trustedProxies = List.of();
        private List<String> corsOrigins;
        private int seqWindow = 512;
        private int seqRetention = 10_000;
        private int firehoseBuffer = 500;
        private long accessTtlSec = 3600;
        private long oauthAccessTtlSec = 3600;
        private long refreshTtlSec = 2_592_000;
        private long blobQuotaBytes = 10L * 1024 * 1024 * 1024;
        private long maxRepoImportSize = DEFAULT_MAX_REPO_IMPORT_SIZE;
        private BlobStorage blobStorage = BlobStorage.filesystem();
        private List<String> relayHosts;
        private String plcUrl = DEFAULT_PLC_URL;
        private boolean debugRoutes = false;
        private ProxyConfig proxy = ProxyConfig.defaults();
        private PolicyLinks policyLinks = PolicyLinks.none();
        private MetricsConfig metrics = MetricsConfig.off();
        private String bindAddress;
        private int port = 2583;
        private Path dataDir = Path.of("data");
        private String databaseUrl;
        private List<String> parseProblems = List.of();

        private Builder() {}

        /** {@code ALTERAN_ENV}. */
        public Builder env(Environment env) {
            this.env = Objects.requireNonNull(env, "env");
            return this;
        }

        /** {@code PDS_DID}. */
        public Builder did(String did) {
            this.did = did;
            return this;
        }

        /** {@code PDS_HANDLE} (kept in lower case). */
        public Builder handle(String handle) {
            this.handle = handle == null ? null : handle.toLowerCase(Locale.ROOT);
            return this;
        }

        /** {@code USER_PASSWORD}. */
        public Builder userPassword(String userPassword) {
            this.userPassword = userPassword;
            return this;
        }

        /** {@code ACCESS_TOKEN}. */
        public Builder accessTokenSecret(String accessTokenSecret) {
            this.accessTokenSecret = accessTokenSecret;
            return this;
        }

        /** {@code REFRESH_TOKEN}. */
        public Builder refreshTokenSecret(String refreshTokenSecret) {
            this.refreshTokenSecret = refreshTokenSecret;
            return this;
        }

        /** {@code REPO_SIGNING_KEY}. */
        public Builder repoSigningKey(String repoSigningKey) {
            this.repoSigningKey = repoSigningKey;
            return this;
        }

        /** {@code PDS_PLC_ROTATION_KEY}: this server's secp256k1 PLC rotation key, hex or base64 (optional). */
        public Builder plcRotationKey(String plcRotationKey) {
            this.plcRotationKey = plcRotationKey;
            return this;
        }

        /** {@code PDS_DPOP_SECRET}: 64 hex characters, or null for a random key per start. */
        public Builder dpopSecret(String dpopSecret) {
            this.dpopSecret = dpopSecret;
            return this;
        }

        /** {@code PDS_RECOVERY_DID_KEY}: the owner's own PLC recovery key, a did:key (optional). */
        public Builder recoveryDidKey(String recoveryDidKey) {
            this.recoveryDidKey = recoveryDidKey;
            return this;
        }

        /** {@code PDS_EMAIL}, {@code PDS_EMAIL_SMTP_URL} and {@code PDS_EMAIL_FROM_ADDRESS}. */
        public Builder backup(BackupSchedule backup) {
            this.backup = Objects.requireNonNull(backup, "backup");
            return this;
        }

        public Builder email(EmailConfig email) {
            this.email = Objects.requireNonNull(email, "email");
            return this;
        }

        /** {@code PDS_HOSTNAME}. */
        public Builder hostname(String hostname) {
            this.hostname = hostname;
            return this;
        }

        /** {@code PDS_ALLOWED_MIME}. */
        public Builder allowedMime(List<String> allowedMime) {
            this.allowedMime = List.copyOf(allowedMime);
            return this;
        }

        /** {@code PDS_MAX_BLOB_SIZE}. */
        public Builder maxBlobSize(long maxBlobSize) {
            this.maxBlobSize = maxBlobSize;
            return this;
        }

        /** {@code PDS_MAX_JSON_BYTES}. */
        public Builder maxJsonBytes(long maxJsonBytes) {
            this.maxJsonBytes = maxJsonBytes;
            return this;
        }

        /** {@code PDS_RATE_LIMIT_PER_MIN}. */
        public Builder rateLimitPerMin(int rateLimitPerMin) {
            this.rateLimitPerMin = rateLimitPerMin;
            return this;
        }

        /** {@code PDS_RATE_LIMIT_LOGIN_PER_MIN}. */
        public Builder loginRateLimitPerMin(int loginRateLimitPerMin) {
            this.loginRateLimitPerMin = loginRateLimitPerMin;
            return this;
        }

        /** {@code PDS_RATE_LIMIT_BLOB_PER_MIN}. */
        public Builder blobRateLimitPerMin(int blobRateLimitPerMin) {
            this.blobRateLimitPerMin = blobRateLimitPerMin;
            return this;
        }

        /** {@code PDS_RATE_LIMIT_STORE}. */
        public Builder rateLimitStore(RateLimitStorage rateLimitStore) {
            this.rateLimitStore = Objects.requireNonNull(rateLimitStore, "rateLimitStore");
            return this;
        }

        /** {@code PDS_TRUSTED_PROXIES}. */
        public Builder trustedProxies(List<String> trustedProxies) {
            this.trustedProxies = List.copyOf(trustedProxies);
            return this;
        }

        /** {@code PDS_CORS_ORIGIN}; unset: {@code *} in development, none elsewhere. */
        public Builder corsOrigins(List<String> corsOrigins) {
            this.corsOrigins = corsOrigins == null ? null : List.copyOf(corsOrigins);
            return this;
        }

        /** {@code PDS_SEQ_WINDOW}. */
        public Builder seqWindow(int seqWindow) {
            this.seqWindow = seqWindow;
            return this;
        }

        /** {@code PDS_SEQ_RETENTION}. */
        public Builder seqRetention(int seqRetention) {
            this.seqRetention = seqRetention;
            return this;
        }

        /** {@code PDS_FIREHOSE_BUFFER}. */
        public Builder firehoseBuffer(int firehoseBuffer) {
            this.firehoseBuffer = firehoseBuffer;
            return this;
        }

        /** {@code PDS_OAUTH_ACCESS_TTL_SEC}. */
        public Builder oauthAccessTtlSec(long oauthAccessTtlSec) {
            this.oauthAccessTtlSec = oauthAccessTtlSec;
            return this;
        }

        /** {@code PDS_ACCESS_TTL_SEC}. */
        public Builder accessTtlSec(long accessTtlSec) {
            this.accessTtlSec = accessTtlSec;
            return this;
        }

        /** {@code PDS_REFRESH_TTL_SEC}. */
        public Builder refreshTtlSec(long refreshTtlSec) {
            this.refreshTtlSec = refreshTtlSec;
            return this;
        }

        /** {@code PDS_BLOB_QUOTA_BYTES}. */
        public Builder blobQuotaBytes(long blobQuotaBytes) {
            this.blobQuotaBytes = blobQuotaBytes;
            return this;
        }

        /** {@code PDS_MAX_REPO_IMPORT_SIZE}. */
        public Builder maxRepoImportSize(long maxRepoImportSize) {
            this.maxRepoImportSize = maxRepoImportSize;
            return this;
        }

        /** {@code PDS_BLOB_STORE} and {@code PDS_S3_*}. */
        public Builder blobStorage(BlobStorage blobStorage) {
            this.blobStorage = Objects.requireNonNull(blobStorage, "blobStorage");
            return this;
        }

        /** {@code PDS_RELAY_HOSTS}; unset: none in development, {@code bsky.network} elsewhere. */
        public Builder relayHosts(List<String> relayHosts) {
            this.relayHosts = relayHosts == null ? null : List.copyOf(relayHosts);
            return this;
        }

        /** {@code PDS_PLC_URL} (without a trailing slash). */
        public Builder plcUrl(String plcUrl) {
            this.plcUrl = stripTrailingSlash(Objects.requireNonNull(plcUrl, "plcUrl"));
            return this;
        }

        /** {@code PDS_DEBUG_ROUTES}. */
        public Builder debugRoutes(boolean debugRoutes) {
            this.debugRoutes = debugRoutes;
            return this;
        }

        /** {@code PDS_BSKY_APP_VIEW_*}, {@code PDS_CHAT_*} and {@code PDS_PROXY_*}. */
        public Builder proxy(ProxyConfig proxy) {
            this.proxy = Objects.requireNonNull(proxy, "proxy");
            return this;
        }

        /** {@code PDS_LINK_PRIVACY}, {@code PDS_LINK_TOS} and {@code PDS_CONTACT_EMAIL}, for describeServer. */
        public Builder policyLinks(PolicyLinks policyLinks) {
            this.policyLinks = Objects.requireNonNull(policyLinks, "policyLinks");
            return this;
        }

        /** {@code PDS_METRICS_TOKEN} and {@code PDS_METRICS_ADDRESS}: the standalone server's {@code /metrics}. */
        public Builder metrics(MetricsConfig metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics");
            return this;
        }

        /** {@code PDS_BIND}; unset: {@code 127.0.0.1} in development, {@code 0.0.0.0} elsewhere. */
        public Builder bindAddress(String bindAddress) {
            this.bindAddress = bindAddress;
            return this;
        }

        /** {@code PDS_PORT}. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** {@code PDS_DATA_DIR}. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
            return this;
        }

        /** {@code PDS_DATABASE_URL}: a PostgreSQL database instead of SQLite (null for SQLite). */
        public Builder databaseUrl(String databaseUrl) {
            this.databaseUrl = databaseUrl;
            return this;
        }

        /** What could not be read from the sources ({@link ConfigParser}), for {@link Config#problems()}. */
        Builder parseProblems(List<String> problems) {
            this.parseProblems = List.copyOf(problems);
            return this;
        }

        public Config build() {
            return new Config(this);
        }
    }
}
