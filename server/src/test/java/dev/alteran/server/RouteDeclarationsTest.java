package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.lexicon.LexType.LexProcedure;
import dev.alteran.atproto.lexicon.LexType.LexQuery;
import dev.alteran.atproto.lexicon.Lexicons;
import dev.alteran.pds.http.RateLimiter.Bucket;
import dev.alteran.pds.wire.MethodKind;
import dev.alteran.pds.xrpc.AuthLevel;
import dev.alteran.pds.xrpc.XrpcRouter;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the server's routes declare, checked against the Lexicons and against the reference PDS's rules. */
class RouteDeclarationsTest {
    static TestServer server;
    static Map<String, XrpcRouter.Route> routes;
    static final Lexicons lexicons = Lexicons.loadBundled();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        routes = server.alteran.router().routes().stream()
                .collect(Collectors.toMap(XrpcRouter.Route::nsid, r -> r, (a, b) -> a, TreeMap::new));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void everyRouteHasTheKindItsLexiconGivesIt() {
        assertThat(routes).hasSizeGreaterThan(40);
        for (var route : routes.values()) {
            var def = lexicons.getDef(route.nsid()).orElse(null);
            if (!route.lexicon()) {
                assertThat(def).as(route.nsid() + " says no Lexicon describes it").isNull();
                continue;
            }
            var kind = switch (def) {
                case LexQuery q -> MethodKind.QUERY;
                case LexProcedure p -> MethodKind.PROCEDURE;
                // subscribeRepos is a subscription: a plain GET reaching the servlet is answered as a query.
                case null, default -> route.nsid().equals("com.atproto.sync.subscribeRepos") ? MethodKind.QUERY : null;
            };
            assertThat(route.kind()).as(route.nsid()).isEqualTo(kind);
        }
    }

    @Test
    void bucketsAreTheReferencePdsLimits() {
        for (var route : routes.values()) {
            var expected = switch (route.nsid()) {
                case "com.atproto.server.createSession" -> Bucket.LOGIN;
                // Its own limit in the reference; here it checks the account password, so it counts as a login.
                case "com.atproto.server.createAccount" -> Bucket.LOGIN;
                case "com.atproto.repo.uploadBlob" -> Bucket.BLOB;
                default -> route.kind() == MethodKind.PROCEDURE ? Bucket.WRITE : null;
            };
            assertThat(route.bucket()).as(route.nsid()).isEqualTo(expected);
        }
    }

    @Test
    void accountLevelRoutesRefuseAppPasswordsAndSessionRoutesTakeRefreshTokens() {
        // The password's session only: no app password, no OAuth token (the reference refuses OAuth there).
        for (var nsid : new String[] {"com.atproto.server.createAppPassword", "com.atproto.server.activateAccount",
                "com.atproto.server.deactivateAccount"}) {
            assertThat(routes.get(nsid).auth()).as(nsid).isEqualTo(AuthLevel.FULL_SESSION);
        }
        // No app password; an OAuth token with the permission the handler checks (account:repo?action=manage, identity:*).
        for (var nsid : new String[] {"com.atproto.repo.importRepo", "com.atproto.identity.requestPlcOperationSignature",
                "com.atproto.identity.signPlcOperation", "com.atproto.identity.submitPlcOperation"}) {
            assertThat(routes.get(nsid).auth()).as(nsid).isEqualTo(AuthLevel.FULL_ACCESS);
        }
        // Any session, never an OAuth token.
        for (var nsid : new String[] {"com.atproto.server.listAppPasswords", "com.atproto.server.revokeAppPassword"}) {
            assertThat(routes.get(nsid).auth()).as(nsid).isEqualTo(AuthLevel.SESSION);
        }
        assertThat(routes.get("com.atproto.server.refreshSession").auth()).isEqualTo(AuthLevel.REFRESH);
        // An account moving in: only its own service token for this method (or none, refused by the handler as the reference does).
        assertThat(routes.get("com.atproto.server.createAccount").auth()).isEqualTo(AuthLevel.OPTIONAL_SERVICE);
        assertThat(routes.get("com.atproto.server.deleteSession").auth()).isEqualTo(AuthLevel.REFRESH);
        // Every write needs a session; reads of the public repository do not.
        for (var route : routes.values()) {
            if (route.kind() == MethodKind.PROCEDURE && !route.nsid().equals("com.atproto.server.createSession")) {
                assertThat(route.auth()).as(route.nsid()).isNotEqualTo(AuthLevel.PUBLIC);
            }
            if (route.nsid().startsWith("com.atproto.sync.")) assertThat(route.auth()).as(route.nsid()).isEqualTo(AuthLevel.PUBLIC);
        }
    }
}
