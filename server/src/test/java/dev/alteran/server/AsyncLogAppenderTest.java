package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import net.logstash.logback.encoder.LogstashEncoder;
import org.junit.jupiter.api.Test;

/** Request threads never wait for the log: over capacity, request lines are dropped and counted, warnings and errors kept. */
class AsyncLogAppenderTest {
    /** Stdout that a slow terminal or pipe holds up until the test lets it go. */
    static final class HeldOutput extends FilterOutputStream {
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch writing = new CountDownLatch(1);

        HeldOutput() {
            super(new ByteArrayOutputStream());
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            writing.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.write(b, off, len);
        }

        String text() {
            return ((ByteArrayOutputStream) out).toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void aStuckStdoutCostsRequestLinesButNeverWarningsAndNeverBlocks() throws Exception {
        var context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // as the SLF4J provider sets it
        var encoder = new LogstashEncoder();
        encoder.setContext(context);
        encoder.start();
        var out = new HeldOutput();
        var appender = new AsyncLogAppender(encoder, out);
        appender.setContext(context);
        appender.start();
        var meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        appender.countDropsIn(meters);
        var root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(appender);
        var log = context.getLogger("alteran.request");

        log.info("first");
        assertThat(out.writing.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("the writer is stuck in its first write").isTrue();
        int requests = AsyncLogAppender.CAPACITY + 1000;
        // Were append to wait for stdout, this would never finish (the output is held until below).
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < requests; i++) {
                log.info("request {}", i);
                if (i % 1000 == 0) log.error("error {}", i);
            }
        });
        // The meter counts a drop when it happens, before the writer reports it in the log.
        assertThat(meters.get("alteran.log.dropped").functionCounter().count()).isPositive();
        out.release.countDown();
        appender.stop();

        var lines = out.text().lines().map(l -> {
            try {
                return new ObjectMapper().readTree(l);
            } catch (IOException e) {
                throw new AssertionError(l, e);
            }
        }).toList();
        long errors = lines.stream().filter(l -> l.path("level").asText().equals("ERROR")).count();
        long requestLines = lines.stream().filter(l -> l.path("message").asText().startsWith("request ")).count();
        var report = lines.stream().filter(l -> l.path("message").asText().startsWith("the log writer fell behind")).toList();
        assertThat(errors).as("every error line").isEqualTo((requests + 999) / 1000);
        assertThat(appender.droppedCount()).isPositive();
        assertThat(requestLines + appender.droppedCount()).as("written plus counted").isEqualTo(requests);
        assertThat(meters.get("alteran.log.dropped").functionCounter().count()).isEqualTo(appender.droppedCount());
        assertThat(report).hasSize(1);
        assertThat(report.getFirst().path("level").asText()).isEqualTo("WARN");
        assertThat(report.getFirst().path("message").asText()).contains(appender.droppedCount() + " request lines");
        context.stop();
    }
}
