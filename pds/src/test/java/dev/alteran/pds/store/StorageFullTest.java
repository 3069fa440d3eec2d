package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** Which failures are a full disk (the servers' tests fill real disks; these are the shapes a driver wraps them in). */
class StorageFullTest {
    @Test
    void postgresDiskFullIsAFullDiskWhereverItIsWrapped() {
        var diskFull = new SQLException("ERROR: could not extend file \"base/1/2\": No space left on device", "53100");
        assertThat(StorageFull.isCause(diskFull)).isTrue();
        assertThat(StorageFull.isCause(new StoreException(diskFull))).isTrue();
        // A batch's failure: the statement's own error is its next exception, not its cause.
        var batch = new BatchUpdateException("Batch entry 0 was aborted", "25P02", new int[0]);
        batch.setNextException(diskFull);
        assertThat(StorageFull.isCause(new StoreException(batch))).isTrue();
    }

    @Test
    void theLogLineNamesTheInnermostCauseNotTheBatchsStatements() {
        var diskFull = new SQLException("ERROR: could not extend file \"base/1/2\": No space left on device\n  Hint: Check free disk space.", "53100");
        var batch = new BatchUpdateException("Batch entry 1 INSERT INTO repo_block VALUES ('\\x" + "ab".repeat(5000) + "') was aborted: "
                + diskFull.getMessage(), "53100", new int[0]);
        batch.setNextException(diskFull);
        assertThat(StorageFull.describe(new StoreException(batch)))
                .isEqualTo("SQLException: ERROR: could not extend file \"base/1/2\": No space left on device");
        assertThat(StorageFull.describe(new SQLException("x".repeat(500), "53100"))).hasSize("SQLException: ".length() + 203);
        assertThat(StorageFull.describe(new SQLException("duplicate key", "23505"))).isNull();
    }

    @Test
    void otherResourceErrorsAreNot() {
        assertThat(StorageFull.isCause(new SQLException("sorry, too many clients already", "53300"))).isFalse();
        assertThat(StorageFull.isCause(new SQLException("out of memory", "53200"))).isFalse();
        assertThat(StorageFull.isCause(new SQLException("duplicate key", "23505"))).isFalse();
    }
}
