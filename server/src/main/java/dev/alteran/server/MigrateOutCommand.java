package dev.alteran.server;

import dev.alteran.pds.Databases;
import dev.alteran.pds.auth.AccountPassword;
import dev.alteran.pds.auth.PlcTokens;
import java.io.InputStream;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code alteran migrate-out}: the whole move of the account from this (running) server to another PDS. */
@Command(name = "migrate-out", mixinStandardHelpOptions = true,
        description = {"Move the account from this server, which must be running, to another PDS: creates the account there, copies",
                "the repository, blobs and preferences, signs the PLC operation that names the new host (the token is made",
                "here, no e-mail), has the new host submit it, activates the account there, checks it, and then deactivates",
                "it here. Asks for the password of the new account on the terminal. Run it again to resume a move that stopped."})
final class MigrateOutCommand implements Callable<Integer> {
    @Mixin
    DataOptions data;

    @Option(names = "--to", required = true, paramLabel = "URL", description = "The new PDS.")
    String to;

    @Option(names = "--handle", paramLabel = "HANDLE", description = "The handle on the new PDS (default: the account's current handle).")
    String handle;

    @Option(names = "--email", paramLabel = "EMAIL", description = "The e-mail address for the new account (most PDSs require one).")
    String email;

    @Option(names = "--invite-code", paramLabel = "CODE", description = "An invite code, if the new PDS requires one.")
    String inviteCode;

    @Option(names = "--from", paramLabel = "URL", description = "This server's URL (default: https://PDS_HOSTNAME; http:// in development).")
    String from;

    @Option(names = "--password-stdin", description = "Read the answers from standard input, one a line, instead of the terminal: the new account's password,"
            + " then this server's account password (only when USER_PASSWORD is a hash).")
    boolean passwordStdin;

    @Spec
    CommandSpec spec;

    private final InputStream stdin;

    MigrateOutCommand() {
        this(System.in);
    }

    MigrateOutCommand(InputStream stdin) {
        this.stdin = stdin;
    }

    @Override
    public Integer call() {
        var config = data.repoConfig();
        Databases.requireExisting(config);
        var out = spec.commandLine().getOut();
        var input = new TerminalInput(stdin, passwordStdin);
        var http = XrpcClient.newHttpClient();
        var here = new XrpcClient(from != null ? from : AccountMove.publicUrl(config, "--from"), "--from", http);
        var neu = new XrpcClient(to, "--to", http);

        var newPassword = input.newSecret("Password for the account on " + neu.base);
        var password = AccountPassword.of(config.userPassword()).isHashed()
                ? input.secret("Password of this server's account (USER_PASSWORD is a hash)") : config.userPassword();
        var session = AccountMove.login(here, config.did(), password, "this server",
                "start it (`alteran serve`), or give --from with its URL", "check the password (USER_PASSWORD)");
        AccountMove.reach(neu, "the new host", "check --to and that the host is up");

        var account = new AccountMove.Account(config.did(), handle != null ? handle : session.path("handle").asText(), newPassword, email,
                inviteCode);
        var move = new AccountMove(here, neu, account, AccountMove.Limits.of(config), () -> {
            // This server is the old host: it makes the token itself instead of e-mailing it.
            try (var db = Databases.openExisting(config)) {
                var token = new PlcTokens(db, Clock.systemUTC()).create().token();
                out.println("identity: made the token for signPlcOperation here (no e-mail needed)");
                out.flush();
                return token;
            }
        }, List.of(config.signingKey().publicKey()), config.dataDir().resolve("migrate-out.json"), config.dataDir(), out,
                spec.commandLine().getErr());
        move.run();
        return 0;
    }
}
