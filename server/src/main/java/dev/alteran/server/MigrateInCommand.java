package dev.alteran.server;

import dev.alteran.pds.auth.AccountPassword;
import dev.alteran.pds.config.ConfigException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code alteran migrate-in}: the whole move of an account from its old PDS to this (running) server. */
@Command(name = "migrate-in", mixinStandardHelpOptions = true,
        description = {"Move the account from its old PDS to this server, which must be running and configured for the account's",
                "DID and handle (see docs/migration.md): creates the account here, copies the repository, blobs and preferences,",
                "has the old host sign the PLC operation that names this server (it e-mails a code, which this asks for),",
                "activates the account here, checks it, and then deactivates it on the old host.",
                "Asks for the old account's password on the terminal. Run it again to resume a move that stopped."})
final class MigrateInCommand implements Callable<Integer> {
    @Mixin
    DataOptions data;

    @Option(names = "--from", required = true, paramLabel = "URL", description = "The old PDS (its URL, e.g. https://pds.example.com).")
    String from;

    @Option(names = "--identifier", required = true, paramLabel = "HANDLE_OR_DID", description = "The account on the old PDS.")
    String identifier;

    @Option(names = "--to", paramLabel = "URL", description = "This server's URL (default: https://PDS_HOSTNAME; http:// in development).")
    String to;

    @Option(names = "--password-stdin", description = "Read the answers from standard input, one a line, instead of the terminal: the old account's password,"
            + " this server's account password (only when USER_PASSWORD is a hash), then the PLC token.")
    boolean passwordStdin;

    @Spec
    CommandSpec spec;

    private final InputStream stdin;

    MigrateInCommand() {
        this(System.in);
    }

    MigrateInCommand(InputStream stdin) {
        this.stdin = stdin;
    }

    @Override
    public Integer call() {
        var config = data.config();
        var problems = config.problems().stream()
                .filter(p -> p.startsWith("PDS_DID") || p.startsWith("PDS_HANDLE") || p.startsWith("USER_PASSWORD")).toList();
        if (!problems.isEmpty()) throw new ConfigException(problems);
        var out = spec.commandLine().getOut();
        var input = new TerminalInput(stdin, passwordStdin);
        var http = XrpcClient.newHttpClient();
        var old = new XrpcClient(from, "--from", http);
        var here = new XrpcClient(to != null ? to : AccountMove.publicUrl(config, "--to"), "--to", http);

        var oldPassword = input.secret("Password of " + identifier + " on " + old.base);
        var session = AccountMove.login(old, identifier, oldPassword, "the old host",
                "check --from and that the host is up", "check the identifier and the password");
        var did = session.path("did").asText();
        if (!did.equals(config.did())) {
            throw new AccountMove.Stop(identifier + " is " + did + ", but this server is configured for " + config.did()
                    + ": set PDS_DID to " + did + " (and PDS_HANDLE to its handle)");
        }
        var oldHandle = session.path("handle").asText();
        if (!oldHandle.equalsIgnoreCase(config.handle())) {
            out.println("handle: " + oldHandle + " on the old host becomes " + config.handle() + " (PDS_HANDLE) with this move");
        }
        var password = AccountPassword.of(config.userPassword()).isHashed()
                ? input.secret("Password of this server's account (USER_PASSWORD is a hash)") : config.userPassword();
        AccountMove.reach(here, "this server", "start it (`alteran serve`), or give --to with its URL");

        var move = new AccountMove(old, here, new AccountMove.Account(did, config.handle(), password, null, null),
                AccountMove.Limits.of(config), () -> {
            old.procedure("com.atproto.identity.requestPlcOperationSignature", null);
            out.println("identity: the old host has sent a confirmation code (to the account's e-mail address) for the PLC operation");
            out.flush();
            return input.line("PLC token from the old host's e-mail");
        }, List.of(), config.dataDir().resolve("migrate-in.json"), config.dataDir(), out, spec.commandLine().getErr());
        move.run();
        return 0;
    }
}
