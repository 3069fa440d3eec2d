package dev.alteran.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.LibraryLoaderUtil;

class SqliteNativeLibraryTest {
    private static final String PATH = "org.sqlite.lib.path", NAME = "org.sqlite.lib.name";
    private String savedPath, savedName;

    @BeforeEach
    void save() {
        savedPath = System.clearProperty(PATH);
        savedName = System.clearProperty(NAME);
    }

    @AfterEach
    void restore() {
        restore(PATH, savedPath);
        restore(NAME, savedName);
    }

    private static void restore(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }

    @Test
    void copiesTheDriversLibraryOnceAndPointsTheDriverAtIt(@TempDir Path dir) throws Exception {
        var native_ = dir.resolve("native");
        SqliteNativeLibrary.useCopyIn(native_);
        var name = System.getProperty(NAME);
        assertThat(System.getProperty(PATH)).isEqualTo(native_.toAbsolutePath().toString());
        assertThat(name).contains(SQLiteJDBCLoader.getVersion());
        var copy = native_.resolve(name);
        try (var in = SQLiteJDBCLoader.class.getResourceAsStream(
                LibraryLoaderUtil.getNativeLibResourcePath() + "/" + LibraryLoaderUtil.getNativeLibName())) {
            assertThat(Files.readAllBytes(copy)).isEqualTo(in.readAllBytes());
        }
        Path chosen;
        try (var files = Files.list(native_)) {
            // no temporary file left behind; beside the copy, the note of which copy this platform uses
            var listed = files.toList();
            assertThat(listed).hasSize(2).contains(copy);
            chosen = listed.stream().filter(f -> !f.equals(copy)).findFirst().orElseThrow();
        }
        assertThat(chosen.getFileName().toString()).startsWith("chosen-" + SQLiteJDBCLoader.getVersion() + "-");
        assertThat(Files.readString(chosen)).isEqualTo(name + "\n");
        // A second start finds the copy and does not write it again.
        var written = Files.getLastModifiedTime(copy);
        System.clearProperty(PATH);
        System.clearProperty(NAME);
        SqliteNativeLibrary.useCopyIn(native_);
        assertThat(Files.getLastModifiedTime(copy)).isEqualTo(written);
        assertThat(System.getProperty(NAME)).isEqualTo(name);

        // A note naming a copy that is gone, or anything but a copy's name, is ignored: the platform is looked up again.
        for (var note : new String[] {"sqlite-gone.so\n", "../" + name + "\n"}) {
            Files.writeString(chosen, note);
            System.clearProperty(PATH);
            System.clearProperty(NAME);
            SqliteNativeLibrary.useCopyIn(native_);
            assertThat(System.getProperty(NAME)).isEqualTo(name);
            assertThat(Files.readString(chosen)).isEqualTo(name + "\n");
        }
    }

    @Test
    void aRestartTakesTheNotedCopyWithoutLookingUpThePlatform(@TempDir Path dir) throws Exception {
        var native_ = dir.resolve("native");
        SqliteNativeLibrary.useCopyIn(native_);
        var name = System.getProperty(NAME);
        Path chosen;
        try (var files = Files.list(native_)) {
            chosen = files.filter(f -> f.getFileName().toString().startsWith("chosen-")).findFirst().orElseThrow();
        }
        // Another copy noted (as a platform lookup would never name it): the note is what a restart reads.
        var other = "sqlite-noted-" + name;
        Files.copy(native_.resolve(name), native_.resolve(other));
        Files.writeString(chosen, other + "\n");
        System.clearProperty(PATH);
        System.clearProperty(NAME);
        SqliteNativeLibrary.useCopyIn(native_);
        assertThat(System.getProperty(NAME)).isEqualTo(other);
        assertThat(System.getProperty(PATH)).isEqualTo(native_.toAbsolutePath().toString());
    }

    @Test
    void anOperatorsLibraryPathIsLeftAlone(@TempDir Path dir) {
        System.setProperty(PATH, "/opt/own");
        SqliteNativeLibrary.useCopyIn(dir.resolve("native"));
        assertThat(System.getProperty(PATH)).isEqualTo("/opt/own");
        assertThat(Files.exists(dir.resolve("native"))).isFalse();
    }
}
