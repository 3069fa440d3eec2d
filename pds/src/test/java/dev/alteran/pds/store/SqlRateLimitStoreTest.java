package dev.alteran.pds.store;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

class SqlRateLimitStoreTest extends RateLimitStoreContract {
    @TempDir
    Path dir;
    Database database;

    @Override
    RateLimitStore store() {
        database = Database.openSqlite(dir.resolve("rl.sqlite"));
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
