package dev.alteran.pds.blob;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Optional;

/**
 * Blobs as files under one directory: uploads are written to {@code .tmp/} inside it, then renamed
 * into place atomically (same file system, so a rename is all it takes). Keys are CID strings and are
 * checked, so no key can name a path outside the folder.
 */
public final class FileBlobStore implements BlobStore {
    private final Path root;
    private final Spool spool;

    public FileBlobStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.spool = new Spool(this.root.resolve(".tmp"));
    }

    @Override
    public String putTemp(InputStream content) throws IOException {
        return spool.write(content);
    }

    @Override
    public void promote(String tempKey, String key) throws IOException {
        var target = pathOf(key);
        var part = spool.path(tempKey);
        if (Files.isRegularFile(target)) {
            Files.deleteIfExists(part);
            return;
        }
        Files.createDirectories(target.getParent());
        try {
            // A concurrent upload of the same bytes may have won the race: replacing its file (what rename does)
            // or keeping it is the same, as both hold these bytes.
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, target);
        } catch (FileAlreadyExistsException e) {
            Files.deleteIfExists(part);
        }
    }

    @Override
    public void deleteTemp(String tempKey) throws IOException {
        spool.delete(tempKey);
    }

    @Override
    public int purgeTemp(Duration age) throws IOException {
        return spool.purge(age);
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
    public void list(java.util.function.Consumer<Entry> each) throws IOException {
        if (!Files.isDirectory(root)) return;
        try (var fanOut = Files.newDirectoryStream(root, p -> p.getFileName().toString().length() == 2 && Files.isDirectory(p))) {
            for (var dir : fanOut) {
                try (var files = Files.newDirectoryStream(dir)) {
                    for (var f : files) {
                        var key = f.getFileName().toString();
                        if (BlobStore.isKey(key) && Files.isRegularFile(f)) each.accept(new Entry(key, Files.size(f)));
                    }
                }
            }
        }
    }

    @Override
    public boolean isHealthy() {
        return spool.isWritable();
    }

    /** Two-character fan-out keeps directories small; the key alphabet is base32 only. */
    private Path pathOf(String key) {
        BlobStore.checkKey(key);
        return root.resolve(key.substring(key.length() - 2)).resolve(key);
    }
}
