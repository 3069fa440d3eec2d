package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
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
    Database other;

    @Override
    RateLimitStore store() {
        testDb = TestDatabase.create(dialect, dir);
        database = testDb.open();
        return new SqlRateLimitStore(database, MINUTE);
    }

    @Override
    long size(RateLimitStore store) {
        return ((SqlRateLimitStore) store).size();
    }

    @AfterEach
    void close() {
        if (database != null) database.close();
        if (other != null) other.close();
    }

    @Test
    void hitsCountedLocallyReachTheDatabaseWithinTheSendInterval() throws InterruptedException {
        var s = (SqlRateLimitStore) store();
        for (int i = 1; i <= 10; i++) assertThat(s.hit("write", "a", 1_000 + i, MINUTE, LIMIT).count()).isEqualTo(i);
        long deadline = System.currentTimeMillis() + 10_000; // only a failure waits this long
        while (s.unsentHits() > 0 && System.currentTimeMillis() < deadline) Thread.sleep(5);
        assertThat(s.unsentHits()).isZero();
        assertThat(storedCount("a")).isEqualTo(10);
    }

    @Test
    void closingSendsWhatIsUnsentAndLaterHitsGoStraightToTheDatabase() {
        var s = (SqlRateLimitStore) store();
        for (int i = 1; i <= 5; i++) s.hit("write", "a", 1_000, MINUTE, LIMIT);
        s.close();
        assertThat(storedCount("a")).isEqualTo(5);
        assertThat(s.hit("write", "a", 1_001, MINUTE, LIMIT).count()).isEqualTo(6);
        assertThat(storedCount("a")).isEqualTo(6);
    }

    @Test
    void fromHalfTheLimitOnEveryHitIsCountedInTheSharedDatabase() {
        var a = (SqlRateLimitStore) store();
        var b = secondInstance();
        // limit 10: the first hits may stay local for a moment; from the fifth on, none does
        for (int i = 0; i < 4; i++) a.hit("login", "c", 1_000, MINUTE, 10);
        var fifth = b.hit("login", "c", 1_001, MINUTE, 10);
        assertThat(fifth.count()).isBetween(2L, 5L); // a's local hits may still be on their way
        a.close(); // sends them; b sees them once its view of the window is no longer fresh
        long later = 1_001 + SqlRateLimitStore.FRESH_MS;
        assertThat(b.hit("login", "c", later, MINUTE, 10).count()).isEqualTo(6);
        assertThat(a.hit("login", "c", later, MINUTE, 10).count()).isEqualTo(7);
        for (int i = 8; i <= 11; i++) assertThat((i % 2 == 0 ? a : b).hit("login", "c", later, MINUTE, 10).count()).isEqualTo(i);
    }

    @Test
    void aStaleViewIsReadAgainFromTheDatabase() {
        var a = (SqlRateLimitStore) store();
        var b = secondInstance();
        assertThat(a.hit("write", "c", 1_000, MINUTE, LIMIT).count()).isEqualTo(1);
        for (int i = 0; i < 20; i++) b.hit("write", "c", 1_000, MINUTE, LIMIT);
        b.close();
        // a's view is from 1,000: still fresh, a counts locally; older than FRESH_MS, a asks again
        assertThat(a.hit("write", "c", 1_000 + SqlRateLimitStore.FRESH_MS - 1, MINUTE, LIMIT).count()).isEqualTo(2);
        assertThat(a.hit("write", "c", 1_000 + SqlRateLimitStore.FRESH_MS + 1, MINUTE, LIMIT).count()).isEqualTo(23);
    }

    /** Another instance's store on the test's database (PostgreSQL: SQLite serves one instance). */
    private SqlRateLimitStore secondInstance() {
        assumeTrue(dialect == Dialect.POSTGRES, "instances share a PostgreSQL database");
        other = testDb.open();
        return new SqlRateLimitStore(other, MINUTE);
    }

    private long storedCount(String client) {
        return database.read(c -> {
            try (var st = c.prepareStatement("SELECT count FROM rate_limit WHERE client = ?")) {
                st.setString(1, client);
                try (var rs = st.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0;
                }
            }
        });
    }
}
