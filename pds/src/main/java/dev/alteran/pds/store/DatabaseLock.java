package dev.alteran.pds.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Exclusive use of a database by one owner: a running server, or a command that replaces the
 * repository underneath it (import). SQLite itself would let both write, and the server, which keeps
 * the head in memory, would then build on a repository that is no longer there. An OS file lock on
 * {@code <database>.lock} (released by the OS if the process dies), naming its holder for the message.
 */
public final class DatabaseLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private DatabaseLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock for {@code holder} (e.g. "the server"), or fails naming who holds it. */
    public static DatabaseLock acquire(Path database, String holder) {
        var file = database.resolveSibling(database.getFileName() + ".lock");
        FileChannel channel = null;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this same process
            }
            if (lock == null) {
                var current = Files.readString(file, StandardCharsets.UTF_8).strip();
                channel.close();
                throw new IllegalStateException("the database " + database + " is in use by "
                        + (current.isEmpty() ? "another process" : current) + "; stop it first");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((holder + " (pid " + ProcessHandle.current().pid() + ")").getBytes(StandardCharsets.UTF_8)), 0);
            return new DatabaseLock(channel, lock);
        } catch (IOException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new UncheckedIOException("cannot lock " + file, e);
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
