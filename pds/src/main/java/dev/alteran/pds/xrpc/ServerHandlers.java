package dev.alteran.pds.xrpc;

import static dev.alteran.pds.http.RateLimiter.Bucket.LOGIN;
import static dev.alteran.pds.http.RateLimiter.Bucket.WRITE;
import static dev.alteran.pds.xrpc.AuthLevel.ACCESS;
import static dev.alteran.pds.xrpc.AuthLevel.FULL_ACCESS;
import static dev.alteran.pds.xrpc.AuthLevel.PUBLIC;
import static dev.alteran.pds.xrpc.AuthLevel.REFRESH;
import dev.alteran.pds.wire.XrpcException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.auth.AppPasswords;
import dev.alteran.pds.config.TrustedProxies;
import dev.alteran.pds.auth.LoginLockout;
import dev.alteran.pds.auth.ServiceAuth;
import dev.alteran.pds.auth.Sessions;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.identity.DidDocuments;
import dev.alteran.pds.identity.Identity;
import dev.alteran.pds.store.AccountStatus;
import dev.alteran.atproto.syntax.Datetime;
import java.util.List;
import java.util.Map;

/** com.atproto.server.*: what this server is, sessions, app passwords and service auth. */
public final class ServerHandlers {
    private final Config config;
    private final Identity identity;
    private final Sessions sessions;
    private final AppPasswords appPasswords;
    private final ServiceAuth serviceAuth;
    private final TrustedProxies proxies;
    private final AccountStatus account;
    private final DidDocuments didDocuments;

    public ServerHandlers(Config config, Identity identity, Sessions sessions, AppPasswords appPasswords, ServiceAuth serviceAuth,
                          TrustedProxies proxies, AccountStatus account, DidDocuments didDocuments) {
        this.proxies = proxies;
        this.account = account;
        this.didDocuments = didDocuments;
        this.identity = identity;
        this.config = config;
        this.sessions = sessions;
        this.appPasswords = appPasswords;
        this.serviceAuth = serviceAuth;
    }

    public void register(XrpcRouter router) {
        router.query("com.atproto.server.describeServer", PUBLIC, call -> describeServer());
        router.procedure("com.atproto.server.createSession", PUBLIC, LOGIN, this::createSession);
        router.procedure("com.atproto.server.refreshSession", REFRESH, WRITE, this::refreshSession);
        router.query("com.atproto.server.getSession", ACCESS, this::getSession);
        router.procedure("com.atproto.server.deleteSession", REFRESH, WRITE, this::deleteSession);
        router.procedure("com.atproto.server.createAppPassword", FULL_ACCESS, WRITE, this::createAppPassword);
        router.query("com.atproto.server.listAppPasswords", ACCESS, this::listAppPasswords);
        router.procedure("com.atproto.server.revokeAppPassword", ACCESS, WRITE, this::revokeAppPassword);
        router.query("com.atproto.server.getServiceAuth", ACCESS, this::getServiceAuth);
        router.procedure("com.atproto.server.activateAccount", FULL_ACCESS, WRITE, this::activateAccount);
        router.procedure("com.atproto.server.deactivateAccount", FULL_ACCESS, WRITE, this::deactivateAccount);
        router.query("com.atproto.server.checkAccountStatus", ACCESS, this::checkAccountStatus);
    }

    /** A single-user PDS: no sign-ups, so no user domains are offered and invites would be required. */
    DescribeServer describeServer() {
        return new DescribeServer(config.serviceDid(), List.of(), true, false, Map.of(), Map.of());
    }

    SessionOutput createSession(XrpcCall call) {
        var in = JsonInput.of(call.jsonBody());
        var identifier = in.string("identifier", true);
        var password = in.string("password", true);
        // Typed by the lexicon even where unused: a wrong type is the client's error, as on every route.
        in.string("authFactorToken", false);
        in.bool("allowTakendown");
        try {
            // The client's address as the lockout records it: behind a trusted proxy, not the proxy's.
            var client = proxies.clientAddress(call.request());
            var s = sessions.login(identifier, password, client == null ? call.request().getRemoteAddr() : client.getHostAddress());
            return session(s);
        } catch (LoginLockout.LockedOut e) {
            long minutes = Math.max(1, (e.retryAfterSec() + 59) / 60);
            call.response().setHeader("Retry-After", Long.toString(e.retryAfterSec()));
            throw new XrpcException(429, "RateLimitExceeded",
                    "Too many failed login attempts; login is locked for " + minutes + " more minute" + (minutes == 1 ? "" : "s"));
        }
    }

    SessionOutput refreshSession(XrpcCall call) {
        return session(sessions.refresh(call.refreshToken()));
    }

    GetSession getSession(XrpcCall call) {
        return new GetSession(identity.handle(), config.did(), account.isActive(), account.status());
    }

    Object deleteSession(XrpcCall call) {
        sessions.delete(call.refreshToken());
        return null;
    }

    AppPasswords.Created createAppPassword(XrpcCall call) {
        var in = JsonInput.of(call.jsonBody());
        var name = in.string("name", true);
        var privileged = Boolean.TRUE.equals(in.bool("privileged"));
        return appPasswords.create(name, privileged);
    }

    AppPasswordList listAppPasswords(XrpcCall call) {
        return new AppPasswordList(appPasswords.list());
    }

    Object revokeAppPassword(XrpcCall call) {
        appPasswords.revoke(JsonInput.of(call.jsonBody()).string("name", true));
        return null;
    }

    ServiceToken getServiceAuth(XrpcCall call) {
        var aud = call.requiredParam("aud");
        var expText = call.param("exp");
        Long exp = null;
        if (expText != null) {
            try {
                exp = Long.parseLong(expText);
            } catch (NumberFormatException e) {
                throw XrpcException.invalidRequest("Error: exp must be an integer");
            }
        }
        return new ServiceToken(serviceAuth.issue(call.principal(), aud, exp, call.param("lxm")));
    }

    private SessionOutput session(Sessions.Session s) {
        return new SessionOutput(s.accessJwt(), s.refreshJwt(), identity.handle(), config.did(), account.isActive(), account.status());
    }

    // ---- account status (the reference PDS's account migration flow) ----

    /** Activates the account once its DID document names this server and key; re-announces it on the firehose. */
    Object activateAccount(XrpcCall call) {
        var problem = didDocuments.whyNotHere(call.request());
        if (problem != null) throw XrpcException.invalidRequest(problem);
        account.activate();
        return null;
    }

    Object deactivateAccount(XrpcCall call) {
        // The input is a JSON object, possibly empty, as the lexicon has it.
        var deleteAfter = JsonInput.of(call.jsonBody()).string("deleteAfter", false);
        if (deleteAfter != null && !Datetime.isValid(deleteAfter)) {
            throw XrpcException.invalidRequest("Input/deleteAfter must be an valid atproto datetime (both RFC-3339 and ISO-8601)");
        }
        account.deactivate(deleteAfter);
        return null;
    }

    AccountStatusOutput checkAccountStatus(XrpcCall call) {
        var counts = account.counts();
        return new AccountStatusOutput(account.isActive(), didDocuments.whyNotHere(call.request()) == null,
                counts.repoCommit().toString(), counts.repoRev(), counts.repoBlocks(), counts.indexedRecords(), 0,
                counts.expectedBlobs(), counts.importedBlobs());
    }

    record DescribeServer(String did, List<String> availableUserDomains, boolean inviteCodeRequired,
                          boolean phoneVerificationRequired, Map<String, String> links, Map<String, String> contact) {}

    /** createSession and refreshSession output; didDoc and email are left out (no DID document service, no email). */
    record SessionOutput(String accessJwt, String refreshJwt, String handle, String did, boolean active, String status) {}

    record GetSession(String handle, String did, boolean active, String status) {}

    record AccountStatusOutput(boolean activated, boolean validDid, String repoCommit, String repoRev, long repoBlocks,
                               long indexedRecords, long privateStateValues, long expectedBlobs, long importedBlobs) {}

    record AppPasswordList(List<AppPasswords.Listed> passwords) {}

    record ServiceToken(String token) {}
}
