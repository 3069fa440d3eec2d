package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.pds.auth.PasswordHash;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class HashPasswordTest {
    record Run(int exit, String out, String err) {}

    static Run run(String stdin, String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        var cmd = new HashPasswordCommand(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        int exit = new CommandLine(cmd).execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void isASubcommandOfAlteran() {
        assertThat(AlteranServer.commandLine().getSubcommands()).containsKey("hash-password");
    }

    @Test
    void printsAnArgon2idHashOfTheFirstLine() {
        var r = run("s3cret pass\nignored second line\n");
        assertThat(r.exit()).isZero();
        var hash = r.out().strip();
        assertThat(hash).startsWith("$argon2id$v=19$m=65536,t=3,p=4$");
        assertThat(r.out()).doesNotContain("s3cret");
        var parsed = PasswordHash.parse(hash);
        assertThat(parsed.matches("s3cret pass")).isTrue();
        assertThat(parsed.matches("s3cret pass\n")).isFalse();
    }

    @Test
    void windowsLineEndingAndNoLineEndingAgree() {
        assertThat(PasswordHash.parse(run("pw\r\n", "--scrypt").out().strip()).matches("pw")).isTrue();
        assertThat(PasswordHash.parse(run("pw", "--scrypt").out().strip()).matches("pw")).isTrue();
    }

    @Test
    void scryptOnRequest() {
        var r = run("pw\n", "--scrypt");
        assertThat(r.exit()).isZero();
        assertThat(r.out().strip()).startsWith("$scrypt$ln=16,r=8,p=1$");
    }

    @Test
    void argon2idParametersAreOptions() {
        var r = run("pw\n", "-m", "2048", "-t", "2", "-p", "2");
        assertThat(r.out().strip()).startsWith("$argon2id$v=19$m=2048,t=2,p=2$");
        assertThat(PasswordHash.parse(r.out().strip()).matches("pw")).isTrue();
        var bad = run("pw\n", "-t", "0");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("t must be");
    }

    @Test
    void emptyInputIsAnError() {
        var r = run("");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("no password");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void theServerAcceptsAHashedUserPassword() throws Exception {
        // cheap parameters keep the test quick; the format is the one the CLI prints
        var argon = PasswordHash.Argon2id.create("hashed secret", 1024, 2, 1).encoded();
        try (var server = TestServer.start(Map.of("USER_PASSWORD", argon))) {
            assertThat(AuthClient.createSession(server, TestServer.HANDLE, "hashed secret").statusCode()).isEqualTo(200);
            assertThat(AuthClient.createSession(server, TestServer.HANDLE, argon).statusCode()).isEqualTo(401);
        }
        var scrypt = run("scrypt secret\n", "--scrypt").out().strip();
        try (var server = TestServer.start(Map.of("USER_PASSWORD", scrypt))) {
            assertThat(AuthClient.createSession(server, TestServer.HANDLE, "scrypt secret").statusCode()).isEqualTo(200);
            assertThat(AuthClient.createSession(server, TestServer.HANDLE, "scrypt secreT").statusCode()).isEqualTo(401);
        }
    }

    @Test
    void aBrokenHashStopsStartUp() {
        var broken = "$argon2id$v=19$m=65536,t=3$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.alteran.pds.config.ConfigException.class,
                () -> TestServer.start(Map.of("USER_PASSWORD", broken)));
        assertThat(e.getMessage()).contains("USER_PASSWORD");
    }
}
