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
import dev.alteran.pds.http.RootServlet;
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
import dev.alteran.pds.web.OAuthServlet;
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
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.ServletContext;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerContainer;
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

    private Alteran(Builder b) {
        this.config = b.config;
        this.debugRoutes = b.debugRoutes;
        this.includeRootEndpoint = b.includeRootEndpoint;
        try {
            this.database = own(Databases.open(config));
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
            this.blobStore = own(BlobStore.open(config));
            this.blobs = new Blobs(database, blobStore, config.allowedMime(), config.maxBlobSize(), config.blobQuotaBytes(), clock);
            this.blobCollector = new BlobCollector(database, blobs, clock);
            var tokens = new SessionTokens(config.did(), config.accessTokenSecret(), config.refreshTokenSecret(),
                    config.accessTtlSec(), config.refreshTtlSec(), clock);
            // Service tokens the account signs for this server (the app's video service uploads with them).
            var serviceTokens = new ServiceTokenVerifier(config.did(), config.serviceDid(), didDocuments::atprotoKey, clock);
            var sessionAuthenticator = new SessionAuthenticator(tokens, serviceTokens);
            this.appPasswords = new AppPasswords(database, config.did(), clock);
            this.sessions = new Sessions(config.did(), identity::handle, database, tokens,
                    AccountPassword.of(config.userPassword()), appPasswords, clock);
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
            // PostgreSQL: what other instances on the database commit reaches this one's head and firehose too.
            var tailer = SeqTailer.start(database, sequence, repo::refreshHead);
            if (tailer != null) own(tailer);
            identity.addListener(new IdentitySequencer(sequence));
            this.firehose = own(new Firehose(sequence, config.seqWindow(), config.firehoseBuffer()));
            var imports = new ImportSpool(config.dataDir().resolve("tmp"), config.maxRepoImportSize());
            var preparer = new RecordPreparer(lexicons);
            this.recordWriter = new RecordWriter(repo, preparer);
            var repoHandlers = new RepoHandlers(repo, preparer, recordWriter, identity, didDocuments, account, blobs, imports);
            repoHandlers.register(router);
            new IdentityHandlers(config, identity, didDocuments, handleResolver, didResolver, plc, new PlcTokens(database, clock),
                    Mailer.of(config.email(), config.env() == Environment.DEV)).register(router);
            new SyncHandlers(repo, database, account).register(router);
            this.relays = own(new RelayAnnouncer(config.hostname(), config.relayHosts(), RELAY_FIRST_DELAY));
            new ServerHandlers(config, identity, sessions, appPasswords, serviceAuth, trustedProxies, account, didDocuments, repo,
                    relays::requestCrawlNow).register(router);
            var rateLimitStore = switch (config.rateLimitStore()) {
                case MEMORY -> new MemoryRateLimitStore();
                case DATABASE -> new SqlRateLimitStore(database);
            };
            this.rateLimiter = new RateLimiter(rateLimitStore, trustedProxies, Map.of(
                    RateLimiter.Bucket.WRITE, config.rateLimitPerMin(),
                    RateLimiter.Bucket.BLOB, config.blobRateLimitPerMin(),
                    RateLimiter.Bucket.LOGIN, config.loginRateLimitPerMin()), clock);
            repo.addTransactionHook(BlobReferences::beforeCommit);
            // Whatever the write path, a deactivated account's repository does not change (an import is not a commit).
            repo.addTransactionHook((c, writes, commit) -> {
                if (!account.isActive()) throw RepoHandlers.accountDeactivated();
            });
            new BlobHandlers(config.did(), blobs, account).register(router);
            var proxyConfig = config.proxy();
            this.upstream = own(new UpstreamClient(config.env() == Environment.DEV, Duration.ofMillis(proxyConfig.headersTimeoutMs()),
                    Duration.ofMillis(proxyConfig.bodyTimeoutMs()), proxyConfig.maxResponseBytes()));
            var pipethrough = new Pipethrough(serviceAuth, upstream, Math.max(config.maxJsonBytes(), config.maxBlobSize()));
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
            this.oauthServlet = new OAuthServlet(oauth, clientMetadata, dpopVerifier, new OAuthDevices(database, clock), sessions,
                    trustedProxies, identity::handle, config.accessTokenSecret());
            this.maintenance = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("alteran-maintenance").factory());
            own(maintenance::shutdownNow);
            this.jobLeases = new JobLeases(database, clock);
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
        var paths = new ArrayList<>(List.of("/xrpc/*", "/health", "/ready", WellKnownServlet.ATPROTO_DID));
        if (didDocuments.isDidWeb()) paths.add(WellKnownServlet.DID_JSON); // a did:plc document lives in the PLC directory
        if (debugRoutes) paths.add(DebugServlet.PATH);
        if (includeRootEndpoint) paths.add("");
        paths.addAll(OAuthServlet.paths());
        return paths;
    }

    /** Registers the PDS filters and servlets. Call while the context is initializing. */
    public void install(ServletContext ctx) {
        var mapped = paths().toArray(String[]::new);
        addFilter(ctx, "alteran-request-log", new RequestLogFilter(), mapped);
        addFilter(ctx, "alteran-security-headers", new SecurityHeadersFilter(trustedProxies), mapped);
        // The OAuth endpoints answer CORS themselves (any origin, no credentials, as the reference).
        var oauthPaths = OAuthServlet.paths();
        addFilter(ctx, "alteran-cors", new CorsFilter(config.corsOrigins()), paths().stream().filter(p -> !oauthPaths.contains(p)).toArray(String[]::new));
        var pages = paths().stream().filter(p -> !p.equals("/xrpc/*") && !p.equals(DebugServlet.PATH) && !oauthPaths.contains(p)).toArray(String[]::new);
        addFilter(ctx, "alteran-read-only", new ReadOnlyFilter(), pages);

        ctx.addServlet("alteran-xrpc", new XrpcServlet(router, config.maxJsonBytes(), authenticator, rateLimiter, new XrpcParams(lexicons),
                XrpcBodies.fromSystemProperty(lexicons), proxy)).addMapping("/xrpc/*");
        var wellKnown = paths().stream().filter(p -> p.startsWith("/.well-known/") && !oauthPaths.contains(p)).toArray(String[]::new);
        ctx.addServlet("alteran-well-known", new WellKnownServlet(identity, didDocuments, config.env())).addMapping(wellKnown);
        ctx.addServlet("alteran-health", new HealthServlet(database, blobStore)).addMapping("/health", "/ready");
        var clash = ctx.addServlet("alteran-oauth", oauthServlet).addMapping(oauthPaths.toArray(String[]::new));
        if (!clash.isEmpty()) throw new IllegalStateException("the host already maps " + clash + ", which the OAuth server needs");
        if (debugRoutes) {
            ctx.addServlet("alteran-debug", new DebugServlet(repo, recordWriter, blobs, blobCollector, authenticator, rateLimiter, config.maxJsonBytes()))
                    .addMapping(DebugServlet.PATH);
        }
        if (includeRootEndpoint) ctx.addServlet("alteran-root", new RootServlet(identity)).addMapping("");
        installFirehose(ctx);
        relays.start();
    }

    /**
     * The WebSocket endpoint of subscribeRepos, through the container's Jakarta WebSocket
     * {@link ServerContainer} (Jetty: {@code JakartaWebSocketServletContainerInitializer.configure}).
     * Upgrades are handled before servlets, so the {@code /xrpc/*} servlet does not shadow it.
     */
    private void installFirehose(ServletContext ctx) {
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

        /** Answers {@code /} with a short page naming this PDS. On by default; a host with its own home page turns it off. */
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

        /** Opens storage (migrating the schema) for a validated configuration. */
        public Alteran build() {
            Objects.requireNonNull(config, "config");
            config.validateOrThrow();
            return new Alteran(this);
        }
    }
}
