package dev.alteran.pds.xrpc;

import static dev.alteran.pds.http.RateLimiter.Bucket.LOGIN;
import static dev.alteran.pds.http.RateLimiter.Bucket.WRITE;
import static dev.alteran.pds.xrpc.AuthLevel.ACCESS;
import static dev.alteran.pds.xrpc.AuthLevel.FULL_SESSION;
import static dev.alteran.pds.xrpc.AuthLevel.SESSION;
import static dev.alteran.pds.xrpc.AuthLevel.PUBLIC;
import static dev.alteran.pds.xrpc.AuthLevel.REFRESH;
import static dev.alteran.pds.xrpc.AuthLevel.OPTIONAL_SERVICE;
import dev.alteran.pds.auth.Permissions.AccountAction;
import dev.alteran.pds.auth.Permissions.AccountAttr;
import dev.alteran.pds.wire.XrpcException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.auth.AppPasswords;
import dev.alteran.pds.firehose.AccountActivation;
import dev.alteran.pds.config.TrustedProxies;
import dev.alteran.pds.auth.LoginLockout;
import dev.alteran.pds.auth.ServiceAuth;
import dev.alteran.pds.auth.Sessions;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.identity.DidDocuments;
import dev.alteran.pds.identity.Identity;
import dev.alteran.pds.store.AccountStatus;
import dev.alteran.atproto.syntax.Datetime;
import dev.alteran.atproto.syntax.Handle;
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
    private final AccountActivation activation;

    public ServerHandlers(Config config, Identity identity, Sessions sessions, AppPasswords appPasswords, ServiceAuth serviceAuth,
                          TrustedProxies proxies, AccountStatus account, DidDocuments didDocuments,
                          AccountActivation activation) {
        this.activation = activation;
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
        router.procedure("com.atproto.server.createAccount", OPTIONAL_SERVICE, LOGIN, this::createAccount);
        router.procedure("com.atproto.server.refreshSession", REFRESH, WRITE, this::refreshSession);
        router.query("com.atproto.server.getSession", ACCESS, this::getSession);
        router.procedure("com.atproto.server.deleteSession", REFRESH, WRITE, this::deleteSession);
        router.procedure("com.atproto.server.createAppPassword", FULL_SESSION, WRITE, this::createAppPassword);
        router.query("com.atproto.server.listAppPasswords", SESSION, this::listAppPasswords);
        router.procedure("com.atproto.server.revokeAppPassword", SESSION, WRITE, this::revokeAppPassword);
        router.query("com.atproto.server.getServiceAuth", ACCESS, XrpcHandler.authorized((permissions, call) -> {
            var lxm = call.param("lxm");
            permissions.requireRpc(lxm == null ? "*" : lxm, call.requiredParam("aud"));
        }, this::getServiceAuth));
        router.procedure("com.atproto.server.activateAccount", FULL_SESSION, WRITE, this::activateAccount);
        router.procedure("com.atproto.server.deactivateAccount", FULL_SESSION, WRITE, this::deactivateAccount);
        router.query("com.atproto.server.checkAccountStatus", ACCESS, this::checkAccountStatus);
    }

    /**
     * A single-user PDS: no sign-ups, so no user domains are offered and invites would be required. The
     * policy links and contact address are the operator's (PDS_LINK_PRIVACY, PDS_LINK_TOS, PDS_CONTACT_EMAIL).
     */
    DescribeServer describeServer() {
        var policy = config.policyLinks();
        return new DescribeServer(config.serviceDid(), List.of(), true, false, policy.links(), policy.contact());
    }

    SessionOutput createSession(XrpcCall call) {
        var in = JsonInput.of(call.jsonBody());
        var identifier = in.string("identifier", true);
        var password = in.string("password", true);
        return session(login(call, identifier, password, true));
    }

    private Sessions.Session login(XrpcCall call, String identifier, String password, boolean allowAppPasswords) {
        try {
            // The client's address as the lockout records it: behind a trusted proxy, not the proxy's.
            var client = proxies.clientAddress(call.request());
            return sessions.login(identifier, password, client == null ? call.request().getRemoteAddr() : client.getHostAddress(),
                    allowAppPasswords);
        } catch (LoginLockout.LockedOut e) {
            long minutes = Math.max(1, (e.retryAfterSec() + 59) / 60);
            call.response().setHeader("Retry-After", Long.toString(e.retryAfterSec()));
            throw new XrpcException(429, "RateLimitExceeded",
                    "Too many failed login attempts; login is locked for " + minutes + " more minute" + (minutes == 1 ? "" : "s"));
        }
    }

    /**
     * The account moving in (docs/migration.md): this server hosts one account, so createAccount only
     * takes that account's existing DID, with a service token its current key signed for this method
     * (a present token is checked before the handler: {@link AuthLevel#OPTIONAL_SERVICE}), while the account is not active here
     * yet. The handle must be the account's configured one and the password its configured password
     * (it opens the session, with login's lockout); email and invite code are not used. The account
     * stays deactivated until activateAccount.
     */
    AccountCreated createAccount(XrpcCall call) {
        var body = call.jsonBody();
        var in = JsonInput.of(body);
        var did = in.string("did", false);
        var handle = in.string("handle", true);
        var password = in.string("password", false);
        if (body.has("plcOp")) throw XrpcException.invalidRequest("Unsupported input: \"plcOp\"");
        if (did == null) {
            throw XrpcException.invalidRequest("This server hosts a single account, " + config.did() + "; it creates no new ones");
        }
        // As the reference PDS: the DID must be the one whose service token authorized the call, and without one
        // the answer is the same (its error for a migration's createAccount sent with no token).
        var caller = call.auth();
        if (caller == null || !did.equals(caller.did())) throw XrpcException.authRequired("Missing auth to create account with did: " + did);
        if (account.isActive()) throw XrpcException.invalidRequest("The account " + did + " is already active on this server");
        if (!Handle.normalize(handle).equals(identity.handle())) {
            throw XrpcException.invalidRequest("Handle must be this server's account handle: " + identity.handle());
        }
        if (password == null) throw XrpcException.invalidRequest("Password is required: the account password this server is configured with");
        var s = login(call, did, password, false);
        return new AccountCreated(s.accessJwt(), s.refreshJwt(), identity.handle(), config.did());
    }

    SessionOutput refreshSession(XrpcCall call) {
        return session(sessions.refresh(call.refreshToken()));
    }

    /**
     * The session's account. The e-mail ({@code PDS_EMAIL}, when set) is shown to sessions, and to OAuth
     * tokens only with {@code account:email} or {@code transition:email}, as the reference. It is never
     * reported confirmed: this server has no confirmation flow, and the address is the operator's setting.
     */
    GetSession getSession(XrpcCall call) {
        var email = config.email().accountAddress();
        if (email != null && !call.principal().permissions().allowsAccount(AccountAttr.EMAIL, AccountAction.READ)) email = null;
        return new GetSession(identity.handle(), config.did(), email, email == null ? null : false, account.isActive(), account.status());
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
        activation.activate(call.request());
        return null;
    }

    Object deactivateAccount(XrpcCall call) {
        // The input is a JSON object, possibly empty, as the lexicon has it.
        var deleteAfter = JsonInput.of(call.jsonBody()).string("deleteAfter", false);
        if (deleteAfter != null && !Datetime.isValid(deleteAfter)) {
            throw XrpcException.invalidRequest("Input/deleteAfter must be an valid atproto datetime (both RFC-3339 and ISO-8601)");
        }
        activation.deactivate(deleteAfter);
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

    /** createAccount output; didDoc is left out, as in createSession. */
    record AccountCreated(String accessJwt, String refreshJwt, String handle, String did) {}

    record GetSession(String handle, String did, String email, Boolean emailConfirmed, boolean active, String status) {}

    record AccountStatusOutput(boolean activated, boolean validDid, String repoCommit, String repoRev, long repoBlocks,
                               long indexedRecords, long privateStateValues, long expectedBlobs, long importedBlobs) {}

    record AppPasswordList(List<AppPasswords.Listed> passwords) {}

    record ServiceToken(String token) {}
}
