package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseLockTest {
    @TempDir
    Path dir;

    @Test
    void oneHolderAtATimeAndTheRefusalNamesIt() {
        var db = dir.resolve("data/alteran.sqlite");
        try (var first = DatabaseLock.acquire(db, "a running Alteran server")) {
            assertThatThrownBy(() -> DatabaseLock.acquire(db, "alteran import"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("the database " + db + " is in use by a running Alteran server (pid " + ProcessHandle.current().pid()
                            + "); stop it first");
        }
        try (var again = DatabaseLock.acquire(db, "alteran import")) { // released on close
            assertThat(dir.resolve("data/alteran.sqlite.lock")).content().startsWith("alteran import (pid ");
        }
    }
}
