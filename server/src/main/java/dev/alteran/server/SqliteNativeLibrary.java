package dev.alteran.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.LibraryLoaderUtil;

/**
 * The SQLite driver extracts its native library from the jar to a fresh temporary file, and checks
 * it, on every start: about 100 ms. This keeps one copy per driver version under the data directory
 * (private to the operator, unlike a shared temp folder) and points the driver at it. Anything
 * unexpected leaves the driver to its own way; so does an operator who set {@code org.sqlite.lib.path}.
 *
 * <p>It does so through JVM-wide system properties, read once when the driver first loads: only the
 * standalone server, which owns its JVM, may set them ({@link Launcher}, before the first connection).
 * The embeddable {@code pds} module leaves them to its host application.
 *
 * <p>Finding the driver's resource path for this platform starts a process ({@code uname -o}, its Android
 * check) on Linux, tens of milliseconds of a restart. So the first start also writes which copy it chose
 * under a name made of the driver version, {@code os.name} and {@code os.arch}, and later starts read that
 * instead. A data directory moved to a machine where that guess is wrong (glibc to musl, same arch) only
 * costs speed: the driver fails to load the named copy and extracts its own.
 */
final class SqliteNativeLibrary {
    private SqliteNativeLibrary() {}

    /** Uses (and first writes, if missing) the copy in {@code <dataDir>/native}. */
    static void useCopyUnder(Path dataDir) {
        useCopyIn(dataDir.resolve("native"));
    }

    static synchronized void useCopyIn(Path dir) {
        if (System.getProperty("org.sqlite.lib.path") != null) return;
        try {
            var chosen = dir.resolve(("chosen-" + SQLiteJDBCLoader.getVersion() + "-" + System.getProperty("os.name") + "-"
                    + System.getProperty("os.arch")).replaceAll("[^A-Za-z0-9._-]+", "-"));
            if (Files.isRegularFile(chosen)) {
                var known = Files.readString(chosen).strip();
                if (known.startsWith("sqlite-") && !known.contains("/") && Files.isRegularFile(dir.resolve(known))) {
                    point(dir, known);
                    return;
                }
            }
            var resource = LibraryLoaderUtil.getNativeLibResourcePath() + "/" + LibraryLoaderUtil.getNativeLibName();
            var name = "sqlite-" + SQLiteJDBCLoader.getVersion() + "-" + resource.replaceAll("[^A-Za-z0-9._-]+", "-");
            var target = dir.resolve(name);
            if (!Files.isRegularFile(target)) {
                try (var in = SQLiteJDBCLoader.class.getResourceAsStream(resource)) {
                    if (in == null) return; // no bundled library for this platform: the driver reports it
                    Files.createDirectories(dir);
                    var tmp = Files.createTempFile(dir, name, ".tmp");
                    try {
                        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } finally {
                        Files.deleteIfExists(tmp);
                    }
                }
            }
            Files.writeString(chosen, name + "\n");
            point(dir, name);
        } catch (IOException | RuntimeException e) {
            // the driver's own extraction still works
        }
    }

    private static void point(Path dir, String name) {
        System.setProperty("org.sqlite.lib.path", dir.toAbsolutePath().toString());
        System.setProperty("org.sqlite.lib.name", name);
    }
}
