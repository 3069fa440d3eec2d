package dev.alteran.pds.xrpc;

import dev.alteran.pds.store.StorageFull;
import dev.alteran.pds.wire.XrpcException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;

/**
 * How {@code com.atproto.repo.importRepo} takes its body: spooled to a file in {@code dir} first, so
 * the import transaction never waits on the network, and at most {@code maxBytes} of it.
 */
public final class ImportSpool {
    private final Path dir;
    private final long maxBytes;

    public ImportSpool(Path dir, long maxBytes) {
        this.dir = dir;
        this.maxBytes = maxBytes;
    }

    /**
     * Copies {@code body} to a temporary file, hands that to {@code use} and deletes it. A body over
     * the limit (by {@code contentLength}, -1 when unknown, or as it arrives) is a 413; one that
     * breaks off is a 400.
     */
    void spool(InputStream body, long contentLength, Consumer<Path> use) throws IOException {
        if (contentLength > maxBytes) {
            throw XrpcException.payloadTooLarge("request entity too large: at most " + maxBytes + " bytes");
        }
        Files.createDirectories(dir);
        var spooled = Files.createTempFile(dir, "import-", ".car");
        try {
            try (var in = new XrpcCall.LimitedInputStream(body, maxBytes)) {
                Files.copy(in, spooled, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                if (e.getCause() instanceof XrpcException x) throw x;
                if (StorageFull.isCause(e)) throw e; // ours, not the client's: the servlet answers 507
                throw XrpcException.invalidRequest("The request body could not be read to its end");
            }
            use.accept(spooled);
        } finally {
            try {
                Files.deleteIfExists(spooled);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
