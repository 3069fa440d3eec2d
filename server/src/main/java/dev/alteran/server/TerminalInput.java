package dev.alteran.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * What a command asks the person running it: secrets read on the terminal without echo, never taken
 * from the command line. With {@code fromStdin} (the commands' {@code --password-stdin}, as
 * {@code docker login} has it) each answer is the next line of standard input instead, in the order asked.
 */
final class TerminalInput {
    private final InputStream stdin;
    private final boolean fromStdin;

    TerminalInput(InputStream stdin, boolean fromStdin) {
        this.stdin = stdin;
        this.fromStdin = fromStdin;
    }

    /** A password or other secret: not echoed. */
    String secret(String prompt) {
        if (fromStdin) return nextLine(prompt);
        var console = console(prompt);
        var answer = console.readPassword("%s: ", prompt);
        if (answer == null) throw new IllegalStateException("no answer to \"" + prompt + "\"");
        return new String(answer);
    }

    /** A password being chosen: on a terminal it is asked twice, since a typo would lock the person out. */
    String newSecret(String prompt) {
        var first = secret(prompt);
        if (fromStdin) return first;
        if (!first.equals(secret(prompt + " (again)"))) throw new IllegalStateException("the two passwords differ: nothing was done, run again");
        return first;
    }

    /** A short code (a token from an e-mail): echoed, surrounding spaces dropped. */
    String line(String prompt) {
        if (fromStdin) return nextLine(prompt).strip();
        var answer = console(prompt).readLine("%s: ", prompt);
        if (answer == null) throw new IllegalStateException("no answer to \"" + prompt + "\"");
        return answer.strip();
    }

    private static java.io.Console console(String prompt) {
        var console = System.console();
        if (console == null) {
            throw new IllegalStateException("no terminal to ask for " + prompt + ": run on a terminal, or give --password-stdin and the answers on standard input, one a line");
        }
        return console;
    }

    /** One line, read byte by byte: nothing past it is consumed, so later answers can arrive later (a token from an e-mail). */
    private String nextLine(String prompt) {
        var line = new ByteArrayOutputStream();
        try {
            for (int b = stdin.read(); b != '\n'; b = stdin.read()) {
                if (b < 0) {
                    if (line.size() == 0) throw new IllegalStateException("standard input ended before " + prompt + " (--password-stdin: one answer a line)");
                    break;
                }
                line.write(b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var text = line.toString(StandardCharsets.UTF_8);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }
}
