package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LogConfiguratorTest {
    @Test
    void requestLinesAreJsonWithTheirKeyValues() throws Exception {
        var out = new ByteArrayOutputStream();
        var stdout = System.out;
        var context = new LoggerContext();
        var threadId = new long[1];
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // as the SLF4J provider sets it
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            var configurator = new LogConfigurator();
            configurator.setContext(context);
            configurator.configure(context);
            // From a virtual thread, as requests are: the appender names it itself (logback would, by reflection).
            var request = Thread.ofVirtual().start(() ->
                    context.getLogger("alteran.request").atInfo().addKeyValue("requestId", "r-1").addKeyValue("status", 200).log("request"));
            request.join();
            threadId[0] = request.threadId();
            context.getLogger("org.eclipse.jetty.server").info("not shown");
            assertThat(context.getLogger("org.flywaydb").getLevel()).isEqualTo(Level.WARN);
        } finally {
            System.setOut(stdout);
            context.stop();
        }
        var lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(1);
        var line = new ObjectMapper().readTree(lines.getFirst());
        assertThat(line.get("message").asText()).isEqualTo("request");
        assertThat(line.get("requestId").asText()).isEqualTo("r-1");
        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("level").asText()).isEqualTo("INFO");
        assertThat(line.get("thread_name").asText()).isEqualTo("virtual-" + threadId[0]);
        assertThat(line.has("level_value")).isFalse();
        assertThat(line.has("@version")).isFalse();
    }
}
