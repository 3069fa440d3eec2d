package dev.alteran.server;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code alteran} command line: {@code serve}, {@code dev}, {@code secrets}, {@code hash-password}, {@code blobs gc},
 * and the data-directory operations {@code migrate}, {@code export}, {@code import}, {@code gc}, {@code prune}, {@code verify},
 * {@code backup}, {@code restore}, {@code plc},
 * and {@code oauth sessions|revoke}; the account's moves {@code migrate-in} and {@code migrate-out}; and the database's
 * moves {@code copy-to-postgres} and {@code copy-to-sqlite}.
 */
@Command(name = "alteran", mixinStandardHelpOptions = true, version = "alteran 0.1.0",
        description = "A single-user AT Protocol Personal Data Server.")
public final class AlteranServer implements Runnable {
    /** The subcommands, in the order the help lists them. */
    private static final List<Class<?>> COMMANDS = List.of(ServeCommand.class, DevCommand.class, SecretsCommand.class,
            HashPasswordCommand.class, BlobsCommand.class, MigrateCommand.class, ExportCommand.class, ImportCommand.class, GcCommand.class,
            PruneCommand.class, VerifyCommand.class, BackupCommand.class, RestoreCommand.class, PlcCommand.class, OAuthCommand.class,
            MigrateInCommand.class, MigrateOutCommand.class, CopyDatabaseCommand.ToPostgres.class, CopyDatabaseCommand.ToSqlite.class);
    /**
     * The commands that start a server: their command line holds only themselves. picocli builds each
     * command's model by reflection over its annotations, and all of them took a sixth of a restart's start-up.
     */
    private static final Map<String, Class<?>> SERVERS = Map.of("serve", ServeCommand.class, "dev", DevCommand.class);

    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        var server = ServerArgs.parse(args);
        System.exit(server != null ? runServer(server) : commandLine(CommandLine.defaultFactory(), args).execute(args));
    }

    /** Runs a command {@link ServerArgs} read, as picocli would: a failure prints one line and exits 1. */
    static int runServer(Callable<Integer> command) {
        try {
            return command.call();
        } catch (Exception e) {
            System.err.println(failure(e));
            System.err.flush();
            return 1;
        }
    }

    /** The one line a failing command prints. */
    private static String failure(Exception e) {
        return "alteran: " + e.getMessage();
    }

    /** The command line with its error handling: a failing command prints one line and exits 1. */
    static CommandLine commandLine() {
        return commandLine(CommandLine.defaultFactory());
    }

    /** The command line whose commands {@code factory} makes (tests give the migration commands their standard input). */
    static CommandLine commandLine(CommandLine.IFactory factory) {
        return commandLine(factory, new String[0]);
    }

    /** The command line to execute {@code args}: with {@code serve} or {@code dev} first, only that command. */
    static CommandLine commandLine(CommandLine.IFactory factory, String[] args) {
        var server = args.length > 0 ? SERVERS.get(args[0]) : null;
        var cli = new CommandLine(new AlteranServer(), factory);
        for (var command : server != null ? List.of(server) : COMMANDS) cli.addSubcommand(command);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(failure(e));
            cmd.getErr().flush();
            return 1;
        });
        return cli;
    }
}
