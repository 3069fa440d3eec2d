package dev.alteran.server;

import dev.alteran.pds.auth.PlcTokens;
import dev.alteran.pds.store.Database;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code alteran plc ...}: the account's did:plc operations. */
@Command(name = "plc", mixinStandardHelpOptions = true, description = "did:plc operations of the account (see docs/plc.md).",
        subcommands = {PlcCommand.Token.class})
final class PlcCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "token", mixinStandardHelpOptions = true,
            description = {"Make a fresh token for com.atproto.identity.signPlcOperation and print it: single use, valid 15 minutes,",
                    "replacing any earlier token (the reference PDS e-mails this code; this server sends no e-mail).",
                    "Safe while the server runs."})
    static final class Token implements Callable<Integer> {
        @Mixin
        DataOptions data;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var config = data.config();
            var out = spec.commandLine().getOut();
            try (var db = Database.openSqlite(DataOptions.existingDatabase(config))) {
                var created = new PlcTokens(db, Clock.systemUTC()).create();
                out.println(created.token());
                out.println("# single use, valid until " + created.expiresAt() + "; the token input of com.atproto.identity.signPlcOperation");
            }
            out.flush();
            return 0;
        }
    }
}
