package dev.alteran.server;

import static dev.alteran.server.AuthClient.createSession;
import static dev.alteran.server.AuthClient.error;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LoginLockoutTest {
    TestServer server;
    String did;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start();
        did = server.config.did();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    void fail(int times) throws Exception {
        for (int i = 0; i < times; i++) {
            assertThat(error(createSession(server, TestServer.HANDLE, "guess " + i)))
                    .isEqualTo("401 AuthenticationRequired: Invalid identifier or password");
        }
    }

    /** Moves every recorded attempt back in time. */
    void age(long millis) {
        server.alteran.database().write(c -> {
            try (var st = c.prepareStatement("UPDATE login_attempt SET attempted_at = attempted_at - ?")) {
                st.setLong(1, millis);
                return st.executeUpdate();
            }
        });
    }

    @Test
    void fiveFailuresLockLoginEvenForTheRightPassword() throws Exception {
        var meters = server.alteran.meterRegistry();
        double failures = meters.get("alteran.login.failures").counter().count();
        double lockouts = meters.get("alteran.login.lockouts").counter().count();
        fail(5);
        var locked = createSession(server, TestServer.HANDLE, TestServer.PASSWORD);
        assertThat(locked.statusCode()).isEqualTo(429);
        assertThat(TestServer.json(locked).get("error").asText()).isEqualTo("RateLimitExceeded");
        assertThat(TestServer.json(locked).get("message").asText()).contains("Too many failed login attempts").contains("15 more minutes");
        long retryAfter = Long.parseLong(locked.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(14 * 60L, 15 * 60L);
        // the DID is the same account
        assertThat(createSession(server, did, TestServer.PASSWORD).statusCode()).isEqualTo(429);
        // refused attempts are not counted: the lock does not grow
        assertThat(server.alteran.sessions().lockout().failures(did)).isEqualTo(5);
        assertThat(meters.get("alteran.login.failures").counter().count()).isEqualTo(failures + 5);
        assertThat(meters.get("alteran.login.lockouts").counter().count()).isEqualTo(lockouts + 2);

        // fifteen minutes later the right password works and clears the count
        age(15 * 60_000 + 1_000);
        assertThat(createSession(server, TestServer.HANDLE, TestServer.PASSWORD).statusCode()).isEqualTo(200);
        assertThat(server.alteran.sessions().lockout().failures(did)).isZero();
    }

    @Test
    void successResetsTheCount() throws Exception {
        fail(4);
        assertThat(createSession(server, TestServer.HANDLE, TestServer.PASSWORD).statusCode()).isEqualTo(200);
        fail(4);
        assertThat(createSession(server, TestServer.HANDLE, TestServer.PASSWORD).statusCode()).isEqualTo(200);
    }

    @Test
    void failuresSpreadOverMoreThanFifteenMinutesDoNotLock() throws Exception {
        fail(1);
        age(16 * 60_000);
        fail(4);
        assertThat(createSession(server, TestServer.HANDLE, TestServer.PASSWORD).statusCode()).isEqualTo(200);
    }

    @Test
    void unknownIdentifiersAreNotCountedAgainstTheAccount() throws Exception {
        for (int i = 0; i < 6; i++) {
            assertThat(createSession(server, "mallory.test", "x").statusCode()).isEqualTo(401);
        }
        assertThat(server.alteran.meterRegistry().get("alteran.login.failures").counter().count()).isGreaterThanOrEqualTo(6);
        assertThat(createSession(server, TestServer.HANDLE, TestServer.PASSWORD).statusCode()).isEqualTo(200);
    }

    @Test
    void attemptsKeepTheClientIpButNoPassword() throws Exception {
        fail(1);
        var columns = new ArrayList<String>();
        var ip = server.alteran.database().read(c -> {
            try (var rs = c.createStatement().executeQuery("SELECT * FROM login_attempt")) {
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) columns.add(rs.getMetaData().getColumnName(i));
                rs.next();
                return rs.getString("ip");
            }
        });
        assertThat(ip).isEqualTo("127.0.0.1");
        assertThat(columns).containsExactlyInAnyOrder("id", "did", "ip", "attempted_at");
    }

    @Test
    void parallelGuessesCannotSlipPastTheLock() throws Exception {
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            var tasks = new ArrayList<java.util.concurrent.Callable<Integer>>();
            for (int i = 0; i < 12; i++) {
                int n = i;
                tasks.add(() -> createSession(server, TestServer.HANDLE, "parallel guess " + n).statusCode());
            }
            var statuses = new ArrayList<Integer>();
            for (var f : pool.invokeAll(tasks)) statuses.add(f.get());
            assertThat(statuses.stream().filter(s -> s == 401).count()).isEqualTo(5);
            assertThat(statuses.stream().filter(s -> s == 429).count()).isEqualTo(7);
        }
    }
}
