package dev.alteran.server;

import dev.alteran.pds.Databases;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.oauth.OAuthTokens;
import dev.alteran.pds.store.Database;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code alteran oauth ...}: the apps signed in with OAuth. Both subcommands work on the database,
 * so they are safe while the server runs, and a revocation takes effect on its next request (every
 * access token is checked against its session row).
 */
@Command(name = "oauth", mixinStandardHelpOptions = true, description = "Apps signed in to the account with OAuth (see docs/oauth.md).",
        subcommands = {OAuthCommand.Sessions.class, OAuthCommand.Revoke.class})
final class OAuthCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Listing and revoking sign nothing, so a configuration without ACCESS_TOKEN still serves. */
    static OAuthTokens tokens(Database db, Config config) {
        var secret = config.accessTokenSecret() != null ? config.accessTokenSecret() : "no key needed to list or revoke";
        return new OAuthTokens(db, config.publicOrigin(), config.serviceDid(), secret, OAuthTokens.Lifetimes.REFERENCE, Clock.systemUTC());
    }

    @Command(name = "sessions", mixinStandardHelpOptions = true,
            description = "List the signed-in apps: session ID, client, scopes, when it signed in and when it was last used.")
    static final class Sessions implements Callable<Integer> {
        @Mixin
        DataOptions data;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var config = data.config();
            var out = spec.commandLine().getOut();
            try (var db = Databases.openExisting(config)) {
                var sessions = tokens(db, config).sessions();
                if (sessions.isEmpty()) out.println("# no app is signed in");
                for (var s : sessions) {
                    out.println(s.id());
                    out.println("  client:    " + s.clientId());
                    out.println("  scopes:    " + s.scope());
                    out.println("  signed in: " + s.createdAt());
                    out.println("  last used: " + s.lastUsedAt());
                    out.println("  ends:      " + s.expiresAt());
                }
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Sign an app out: end session ID (from `alteran oauth sessions`) and every token it holds, at once.")
    static final class Revoke implements Callable<Integer> {
        @Mixin
        DataOptions data;

        @Parameters(paramLabel = "ID", description = "The session ID (ses-...).")
        String id;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var config = data.config();
            try (var db = Databases.openExisting(config)) {
                if (!tokens(db, config).revokeSession(id)) {
                    spec.commandLine().getErr().println("alteran: no OAuth session " + id);
                    spec.commandLine().getErr().flush();
                    return 1;
                }
            }
            spec.commandLine().getOut().println("revoked " + id);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
