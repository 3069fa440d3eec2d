package dev.alteran.pds;

import dev.alteran.pds.auth.AccountPassword;
import dev.alteran.pds.auth.AppPasswords;
import dev.alteran.pds.auth.Authenticator;
import dev.alteran.pds.auth.ServiceAuth;
import dev.alteran.pds.auth.SessionAuthenticator;
import dev.alteran.pds.auth.SessionTokens;
import dev.alteran.pds.auth.Sessions;
import dev.alteran.pds.blob.BlobStore;
import dev.alteran.pds.blob.FileBlobStore;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.config.Environment;
import dev.alteran.pds.firehose.Firehose;
import dev.alteran.pds.firehose.IdentitySequencer;
import dev.alteran.pds.firehose.RelayAnnouncer;
import dev.alteran.pds.firehose.SubscribeReposEndpoint;
import dev.alteran.pds.http.CorsFilter;
import dev.alteran.pds.http.HealthServlet;
import dev.alteran.pds.http.RequestLogFilter;
import dev.alteran.pds.http.RootServlet;
import dev.alteran.pds.http.SecurityHeadersFilter;
import dev.alteran.atproto.lexicon.Lexicons;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.RecordPreparer;
import dev.alteran.pds.store.RepoStore;
import dev.alteran.pds.store.SequenceLog;
import dev.alteran.pds.xrpc.RepoHandlers;
import dev.alteran.pds.identity.DidDocuments;
import dev.alteran.pds.identity.DidResolver;
import dev.alteran.pds.identity.DnsTxtLookup;
import dev.alteran.pds.identity.HandleResolver;
import dev.alteran.pds.identity.Identity;
import dev.alteran.pds.identity.IdentityHttp;
import dev.alteran.pds.identity.PlcClient;
import dev.alteran.pds.identity.WellKnownServlet;
import dev.alteran.pds.xrpc.IdentityHandlers;
import dev.alteran.pds.xrpc.ServerHandlers;
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
import java.util.Objects;

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
    private final Config config;
    private final boolean debugRoutes;
    private final boolean includeRootEndpoint;
    private final Database database;
    private final BlobStore blobs;
    private final Lexicons lexicons;
    private final SequenceLog sequence;
    private final RepoStore repo;
    private final Identity identity;
    private final PlcClient plc;
    private final DidDocuments didDocuments;
    private final HandleResolver handleResolver;
    private final DidResolver didResolver;
    private final List<IdentityHttp> httpClients;
    private final XrpcRouter router = new XrpcRouter();
    private final Authenticator authenticator;
    private final Sessions sessions;
    private final AppPasswords appPasswords;
    private final Firehose firehose;
    private final RelayAnnouncer relays;

    private Alteran(Builder b) {
        this.config = b.config;
        this.debugRoutes = b.debugRoutes;
        this.includeRootEndpoint = b.includeRootEndpoint;
        this.database = Database.openSqlite(config.dataDir().resolve("alteran.sqlite"));
        this.blobs = new FileBlobStore(config.dataDir().resolve("blobs"));
        this.identity = Identity.open(database, config);
        // Handles and did:web hosts are anyone's input: outside development they may not lead to loopback or
        // private addresses. The PLC directory is the operator's choice (possibly a local mirror), so it may.
        var http = new IdentityHttp(IdentityHttp.DEFAULT_TIMEOUT, config.env() == Environment.DEV);
        var plcHttp = new IdentityHttp(IdentityHttp.DEFAULT_TIMEOUT, true);
        this.httpClients = List.of(http, plcHttp);
        this.plc = new PlcClient(config.plcUrl(), plcHttp);
        this.didDocuments = new DidDocuments(config, identity, plc);
        this.handleResolver = new HandleResolver(DnsTxtLookup.jndi(IdentityHttp.DEFAULT_TIMEOUT), http);
        this.didResolver = new DidResolver(plc, http);
        var clock = Clock.systemUTC();
        var tokens = new SessionTokens(config.did(), config.accessTokenSecret(), config.refreshTokenSecret(),
                config.accessTtlSec(), config.refreshTtlSec(), clock);
        this.authenticator = new SessionAuthenticator(tokens);
        this.appPasswords = new AppPasswords(database, config.did(), clock);
        this.sessions = new Sessions(config.did(), config.handle(), database, tokens,
                AccountPassword.of(config.userPassword()), appPasswords, clock);
        var serviceAuth = new ServiceAuth(config.did(), config.signingKey(), clock);
        new ServerHandlers(config, sessions, appPasswords, serviceAuth).register(router);
        this.sequence = new SequenceLog(database, config.seqRetention());
        this.repo = RepoStore.open(database, config.did(), config.signingKey(), sequence, identity.handle());
        identity.addListener(new IdentitySequencer(sequence));
        this.firehose = new Firehose(sequence, config.seqWindow(), config.firehoseBuffer());
        this.lexicons = Lexicons.loadBundled(); // schemas are parsed when a record first needs them
        new RepoHandlers(repo, new RecordPreparer(lexicons), identity, didDocuments).register(router);
        new IdentityHandlers(config.env(), identity, didDocuments, handleResolver, didResolver, plc).register(router);
        new SyncHandlers(repo, database).register(router);
        this.relays = new RelayAnnouncer(config.hostname(), config.relayHosts(), RELAY_FIRST_DELAY);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The paths this PDS answers; everything else belongs to the host. */
    public List<String> paths() {
        var paths = new ArrayList<>(List.of("/xrpc/*", "/health", "/ready", WellKnownServlet.ATPROTO_DID));
        if (didDocuments.isDidWeb()) paths.add(WellKnownServlet.DID_JSON); // a did:plc document lives in the PLC directory
        if (includeRootEndpoint) paths.add("");
        return paths;
    }

    /** Registers the PDS filters and servlets. Call while the context is initializing. */
    public void install(ServletContext ctx) {
        var mapped = paths().toArray(String[]::new);
        addFilter(ctx, "alteran-request-log", new RequestLogFilter(), mapped);
        addFilter(ctx, "alteran-security-headers", new SecurityHeadersFilter(), mapped);
        addFilter(ctx, "alteran-cors", new CorsFilter(config.corsOrigins()), mapped);

        ctx.addServlet("alteran-xrpc", new XrpcServlet(router, config.maxJsonBytes(), authenticator)).addMapping("/xrpc/*");
        var wellKnown = paths().stream().filter(p -> p.startsWith("/.well-known/")).toArray(String[]::new);
        ctx.addServlet("alteran-well-known", new WellKnownServlet(identity, didDocuments, config.env())).addMapping(wellKnown);
        ctx.addServlet("alteran-health", new HealthServlet(database, blobs)).addMapping("/health", "/ready");
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

    public XrpcRouter router() {
        return router;
    }

    public Database database() {
        return database;
    }

    public BlobStore blobs() {
        return blobs;
    }

    /** The account's repository: head, writes, record reads. */
    public RepoStore repo() {
        return repo;
    }

    /** The firehose event log and its new-event listeners. */
    public SequenceLog sequence() {
        return sequence;
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

    public boolean debugRoutes() {
        return debugRoutes;
    }

    @Override
    public void close() {
        relays.close();
        firehose.close();
        httpClients.forEach(IdentityHttp::close);
        database.close();
    }

    public static final class Builder {
        private Config config;
        private boolean debugRoutes;
        private boolean includeRootEndpoint = true;

        public Builder config(Config config) {
            this.config = config;
            return this;
        }

        /** Mounts /debug/* (owner-only maintenance routes). Off by default. */
        public Builder debugRoutes(boolean on) {
            this.debugRoutes = on;
            return this;
        }

        /** Answers {@code /} with a short page naming this PDS. On by default; a host with its own home page turns it off. */
        public Builder includeRootEndpoint(boolean on) {
            this.includeRootEndpoint = on;
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
