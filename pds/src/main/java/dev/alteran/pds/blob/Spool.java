package dev.alteran.pds.blob;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;

/** Temporary upload files in one local folder; a temp key is a file name there, checked on every use. */
final class Spool {
    private static final String PREFIX = "upload-";
    private static final String SUFFIX = ".part";
    private final Path dir;

    Spool(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the blob temp folder " + dir, e);
        }
    }

    Path dir() {
        return dir;
    }

    String write(InputStream content) throws IOException {
        var part = Files.createTempFile(dir, PREFIX, SUFFIX);
        try {
            Files.copy(content, part, StandardCopyOption.REPLACE_EXISTING);
            return part.getFileName().toString();
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(part);
            throw e;
        }
    }

    Path path(String tempKey) {
        if (tempKey == null || !tempKey.matches(PREFIX + "[0-9]+" + SUFFIX.replace(".", "\\."))) {
            throw new IllegalArgumentException("not a temp blob key: " + tempKey);
        }
        return dir.resolve(tempKey);
    }

    void delete(String tempKey) throws IOException {
        Files.deleteIfExists(path(tempKey));
    }

    int purge(Duration age) throws IOException {
        var cutoff = Instant.now().minus(age);
        int n = 0;
        try (var files = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
            for (var f : files) {
                try {
                    if (Files.getLastModifiedTime(f).toInstant().isBefore(cutoff) && Files.deleteIfExists(f)) n++;
                } catch (java.nio.file.NoSuchFileException e) {
                    // finished or removed meanwhile
                }
            }
        }
        return n;
    }

    /** Writes and removes a probe file: the folder accepts writes now. */
    boolean isWritable() {
        try {
            Files.delete(Files.createTempFile(dir, "health-", ".probe"));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
