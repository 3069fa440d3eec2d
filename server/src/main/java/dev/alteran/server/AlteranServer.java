package dev.alteran.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code alteran} command line: {@code serve}, {@code dev}, {@code secrets}, {@code hash-password}, {@code blobs gc}. */
@Command(name = "alteran", mixinStandardHelpOptions = true, version = "alteran 0.1.0",
        description = "A single-user AT Protocol Personal Data Server.",
        subcommands = {ServeCommand.class, DevCommand.class, SecretsCommand.class, HashPasswordCommand.class, BlobsCommand.class})
public final class AlteranServer implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        var cli = new CommandLine(new AlteranServer());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            System.err.println("alteran: " + e.getMessage());
            return 1;
        });
        System.exit(cli.execute(args));
    }
}
