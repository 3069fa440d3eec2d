package dev.alteran.pds.store;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass(name = "{0}")
@EnumSource(Dialect.class)
class SqlRateLimitStoreTest extends RateLimitStoreContract {
    @Parameter
    Dialect dialect;
    TestDatabase testDb;

    @TempDir
    Path dir;
    Database database;

    @Override
    RateLimitStore store() {
        database = TestDatabase.create(dialect, dir).open();
        return new SqlRateLimitStore(database, MINUTE);
    }

    @Override
    long size(RateLimitStore store) {
        return ((SqlRateLimitStore) store).size();
    }

    @AfterEach
    void close() {
        if (database != null) database.close();
    }
}
