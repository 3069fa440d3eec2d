package dev.alteran.server;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.concurrent.Callable;

/**
 * The plain command lines of {@code serve} and {@code dev}, read without picocli: a restart spent a fifth of its
 * main thread's time loading picocli (Java 5 class files, which no start-up cache holds, verified by the old
 * verifier) and reading the command's annotations. Only the forms this class knows are read here: each option
 * once, as {@code --name value} or {@code --name=value}, values that convert; anything else (help, version, an
 * unknown or repeated option, a bad value) returns null and goes to picocli, which gives the same result or its
 * own message. {@code ServerArgsTest} checks that both read the same.
 */
final class ServerArgs {
    private ServerArgs() {}

    /** The command {@code args} run, its options set, or null when picocli must read them. */
    static Callable<Integer> parse(String[] args) {
        if (args.length == 0) return null;
        try {
            return switch (args[0]) {
                case "dev" -> dev(args);
                case "serve" -> serve(args);
                default -> null;
            };
        } catch (IllegalArgumentException e) { // a bad number, an InvalidPathException
            return null; // picocli says what is wrong
        }
    }

    private static DevCommand dev(String[] args) {
        var dev = new DevCommand();
        dev.port = Integer.parseInt(DevCommand.DEFAULT_PORT);
        dev.data = Path.of(DevCommand.DEFAULT_DATA);
        var options = new Options(args);
        for (String name; (name = options.next()) != null; ) {
            switch (name) {
                case "--port" -> dev.port = Integer.parseInt(options.value());
                case "--data" -> dev.data = Path.of(options.value());
                case "--debug-routes" -> dev.debugRoutes = options.flag();
                default -> throw new IllegalArgumentException(name);
            }
        }
        return dev;
    }

    private static ServeCommand serve(String[] args) {
        var serve = new ServeCommand();
        var options = new Options(args);
        for (String name; (name = options.next()) != null; ) {
            switch (name) {
                case "--env-file" -> serve.envFile = Path.of(options.value());
                case "--debug-routes" -> serve.debugRoutes = options.flag();
                case "--backup-dir" -> serve.backupDir = Path.of(options.value());
                case "--backup-every" -> serve.backupEvery = options.value();
                case "--backup-keep" -> serve.backupKeep = Integer.valueOf(options.value());
                default -> throw new IllegalArgumentException(name);
            }
        }
        return serve;
    }

    /** The options after the command's name, one at a time; a repeated one, or one not like {@code --name}, is an error. */
    private static final class Options {
        private final String[] args;
        private final HashSet<String> seen = new HashSet<>();
        private int next = 1;
        private String inline;

        Options(String[] args) {
            this.args = args;
        }

        String next() {
            if (next >= args.length) return null;
            var arg = args[next++];
            if (!arg.startsWith("--")) throw new IllegalArgumentException(arg);
            int eq = arg.indexOf('=');
            inline = eq < 0 ? null : arg.substring(eq + 1);
            var name = eq < 0 ? arg : arg.substring(0, eq);
            if (!seen.add(name)) throw new IllegalArgumentException(name);
            return name;
        }

        String value() {
            if (inline != null) return inline;
            // a value that looks like an option is picocli's to judge
            if (next >= args.length || args[next].startsWith("-")) throw new IllegalArgumentException("no value");
            return args[next++];
        }

        boolean flag() {
            if (inline != null) throw new IllegalArgumentException("a flag takes no value");
            return true;
        }
    }
}
