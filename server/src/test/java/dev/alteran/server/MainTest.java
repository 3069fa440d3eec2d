package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The jar's entry point: every Java on the machine loads it; the old ones say what is needed, the new ones run the CLI. */
class MainTest {
    @Test
    void theFeatureReleaseIsReadFromOldAndNewVersionForms() {
        assertThat(Main.feature("1.8")).isEqualTo(8);
        assertThat(Main.feature("17")).isEqualTo(17);
        assertThat(Main.feature("25")).isEqualTo(25);
        assertThat(Main.feature("weird")).isEqualTo(Main.NEEDED);
    }

    @Test
    void everyJavaOnTheMachineGetsAnAnswerNotAClassVersionError() throws Exception {
        var classPath = System.getProperty("java.class.path");
        int old = 0;
        var javas = new ArrayList<Path>();
        try (var dirs = Files.list(Path.of("/usr/lib/jvm"))) {
            dirs.map(d -> d.resolve("bin/java")).filter(Files::isExecutable).forEach(javas::add);
        } catch (IOException e) {
            Assumptions.abort("no /usr/lib/jvm on this machine");
        }
        javas.add(Path.of(System.getProperty("java.home"), "bin", "java"));
        for (var java : javas) {
            var p = new ProcessBuilder(java.toString(), "-cp", classPath, "dev.alteran.server.Main", "--version")
                    .redirectErrorStream(true).start();
            var out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(out).as(java.toString()).doesNotContain("UnsupportedClassVersionError");
            if (p.exitValue() == 0) {
                assertThat(out).as(java.toString()).contains("alteran 0.1.0");
            } else {
                old++;
                assertThat(p.exitValue()).isEqualTo(1);
                assertThat(out).as(java.toString()).containsPattern("Java 21 or newer is needed, but this is Java (8|9|1[0-9]|20) ")
                        .contains("/usr/lib/jvm/*", "JAVA_HOME");
            }
        }
        Assumptions.assumeTrue(old > 0, "no Java older than 21 on this machine to show the message on: " + List.copyOf(javas));
    }
}
