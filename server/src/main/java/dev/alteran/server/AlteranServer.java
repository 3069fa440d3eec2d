package dev.alteran.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code alteran} command line: {@code serve}, {@code dev}, {@code secrets}, {@code hash-password}, {@code blobs gc},
 * and the data-directory operations {@code migrate}, {@code export}, {@code import}, {@code gc}, {@code prune}, {@code verify},
 * {@code backup}, {@code restore}, {@code plc},
 * and {@code oauth sessions|revoke}; the account's moves {@code migrate-in} and {@code migrate-out}; and the database's
 * moves {@code copy-to-postgres} and {@code copy-to-sqlite}.
 */
@Command(name = "alteran", mixinStandardHelpOptions = true, version = "alteran 0.1.0",
        description = "A single-user AT Protocol Personal Data Server.",
        subcommands = {ServeCommand.class, DevCommand.class, SecretsCommand.class, HashPasswordCommand.class, BlobsCommand.class,
                MigrateCommand.class, ExportCommand.class, ImportCommand.class, GcCommand.class, PruneCommand.class, VerifyCommand.class,
                BackupCommand.class, RestoreCommand.class, PlcCommand.class, OAuthCommand.class, MigrateInCommand.class, MigrateOutCommand.class,
                CopyDatabaseCommand.ToPostgres.class, CopyDatabaseCommand.ToSqlite.class})
public final class AlteranServer implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with its error handling: a failing command prints one line and exits 1. */
    static CommandLine commandLine() {
        return commandLine(CommandLine.defaultFactory());
    }

    /** The command line whose commands {@code factory} makes (tests give the migration commands their standard input). */
    static CommandLine commandLine(CommandLine.IFactory factory) {
        var cli = new CommandLine(new AlteranServer(), factory);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("alteran: " + e.getMessage());
            cmd.getErr().flush();
            return 1;
        });
        return cli;
    }
}
