package dev.alteran.pds.blob;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * Blobs as files under one directory: written to a temporary file, then renamed into place
 * atomically. Keys are CID strings and are checked, so no key can name a path outside the folder.
 */
public final class FileBlobStore implements BlobStore {
    private final Path root;
    private final Path tmp;

    public FileBlobStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.tmp = this.root.resolve(".tmp");
        try {
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the blob folder " + root, e);
        }
    }

    @Override
    public long put(String key, InputStream content) throws IOException {
        var target = pathOf(key);
        var part = Files.createTempFile(tmp, "upload-", ".part");
        try {
            long n = Files.copy(content, part, StandardCopyOption.REPLACE_EXISTING);
            Files.createDirectories(target.getParent());
            try {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(part, target);
            } catch (FileAlreadyExistsException e) {
                // same key, same content: content addressing makes the existing file the answer
            }
            return n;
        } finally {
            Files.deleteIfExists(part);
        }
    }

    @Override
    public Optional<InputStream> get(String key) throws IOException {
        try {
            return Optional.of(Files.newInputStream(pathOf(key)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean exists(String key) {
        return Files.isRegularFile(pathOf(key));
    }

    @Override
    public void delete(String key) throws IOException {
        Files.deleteIfExists(pathOf(key));
    }

    @Override
    public boolean isHealthy() {
        try {
            Files.delete(Files.createTempFile(tmp, "health-", ".probe"));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Two-character fan-out keeps directories small; the key alphabet is base32 only. */
    private Path pathOf(String key) {
        if (key == null || !key.matches("[a-z2-7]{8,128}")) throw new IllegalArgumentException("not a blob key: " + key);
        return root.resolve(key.substring(key.length() - 2)).resolve(key);
    }
}
