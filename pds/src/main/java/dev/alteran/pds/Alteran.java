package dev.alteran.pds;

import dev.alteran.pds.appview.Pipethrough;
import dev.alteran.pds.appview.Preferences;
import dev.alteran.pds.appview.ProxyHandler;
import dev.alteran.pds.appview.ReadAfterWrite;
import dev.alteran.pds.appview.ServiceDirectory;
import dev.alteran.pds.appview.UpstreamClient;
import dev.alteran.pds.auth.AccountPassword;
import dev.alteran.pds.auth.AppPasswords;
import dev.alteran.pds.auth.PlcTokens;
import dev.alteran.pds.auth.Authenticator;
import dev.alteran.pds.auth.ServiceAuth;
import dev.alteran.pds.auth.ServiceTokenVerifier;
import dev.alteran.pds.auth.SessionAuthenticator;
import dev.alteran.pds.oauth.ResourceServer;
import dev.alteran.pds.auth.SessionTokens;
import dev.alteran.pds.auth.Sessions;
import dev.alteran.pds.blob.BlobCollector;
import dev.alteran.pds.blob.BlobReferences;
import dev.alteran.pds.blob.BlobStore;
import dev.alteran.pds.blob.Blobs;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.config.Environment;
import dev.alteran.pds.firehose.Firehose;
import dev.alteran.pds.firehose.IdentitySequencer;
import dev.alteran.pds.firehose.RelayAnnouncer;
import dev.alteran.pds.firehose.SubscribeReposEndpoint;
import dev.alteran.pds.http.CorsFilter;
import dev.alteran.pds.xrpc.DebugServlet;
import dev.alteran.pds.http.HealthServlet;
import dev.alteran.pds.http.RequestLogFilter;
import dev.alteran.pds.http.RateLimiter;
import dev.alteran.pds.http.ReadOnlyFilter;
import dev.alteran.pds.http.SecurityHeadersFilter;
import dev.alteran.pds.config.TrustedProxies;
import dev.alteran.atproto.lexicon.Lexicons;
import dev.alteran.pds.store.AccountStatus;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.JobLeases;
import dev.alteran.pds.store.MemoryRateLimitStore;
import dev.alteran.pds.store.SqlRateLimitStore;
import dev.alteran.pds.xrpc.BlobHandlers;
import dev.alteran.pds.store.RecordPreparer;
import dev.alteran.pds.store.RecordWriter;
import dev.alteran.pds.store.RepoStore;
import dev.alteran.pds.store.SeqTailer;
import dev.alteran.pds.store.SequenceLog;
import dev.alteran.pds.store.SqliteBackup;
import dev.alteran.pds.store.StorageFull;
import dev.alteran.pds.xrpc.RepoHandlers;
import dev.alteran.pds.identity.DidDocuments;
import dev.alteran.pds.identity.DidResolver;
import dev.alteran.pds.identity.DnsTxtLookup;
import dev.alteran.pds.identity.HandleResolver;
import dev.alteran.pds.identity.Identity;
import dev.alteran.pds.identity.IdentityHttp;
import dev.alteran.pds.identity.Egress;
import dev.alteran.pds.oauth.ClientMetadataFetcher;
import dev.alteran.pds.oauth.DpopNonces;
import dev.alteran.pds.oauth.DpopVerifier;
import dev.alteran.pds.oauth.OAuthDevices;
import dev.alteran.pds.oauth.OAuthProvider;
import dev.alteran.pds.oauth.OAuthRequests;
import dev.alteran.pds.oauth.OAuthTokens;
import dev.alteran.pds.oauth.PermissionSets;
import dev.alteran.pds.store.SqlReplayStore;
import dev.alteran.pds.web.AccountData;
import dev.alteran.pds.web.AccountServlet;
import dev.alteran.pds.web.OAuthServlet;
import dev.alteran.pds.web.StatusServlet;
import dev.alteran.pds.web.WebPages;
import dev.alteran.pds.xrpc.AccountHandlers;
import dev.alteran.pds.store.RepoStats;
import dev.alteran.pds.firehose.AccountActivation;
import dev.alteran.pds.identity.PlcClient;
import dev.alteran.pds.mail.Mailer;
import dev.alteran.pds.identity.WellKnownServlet;
import dev.alteran.pds.appview.BskyHandlers;
import dev.alteran.pds.xrpc.IdentityHandlers;
import dev.alteran.pds.xrpc.ImportSpool;
import dev.alteran.pds.xrpc.ServerHandlers;
import dev.alteran.pds.xrpc.XrpcBodies;
import dev.alteran.pds.xrpc.XrpcParams;
import dev.alteran.pds.xrpc.SyncHandlers;
import dev.alteran.pds.xrpc.XrpcRouter;
import dev.alteran.pds.xrpc.XrpcServlet;
import dev.alteran.pds.xrpc.RequestMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.ServletContext;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerContainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * One PDS, ready to mount into any Jakarta Servlet 6 container. It owns its storage; the host owns
 * the container. {@link #install(ServletContext)} claims only the PDS paths, so the host's own
 * routes keep working beside it.
 *
 * <pre>{@code
 * var alteran = Alteran.builder().config(cfg.validateOrThrow()).build();
 * alteran.install(servletContext);   // from a ServletContainerInitializer or a context listener
 * }</pre>
 */
public final class Alteran implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Alteran.class);
    /** Relays are asked to crawl shortly after start-up, once the server is listening. */
    static final Duration RELAY_FIRST_DELAY = Duration.ofSeconds(2);
    /** Every meter this PDS registers is named under it (the README's Metrics section lists them). */
    static final String METER_PREFIX = "alteran.";
    /** How often blob garbage is collected (by one of the instances sharing the database). */
    private static final Duration GC_PERIOD = Duration.ofMinutes(60);
    /** What this instance opened, the last first: closed by {@link #close()}, also when construction fails part-way. */
    private final java.util.Deque<AutoCloseable> opened = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private final Config config;
    private final boolean debugRoutes;
    private final boolean includeRootEndpoint;
    private final Database database;
    private final BlobStore blobStore;
    private final Blobs blobs;
    private final BlobCollector blobCollector;
    private final JobLeases jobLeases;
    private final ScheduledExecutorService maintenance;
    private final Lexicons lexicons = Lexicons.loadBundled();
    private final SequenceLog sequence;
    private final RepoStore repo;
    private final Identity identity;
    private final PlcClient plc;
    private final DidDocuments didDocuments;
    private final HandleResolver handleResolver;
    private final DidResolver didResolver;
    private final XrpcRouter router = new XrpcRouter();
    private final Authenticator authenticator;
    private final Sessions sessions;
    private final AppPasswords appPasswords;
    private final AccountStatus account;
    private final TrustedProxies trustedProxies;
    private final RateLimiter rateLimiter;
    private final RecordWriter recordWriter;
    private final UpstreamClient upstream;
    private final ProxyHandler proxy;
    private final Firehose firehose;
    private final RelayAnnouncer relays;
    private final OAuthTokens oauthTokens;
    private final OAuthServlet oauthServlet;
    private final DpopVerifier dpopVerifier;
    private final StorageFull storageFull;
    private final WebPages webPages;
    private final AccountServlet accountServlet;
    private final MeterRegistry meters;

    private Alteran(Builder b) {
        this.config = b.config;
        this.meters = b.meterRegistry != null ? b.meterRegistry : new SimpleMeterRegistry();
        this.debugRoutes = b.debugRoutes;
        this.includeRootEndpoint = b.includeRootEndpoint;
        try {
            // Closed last: a host's registry outlives this instance, and these meters would read closed storage.
            own(() -> meters.getMeters().stream().filter(m -> m.getId().getName().startsWith(METER_PREFIX)).forEach(meters::remove));
            this.database = own(b.dataSource != null ? Database.open(b.dataSource) : Databases.open(config));
            this.storageFull = new StorageFull(config.dataDir(), database);
            // PostgreSQL: this instance serves the database from here on (its use lock, held shared), before it writes there.
            var tailer = SeqTailer.open(database);
            if (tailer != null) own(tailer);
            database.instrument(meters);
            this.identity = Identity.open(database, config);
            // Handles and did:web hosts are anyone's input: outside development they may not lead to loopback or
            // private addresses. The PLC directory is the operator's choice (possibly a local mirror), so it may.
            var http = own(new IdentityHttp(IdentityHttp.DEFAULT_TIMEOUT, config.env() == Environment.DEV));
            var plcHttp = own(new IdentityHttp(IdentityHttp.DEFAULT_TIMEOUT, true));
            this.plc = new PlcClient(config.plcUrl(), plcHttp);
            this.didDocuments = new DidDocuments(config, identity, plc);
            this.handleResolver = new HandleResolver(DnsTxtLookup.jndi(IdentityHttp.DEFAULT_TIMEOUT), http);
            this.didResolver = new DidResolver(plc, http);
            var clock = Clock.systemUTC();
            this.blobStore = own(b.blobStoreWrapper.apply(BlobStore.open(config)));
            this.blobs = new Blobs(database, blobStore, config.allowedMime(), config.maxBlobSize(), config.blobQuotaBytes(), clock);
            this.blobCollector = new BlobCollector(database, blobs, clock);
            Gauge.builder("alteran.blob.stored", blobs, Blobs::usedBytes).baseUnit(BaseUnits.BYTES)
                    .description("Bytes of stored blobs, as the quota counts them").register(meters);
            Gauge.builder("alteran.blob.quota.used", blobs, x -> (double) x.usedBytes() / config.blobQuotaBytes())
                    .description("Share of PDS_BLOB_QUOTA_BYTES in use, 0 to 1").register(meters);
            var tokens = new SessionTokens(config.did(), config.accessTokenSecret(), config.refreshTokenSecret(),
                    config.accessTtlSec(), config.refreshTtlSec(), clock);
            // Service tokens the account signs for this server (the app's video service uploads with them).
            var serviceTokens = new ServiceTokenVerifier(config.did(), config.serviceDid(), didDocuments::atprotoKey, clock);
            var sessionAuthenticator = new SessionAuthenticator(tokens, serviceTokens);
            this.appPasswords = new AppPasswords(database, config.did(), clock);
            this.sessions = new Sessions(config.did(), identity::handle, database, tokens,
                    AccountPassword.of(config.userPassword()), appPasswords, clock, meters);
            var serviceAuth = new ServiceAuth(config.did(), config.signingKey(), clock);
            this.trustedProxies = new TrustedProxies(config.trustedProxies());
            this.sequence = new SequenceLog(database, config.seqRetention());
            this.account = new AccountStatus(database, config.did(), sequence, identity::handle);
            // An account moving in gets an unannounced empty repository, until its repository is
            // imported and activateAccount finds its DID document naming this server.
            if (account.startIfMovingIn()) {
                this.repo = RepoStore.openUnannounced(database, config.did(), config.signingKey(), sequence);
            } else {
                this.repo = RepoStore.open(database, config.did(), config.signingKey(), sequence, identity.handle());
            }
            announceIfRestored();
            repo.instrument(meters);
            // PostgreSQL: what other instances on the database commit reaches this one's head and firehose too.
            if (tailer != null) tailer.start(sequence, repo::refreshHead);
            identity.addListener(new IdentitySequencer(sequence));
            this.firehose = own(new Firehose(sequence, config.seqWindow(), config.firehoseBuffer(), meters));
            var imports = new ImportSpool(config.dataDir().resolve("tmp"), config.maxRepoImportSize());
            var preparer = new RecordPreparer(lexicons);
            this.recordWriter = new RecordWriter(repo, preparer);
            var repoHandlers = new RepoHandlers(repo, preparer, recordWriter, identity, didDocuments, account, blobs, imports);
            repoHandlers.register(router);
            new IdentityHandlers(config, identity, didDocuments, handleResolver, didResolver, plc, new PlcTokens(database, clock),
                    Mailer.of(config.email(), config.env() == Environment.DEV)).register(router);
            new SyncHandlers(repo, database, account).register(router);
            // Scheduled jobs (relay announcements, blob garbage collection) run once across instances on one database.
            this.jobLeases = new JobLeases(database, clock);
            this.relays = own(new RelayAnnouncer(config.hostname(), config.relayHosts(), RELAY_FIRST_DELAY).leasedBy(jobLeases));
            var activation = new AccountActivation(account, repo, didDocuments, relays::requestCrawlNow);
            new ServerHandlers(config, identity, sessions, appPasswords, serviceAuth, trustedProxies, account, didDocuments,
                    activation).register(router);
            var rateLimitStore = switch (config.rateLimitStore()) {
                case MEMORY -> new MemoryRateLimitStore();
                case DATABASE -> own(new SqlRateLimitStore(database)); // closed before the database: it sends its last counts
            };
            this.rateLimiter = new RateLimiter(rateLimitStore, trustedProxies, Map.of(
                    RateLimiter.Bucket.WRITE, config.rateLimitPerMin(),
                    RateLimiter.Bucket.BLOB, config.blobRateLimitPerMin(),
                    RateLimiter.Bucket.LOGIN, config.loginRateLimitPerMin()), clock, meters);
            repo.addTransactionHook(BlobReferences::beforeCommit);
            // Whatever the write path, a deactivated account's repository does not change (an import is not a commit).
            repo.addTransactionHook((c, writes, commit) -> {
                if (!account.isActive()) throw RepoHandlers.accountDeactivated();
            });
            new BlobHandlers(config.did(), blobs, account).register(router);
            var proxyConfig = config.proxy();
            this.upstream = own(new UpstreamClient(config.env() == Environment.DEV, Duration.ofMillis(proxyConfig.headersTimeoutMs()),
                    Duration.ofMillis(proxyConfig.bodyTimeoutMs()), proxyConfig.maxResponseBytes()));
            var pipethrough = new Pipethrough(serviceAuth, upstream, Math.max(config.maxJsonBytes(), config.maxBlobSize()), meters);
            this.proxy = new ProxyHandler(new ServiceDirectory(proxyConfig, didResolver, clock), pipethrough);
            var readAfterWrite = new ReadAfterWrite(proxy, pipethrough, repo.records(), identity, didDocuments, clock);
            new BskyHandlers(proxy, new Preferences(database, clock), readAfterWrite).register(router);
            // OAuth: the authorization server. Client metadata comes from URLs strangers name, so outside
            // development only public addresses on port 443 are fetched (the reference's safe fetch).
            boolean dev = config.env() == Environment.DEV;
            var egress = b.clientMetadataEgress != null ? b.clientMetadataEgress : dev ? Egress.anywhere() : Egress.publicOnly();
            var clientMetadata = own(new ClientMetadataFetcher(egress, clock, dev));
            var replays = new SqlReplayStore(database, clock);
            var issuer = config.publicOrigin();
            this.oauthTokens = new OAuthTokens(database, issuer, config.serviceDid(), config.accessTokenSecret(),
                    OAuthTokens.Lifetimes.REFERENCE.withAccess(Duration.ofSeconds(config.oauthAccessTtlSec())), clock);
            var lexiconDns = b.lexiconDns != null ? b.lexiconDns : DnsTxtLookup.jndi(IdentityHttp.DEFAULT_TIMEOUT);
            var permissionSets = new PermissionSets(lexiconDns, didResolver, http, clock);
            var oauth = new OAuthProvider(issuer, config.did(), clientMetadata, new OAuthRequests(database, clock), oauthTokens,
                    replays, database, clock, permissionSets);
            this.dpopVerifier = new DpopVerifier(DpopNonces.fromConfig(config.dpopSecret(), clock), replays, clock);
            // OAuth access tokens (Authorization: DPoP) go to the resource server; every other scheme to the sessions.
            this.authenticator = new ResourceServer(sessionAuthenticator, oauthTokens, dpopVerifier, didDocuments);
            var devices = new OAuthDevices(database, clock);
            this.webPages = new WebPages(issuer, config.accessTokenSecret());
            this.oauthServlet = new OAuthServlet(oauth, clientMetadata, dpopVerifier, devices, sessions,
                    trustedProxies, identity::handle, webPages);
            // The owner's pages and their JSON: one gatherer for both.
            var accountData = new AccountData(identity, didDocuments, activation, new RepoStats(database), blobs, firehose, sequence,
                    relays, oauthTokens, clientMetadata, appPasswords, sessions, clock);
            new AccountHandlers(accountData).register(router);
            this.accountServlet = new AccountServlet(accountData, devices, webPages, identity, database, blobs, trustedProxies, clock);
            this.maintenance = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("alteran-maintenance").factory());
            own(maintenance::shutdownNow);
            maintenance.scheduleWithFixedDelay(this::collectGarbage, 5, GC_PERIOD.toMinutes(), TimeUnit.MINUTES);
        } catch (RuntimeException | Error e) {
            // A host that catches this keeps running: nothing opened so far may stay open (the database above all).
            try {
                close();
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /** Registers something this instance opened; {@link #close()} closes it, the last opened first. */
    private <T extends AutoCloseable> T own(T resource) {
        opened.push(resource);
        return resource;
    }

    /**
     * The first start after {@code alteran restore}: relays may hold events and a commit from after the
     * backup, so the restored repository is announced as a fresh commit with {@code #sync}
     * ({@link AccountStatus#announceRestored}). The marker goes once that is committed; a crash before
     * then announces again, which is harmless.
     */
    private void announceIfRestored() {
        var marker = config.dataDir().resolve(SqliteBackup.RESTORED_MARKER);
        if (!Files.exists(marker)) return;
        long seq = account.announceRestored(repo);
        try {
            Files.delete(marker);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + marker, e);
        }
        log.info("restored from a backup: announced the repository to relays with #sync at seq {}", seq);
    }

    private void collectGarbage() {
        try {
            // Instances on one database collect once a period between them: the lease lapses before the
            // holder's next round, when whichever instance comes first takes it.
            if (!jobLeases.tryAcquire("blob-gc", GC_PERIOD.minusMinutes(10))) return;
            blobCollector.collectGarbage();
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(Alteran.class).warn("scheduled blob garbage collection failed", e);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The paths this PDS answers; everything else belongs to the host. */
    public List<String> paths() {
        var paths = new ArrayList<>(List.of("/xrpc/*", "/health", "/ready", HealthServlet.XRPC_HEALTH, WellKnownServlet.ATPROTO_DID));
        if (didDocuments.isDidWeb()) paths.add(WellKnownServlet.DID_JSON); // a did:plc document lives in the PLC directory
        if (debugRoutes) paths.add(DebugServlet.PATH);
        if (includeRootEndpoint) paths.add("");
        paths.addAll(OAuthServlet.paths());
        paths.addAll(AccountServlet.paths());
        return paths;
    }

    /** Registers the PDS filters and servlets. Call while the context is initializing. */
    public void install(ServletContext ctx) {
        var mapped = paths().toArray(String[]::new);
        addFilter(ctx, "alteran-request-log", new RequestLogFilter(), mapped);
        addFilter(ctx, "alteran-security-headers", new SecurityHeadersFilter(trustedProxies), mapped);
        // The OAuth endpoints answer CORS themselves (any origin, no credentials, as the reference); the
        // account pages answer no other origin at all (they work with a cookie).
        var oauthPaths = OAuthServlet.paths();
        var accountPaths = AccountServlet.paths();
        addFilter(ctx, "alteran-cors", new CorsFilter(config.corsOrigins()),
                paths().stream().filter(p -> !oauthPaths.contains(p) && !accountPaths.contains(p)).toArray(String[]::new));
        var pages = paths().stream().filter(p -> !p.equals("/xrpc/*") && !p.equals(DebugServlet.PATH) && !oauthPaths.contains(p)
                && !accountPaths.contains(p)).toArray(String[]::new);
        addFilter(ctx, "alteran-read-only", new ReadOnlyFilter(), pages);

        // Request meters name only the methods this server knows: its routes and the bundled Lexicons.
        var known = new java.util.HashSet<>(lexicons.ids());
        router.routes().forEach(r -> known.add(r.nsid()));
        ctx.addServlet("alteran-xrpc", new XrpcServlet(router, config.maxJsonBytes(), authenticator, rateLimiter, new XrpcParams(lexicons),
                XrpcBodies.fromSystemProperty(lexicons), proxy, storageFull, new RequestMetrics(meters, known))).addMapping("/xrpc/*");
        var wellKnown = paths().stream().filter(p -> p.startsWith("/.well-known/") && !oauthPaths.contains(p)).toArray(String[]::new);
        ctx.addServlet("alteran-well-known", new WellKnownServlet(identity, didDocuments, config.env())).addMapping(wellKnown);
        ctx.addServlet("alteran-health", new HealthServlet(database, blobStore, storageFull)).addMapping("/health", "/ready", HealthServlet.XRPC_HEALTH);
        var clash = ctx.addServlet("alteran-oauth", oauthServlet).addMapping(oauthPaths.toArray(String[]::new));
        if (!clash.isEmpty()) throw new IllegalStateException("the host already maps " + clash + ", which the OAuth server needs");
        clash = ctx.addServlet("alteran-account", accountServlet).addMapping(accountPaths.toArray(String[]::new));
        if (!clash.isEmpty()) throw new IllegalStateException("the host already maps " + clash + ", which the account pages need");
        if (debugRoutes) {
            ctx.addServlet("alteran-debug", new DebugServlet(repo, recordWriter, blobs, blobCollector, authenticator, rateLimiter, config.maxJsonBytes()))
                    .addMapping(DebugServlet.PATH);
        }
        if (includeRootEndpoint) ctx.addServlet("alteran-root", new StatusServlet(identity, () -> HealthServlet.checks(database, blobStore, storageFull), webPages)).addMapping("");
        installFirehose(ctx);
        relays.start();
    }

    /**
     * The WebSocket endpoint of subscribeRepos, through the container's Jakarta WebSocket
     * {@link ServerContainer} (Jetty: {@code JakartaWebSocketServletContainerInitializer.configure}).
     * Upgrades are handled before servlets, so the {@code /xrpc/*} servlet does not shadow it.
     */
    private void installFirehose(ServletContext ctx) {
        if (!(ctx.getAttribute(ServerContainer.class.getName()) instanceof ServerContainer)) {
            // Some containers (Spring Boot's Tomcat and Jetty) set their WebSocket container up after this
            // initializer runs, and before the context's listeners are told it is initialized.
            ctx.addListener(new jakarta.servlet.ServletContextListener() {
                @Override
                public void contextInitialized(jakarta.servlet.ServletContextEvent event) {
                    addFirehoseEndpoint(event.getServletContext());
                }
            });
            return;
        }
        addFirehoseEndpoint(ctx);
    }

    private void addFirehoseEndpoint(ServletContext ctx) {
        if (!(ctx.getAttribute(ServerContainer.class.getName()) instanceof ServerContainer container)) {
            log.warn("no Jakarta WebSocket container in this servlet context: {} is not served", SubscribeReposEndpoint.PATH);
            return;
        }
        try {
            container.addEndpoint(SubscribeReposEndpoint.config(firehose));
        } catch (DeploymentException e) {
            throw new IllegalStateException("cannot deploy " + SubscribeReposEndpoint.PATH, e);
        }
    }

    private static void addFilter(ServletContext ctx, String name, Filter filter, String[] paths) {
        var reg = ctx.addFilter(name, filter);
        reg.setAsyncSupported(true);
        reg.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, paths);
    }

    /** Each health check and its result ({@code ok}, {@code full} or {@code error}): what {@code /health} reports. */
    public Map<String, String> healthChecks() {
        return HealthServlet.checks(database, blobStore, storageFull);
    }

    public Config config() {
        return config;
    }

    /** The OAuth sessions and tokens: the resource server verifies access tokens with it; the CLI lists and revokes sessions. */
    public OAuthTokens oauthTokens() {
        return oauthTokens;
    }

    /** The DPoP proof checker (and nonce source) the authorization server uses; the resource server shares it. */
    public DpopVerifier dpopVerifier() {
        return dpopVerifier;
    }

    public XrpcRouter router() {
        return router;
    }

    public Database database() {
        return database;
    }

    /** Blob uploads and reads. */
    public Blobs blobs() {
        return blobs;
    }

    /** Blob garbage collection (scheduled; {@link BlobCollector#collectGarbage(Duration)} runs one now). */
    public BlobCollector blobCollector() {
        return blobCollector;
    }

    public BlobStore blobStore() {
        return blobStore;
    }

    /** The account's repository: head, writes, record reads. */
    public RepoStore repo() {
        return repo;
    }

    /** The firehose event log and its new-event listeners. */
    public SequenceLog sequence() {
        return sequence;
    }

    /** Whether the account is active (activateAccount / deactivateAccount), and its firehose announcements. */
    public AccountStatus accountStatus() {
        return account;
    }

    /** The live firehose: subscriptions, fan-out. */
    public Firehose firehose() {
        return firehose;
    }

    /** The requestCrawl announcements to PDS_RELAY_HOSTS (started by {@link #install}). */
    public RelayAnnouncer relayAnnouncer() {
        return relays;
    }

    public Lexicons lexicons() {
        return lexicons;
    }

    /** Session state: logins, refresh tokens, {@link Sessions#purgeExpired()} for maintenance. */
    public Sessions sessions() {
        return sessions;
    }

    public AppPasswords appPasswords() {
        return appPasswords;
    }

    /** Verifies access tokens; a host may use it to protect its own routes with PDS sessions. */
    public Authenticator authenticator() {
        return authenticator;
    }

    /** Our DID and current handle; listeners registered here hear every handle change. */
    public Identity identity() {
        return identity;
    }

    /** Our DID document (built for did:web, from the PLC directory for did:plc). */
    public DidDocuments didDocuments() {
        return didDocuments;
    }

    public PlcClient plcClient() {
        return plc;
    }

    /** Other accounts' handles to DIDs (DNS TXT and HTTPS well-known). */
    public HandleResolver handleResolver() {
        return handleResolver;
    }

    /** Other accounts' DID documents (did:plc via PDS_PLC_URL, did:web), e.g. to verify service-auth tokens. */
    public DidResolver didResolver() {
        return didResolver;
    }

    /** Which peers' forwarding headers are believed; a host can use it to find its own clients' addresses. */
    public TrustedProxies trustedProxies() {
        return trustedProxies;
    }

    public RateLimiter rateLimiter() {
        return rateLimiter;
    }

    /** Where this PDS's meters are (the builder's registry, or a private one); docs/metrics.md lists them. */
    public MeterRegistry meterRegistry() {
        return meters;
    }

    public boolean debugRoutes() {
        return debugRoutes;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (AutoCloseable resource; (resource = opened.poll()) != null; ) {
            try {
                resource.close();
            } catch (Exception e) {
                if (failure == null) failure = new IllegalStateException("closing Alteran failed", e);
                else failure.addSuppressed(e);
            }
        }
        if (failure != null) throw failure;
    }

    public static final class Builder {
        private Config config;
        private boolean debugRoutes;
        private boolean includeRootEndpoint = true;
        private Egress clientMetadataEgress;
        private DnsTxtLookup lexiconDns;
        private java.util.function.UnaryOperator<BlobStore> blobStoreWrapper = java.util.function.UnaryOperator.identity();
        private MeterRegistry meterRegistry;
        private javax.sql.DataSource dataSource;

        public Builder config(Config config) {
            this.config = config;
            return this;
        }

        /**
         * Mounts {@code /debug/*} ({@link DebugServlet}: record get/put through the repository write path,
         * blob put/get, blob GC), answered only for the owner's full-access session. Off by default;
         * the standalone server turns it on with {@code --debug-routes} or {@code PDS_DEBUG_ROUTES}.
         */
        public Builder debugRoutes(boolean on) {
            this.debugRoutes = on;
            return this;
        }

        /**
         * Answers {@code /}: a status page for browsers, a plain-text note naming this PDS for other clients.
         * On by default; a host with its own home page turns it off.
         */
        public Builder includeRootEndpoint(boolean on) {
            this.includeRootEndpoint = on;
            return this;
        }

        /**
         * Where OAuth client metadata may be fetched from. By default public addresses only (any address
         * in development); tests that serve a client's metadata on loopback pass their own rule.
         */
        public Builder clientMetadataEgress(Egress egress) {
            this.clientMetadataEgress = egress;
            return this;
        }

        /** The DNS TXT lookup that finds a Lexicon authority's DID ({@code _lexicon.<domain>}); the system's by default. */
        public Builder lexiconDns(DnsTxtLookup dns) {
            this.lexiconDns = dns;
            return this;
        }

        /**
         * Wraps the configured blob store (a host adding its own accounting or caching, a test injecting
         * faults); the wrapper is closed in its place.
         */
        public Builder blobStoreWrapper(java.util.function.UnaryOperator<BlobStore> wrapper) {
            this.blobStoreWrapper = Objects.requireNonNull(wrapper, "wrapper");
            return this;
        }

        /**
         * Where the PDS reports its meters (requests, commits, firehose, blobs, the database pool, logins,
         * rate limits, the proxy): the host's own registry, so they appear beside its other metrics. Without
         * one they are kept in a private {@link SimpleMeterRegistry}, readable through {@link Alteran#meterRegistry()}.
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = registry;
            return this;
        }

        /**
         * The database the host names for the PDS instead of {@code alteran.sqlite} in the data directory;
         * its JDBC URL decides the dialect ({@link Database#open(javax.sql.DataSource)}).
         */
        public Builder dataSource(javax.sql.DataSource dataSource) {
            this.dataSource = dataSource;
            return this;
        }

        /** Opens storage (migrating the schema) for a validated configuration. */
        public Alteran build() {
            Objects.requireNonNull(config, "config");
            config.validateOrThrow();
            return new Alteran(this);
        }
    }
}
