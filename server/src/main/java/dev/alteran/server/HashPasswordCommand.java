package dev.alteran.server;

import dev.alteran.pds.auth.PasswordHash;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Prints a PHC hash of a password for USER_PASSWORD, so the env file need not hold the password
 * itself. The password comes from standard input (its first line); at a terminal it is asked for
 * twice without echo. It is never taken from the command line, where the shell history would keep it.
 */
@Command(name = "hash-password", mixinStandardHelpOptions = true,
        description = {"Read a password from standard input and print its hash for USER_PASSWORD.",
                "Example: printf '%s' 'my password' | alteran hash-password"})
final class HashPasswordCommand implements Callable<Integer> {
    /** scrypt defaults: N = 2^16, r = 8, p = 1 (64 MiB, like the argon2id default). */
    static final int SCRYPT_LOG_N = 16;

    @Option(names = "--scrypt", description = "Make a $scrypt$ hash (ln=16, r=8, p=1) instead of the default $argon2id$.")
    boolean scrypt;

    @Option(names = {"-m", "--memory"}, defaultValue = "" + PasswordHash.ARGON2_MEMORY_KIB,
            description = "argon2id memory in KiB (default: ${DEFAULT-VALUE}).")
    int memoryKib;

    @Option(names = {"-t", "--iterations"}, defaultValue = "" + PasswordHash.ARGON2_ITERATIONS,
            description = "argon2id passes (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = {"-p", "--parallelism"}, defaultValue = "" + PasswordHash.ARGON2_PARALLELISM,
            description = "argon2id lanes (default: ${DEFAULT-VALUE}).")
    int parallelism;

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;

    HashPasswordCommand() {
        this(System.in, System.out, System.err);
    }

    HashPasswordCommand(InputStream in, PrintStream out, PrintStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception {
        var password = read();
        if (password == null || password.isEmpty()) {
            err.println("alteran: no password given on standard input");
            return 1;
        }
        try {
            out.println(hash(password));
        } catch (IllegalArgumentException e) {
            err.println("alteran: " + e.getMessage());
            return 1;
        }
        return 0;
    }

    private String hash(String password) {
        if (!scrypt) return PasswordHash.Argon2id.create(password, memoryKib, iterations, parallelism).encoded();
        var salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        return PasswordHash.Scrypt.create(password, salt, SCRYPT_LOG_N, 8, 1).encoded();
    }

    /** Console.isTerminal() exists from Java 22; before it, System.console() was null unless interactive. */
    private static boolean isTerminal(java.io.Console console) {
        if (console == null) return false;
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    private String read() throws Exception {
        var console = System.console();
        if (in == System.in && isTerminal(console)) {
            var first = console.readPassword("Password: ");
            var second = console.readPassword("Again: ");
            if (first == null || second == null) return null;
            try {
                if (!Arrays.equals(first, second)) {
                    err.println("alteran: the passwords differ");
                    return null;
                }
                return new String(first);
            } finally {
                Arrays.fill(first, '\0');
                Arrays.fill(second, '\0');
            }
        }
        var line = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
        return line; // readLine drops the line ending (\n or \r\n), so `echo pw |` and `printf pw |` agree
    }
}
