package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line: serve and dev are parsed without the other commands, and read the same to a person. */
class AlteranServerTest {
    @Test
    void serveAndDevAloneAreTheSameCommandsAsInTheFullCommandLine() {
        var full = AlteranServer.commandLine();
        assertThat(full.getSubcommands()).containsKeys("serve", "dev", "secrets", "migrate", "copy-to-sqlite").hasSize(19);
        for (var name : new String[] {"serve", "dev"}) {
            var alone = AlteranServer.commandLine(CommandLine.defaultFactory(), new String[] {name, "--help"});
            assertThat(alone.getSubcommands()).containsOnlyKeys(name);
            assertThat(usage(alone.getSubcommands().get(name))).isEqualTo(usage(full.getSubcommands().get(name))).contains("alteran " + name);
        }
    }

    @Test
    void anUnknownOptionOfDevIsTheSameErrorEitherWay() {
        String[] args = {"dev", "--no-such-option"};
        var err = new StringWriter();
        int code = AlteranServer.commandLine(CommandLine.defaultFactory(), args).setErr(new PrintWriter(err)).execute(args);
        var fullErr = new StringWriter();
        int fullCode = AlteranServer.commandLine().setErr(new PrintWriter(fullErr)).execute(args);
        assertThat(code).isEqualTo(fullCode).isEqualTo(2);
        assertThat(err.toString()).isEqualTo(fullErr.toString()).contains("Unknown option: '--no-such-option'");
    }

    private static String usage(CommandLine cli) {
        var out = new StringWriter();
        cli.usage(new PrintWriter(out));
        return out.toString();
    }
}
