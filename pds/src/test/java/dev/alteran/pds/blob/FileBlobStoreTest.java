package dev.alteran.pds.blob;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileBlobStoreTest extends BlobStoreContract {
    @TempDir
    Path dir;

    @Override
    protected BlobStore newStore() {
        return new FileBlobStore(dir.resolve("blobs"));
    }

    @Test
    void filesFanOutByTheLastTwoCharactersAndTempsStayInTmp() throws Exception {
        var data = randomBytes(64);
        var key = keyOf(data);
        var temp = store.putTemp(new ByteArrayInputStream(data));
        assertThat(dir.resolve("blobs/.tmp").resolve(temp)).exists();
        store.promote(temp, key);
        assertThat(dir.resolve("blobs").resolve(key.substring(key.length() - 2)).resolve(key)).hasBinaryContent(data);
        try (var tmp = Files.list(dir.resolve("blobs/.tmp"))) {
            assertThat(tmp).isEmpty();
        }
    }
}
