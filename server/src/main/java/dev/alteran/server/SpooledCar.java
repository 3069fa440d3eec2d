package dev.alteran.server;

import dev.alteran.atproto.car.CarReader;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.repo.BlockSource;
import dev.alteran.atproto.repo.RepoException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * The blocks of a repository CAR file, each checked against its CID as it is read, then kept in a spool
 * file beside it and read back on demand: a large repository is verified without holding it in memory
 * (only each block's place).
 */
final class SpooledCar implements BlockSource, AutoCloseable {
    private final Path spool;
    private final FileChannel channel;
    private final Map<Cid, long[]> places = new HashMap<>();
    private final Cid root;

    SpooledCar(Path car) throws IOException {
        spool = car.resolveSibling(car.getFileName() + ".blocks");
        channel = FileChannel.open(spool, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try (var in = Files.newInputStream(car); var reader = CarReader.open(in)) {
            if (reader.roots().size() != 1) throw new RepoException("repository CAR must have exactly one root, found " + reader.roots().size());
            root = reader.roots().getFirst();
            long end = 0;
            for (var block : reader) {
                var bytes = block.bytes();
                if (places.putIfAbsent(block.cid(), new long[] {end, bytes.length}) != null) continue;
                var buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) end += channel.write(buffer, end);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The CAR's single root: the commit. */
    Cid root() {
        return root;
    }

    @Override
    public byte[] get(Cid cid) {
        var place = places.get(cid);
        if (place == null) return null;
        var buffer = ByteBuffer.allocate((int) place[1]);
        try {
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, place[0] + buffer.position()) < 0) throw new IOException("spool file ended early");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer.array();
    }

    @Override
    public boolean has(Cid cid) {
        return places.containsKey(cid);
    }

    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            Files.deleteIfExists(spool);
        }
    }
}
