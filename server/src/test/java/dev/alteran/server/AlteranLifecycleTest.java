package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.pds.Alteran;
import dev.alteran.pds.config.Config;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * An embedding host survives a failed start: what Alteran opened before the failure is closed again; and
 * a clean close leaves the host's meter registry as it found it.
 */
class AlteranLifecycleTest {
    @Test
    void aStartThatFailsPartWayClosesTheDatabaseItOpened() throws Exception {
        var data = Files.createTempDirectory("alteran-lifecycle-");
        // The blob folder cannot be made: a file stands where it would go. The database opens before it.
        Files.writeString(data.resolve("blobs"), "not a folder");
        var values = new HashMap<String, String>();
        values.put("ALTERAN_ENV", "dev");
        values.put("PDS_DID", "did:web:localhost%3A2583");
        values.put("PDS_HANDLE", TestServer.HANDLE);
        values.putAll(Secrets.generate(TestServer.PASSWORD));
        values.put("PDS_DATA_DIR", data.toString());
        var config = Config.from(values).validateOrThrow();

        assertThatThrownBy(() -> Alteran.builder().config(config).build()).isNotNull();
        assertThat(Files.exists(data.resolve("alteran.sqlite"))).as("the database was opened before the failure").isTrue();
        assertThat(openFilesUnder(data)).as("files still open under " + data).isEmpty();

        // The same data directory starts once the obstacle is gone, and closes cleanly.
        Files.delete(data.resolve("blobs"));
        // The host's own registry gets the PDS's meters while it runs, and is left as it was after close.
        var registry = new SimpleMeterRegistry();
        var hostsOwn = registry.counter("host.requests");
        try (var alteran = Alteran.builder().config(config).meterRegistry(registry).build()) {
            assertThat(alteran.database()).isNotNull();
            assertThat(openFilesUnder(data)).isNotEmpty();
            assertThat(alteran.meterRegistry()).isSameAs(registry);
            assertThat(registry.find("alteran.repo.commits").timer()).isNotNull();
            assertThat(registry.find("hikaricp.connections").tag("pool", "alteran-read").gauge()).isNotNull();
        }
        assertThat(openFilesUnder(data)).isEmpty();
        assertThat(registry.getMeters()).containsExactly(hostsOwn);
    }

    /** This process's open file descriptors that point into {@code dir} (Linux: /proc/self/fd). */
    static List<Path> openFilesUnder(Path dir) throws IOException {
        var real = dir.toRealPath();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.flatMap(fd -> {
                try {
                    return Stream.of(Files.readSymbolicLink(fd));
                } catch (IOException e) {
                    return Stream.empty(); // closed meanwhile
                }
            }).filter(p -> p.startsWith(real)).toList();
        }
    }
}
