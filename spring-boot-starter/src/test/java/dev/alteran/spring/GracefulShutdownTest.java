package dev.alteran.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.pds.Alteran;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** server.shutdown=graceful: a request in flight when the application stops finishes on an open database. */
class GracefulShutdownTest {
    static volatile CountDownLatch entered;
    static volatile CountDownLatch release;

    @RestController
    static class SlowController {
        private final Alteran alteran;

        SlowController(Alteran alteran) {
            this.alteran = alteran;
        }

        /** Held until the test lets go, then answers what the PDS's database says. */
        @GetMapping("/slow")
        String slow() throws InterruptedException {
            entered.countDown();
            if (!release.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
            return alteran.healthChecks().get("database");
        }
    }

    @ParameterizedTest
    @EnumSource(BootApp.Container.class)
    void inFlightRequestCompletesBeforeTheDatabaseCloses(BootApp.Container container) throws Exception {
        entered = new CountDownLatch(1);
        release = new CountDownLatch(1);
        try (var app = BootApp.start(container, Map.of("server.shutdown", "graceful"), SlowController.class)) {
            var alteran = app.context.getBean(Alteran.class);
            var inFlight = app.http.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(app.base + "/slow")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();

            var closing = CompletableFuture.runAsync(app.context::close);
            // Graceful shutdown has begun once the server takes no new connections.
            awaitConnectionsRefused(app.port);
            assertThat(alteran.database().isHealthy()).as("the database is open while a request is in flight").isTrue();
            assertThat(closing).isNotDone();

            release.countDown();
            var response = inFlight.get(30, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("ok");
            closing.get(60, TimeUnit.SECONDS);
            assertThat(alteran.database().isHealthy()).as("the database is closed after the server stopped").isFalse();
        }
    }

    private static void awaitConnectionsRefused(int port) throws InterruptedException {
        var deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (Instant.now().isBefore(deadline)) {
            try (var socket = new Socket("127.0.0.1", port)) {
                // still accepting: shutdown has not reached the server yet
            } catch (ConnectException refused) {
                return;
            } catch (IOException e) {
                // another failure to connect counts as not yet
            }
            Thread.sleep(20); // polling the condition, not standing in for it
        }
        throw new AssertionError("the server kept accepting connections after the context began closing");
    }
}
